"""Sphinx configuration for txtornado's documentation."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

from txtornado import __version__  # noqa: E402

project = "txtornado"
author = "the txtornado developers"
copyright = "2026, the txtornado developers"
release = version = __version__

extensions = ["sphinx.ext.autodoc"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
exclude_patterns = ["_build"]
html_theme = "alabaster"
nitpicky = False
