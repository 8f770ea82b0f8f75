#!/usr/bin/env bash
# Rebuild docs/_inventories/{tornado,twisted}.inv, the intersphinx inventories
# of Tornado's and Twisted's API documentation, from the installed versions'
# own sources: this machine (and CI) cannot fetch them from the web, so they
# are committed.  Run from the repository root with the project's venv.
set -euo pipefail
out="$PWD/docs/_inventories"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
py=.venv/bin/python

# Tornado: build its own Sphinx docs (shipped in its sdist) and keep objects.inv.
tv=$($py -c 'import tornado; print(tornado.version)')
$py -m pip download -q --no-deps --no-binary :all: "tornado==$tv" -d "$work"
tar xzf "$work"/tornado-"$tv".tar.gz -C "$work"
$py -m sphinx -q -b html -D html_theme=alabaster "$work/tornado-$tv/docs" "$work/tornado-html" || true
cp "$work/tornado-html/objects.inv" "$out/tornado.inv"

# Twisted: its API docs are made by pydoctor; make the same inventory.
python3 -m venv "$work/pd"
"$work/pd/bin/pip" install -q pydoctor
tw=$($py -c 'import twisted, os; print(os.path.dirname(twisted.__file__))')
"$work/pd/bin/pydoctor" --project-name=Twisted --project-base-dir="$tw" \
    --make-intersphinx --html-output="$work/twisted-html" -q -q "$tw" || true
cp "$work/twisted-html/objects.inv" "$out/twisted.inv"
echo "wrote $out/tornado.inv (Tornado $tv) and $out/twisted.inv"
