"""Sphinx configuration for txtornado's documentation."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.abspath(".."))
sys.path.insert(0, os.path.abspath("_ext"))

from txtornado import __version__

project = "txtornado"
author = "the txtornado developers"
copyright = "2026, the txtornado developers"
release = version = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "epytext_autodoc",
    "benchmark_results",
]

# The inventories are committed (this project's machines cannot fetch them):
# _tools/make_inventories.sh rebuilds them from Tornado's and Twisted's own
# sources, for the installed versions.
intersphinx_mapping = {
    "tornado": ("https://www.tornadoweb.org/en/stable/", "_inventories/tornado.inv"),
    "twisted": ("https://docs.twisted.org/en/stable/api/", "_inventories/twisted.inv"),
}

autodoc_member_order = "bysource"
autodoc_typehints = "description"
exclude_patterns = ["_build", "examples", "_generated"]
html_static_path = ["_static"]
# Twisted's and Tornado's own theme; _static/txtornado.css lets wide tables
# scroll inside the content column and keeps field labels on one line.
html_theme = "sphinx_rtd_theme"
html_css_files = ["txtornado.css"]
html_theme_options = {"navigation_depth": 3}
nitpicky = False
