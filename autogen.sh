#!/bin/sh
# Regenerate the build system from configure.ac and Makefile.am.
# Generated files are never committed; run this after a fresh clone.
set -e
cd "$(dirname "$0")"
autoreconf --force --install --warnings=all
