#!/usr/bin/env bash
# The whole test suite, from a fresh clone: sets up what it needs, then runs every test on
# SQLite and again on a fresh PostgreSQL database, the PWA's own tests, and the browser tests.
#   bash tests/run.sh              everything
#   bash tests/run.sh -k login     extra arguments go to every pytest run
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$PY" -m venv .venv
fi
echo "== installing Python dependencies"
.venv/bin/pip install -q --disable-pip-version-check -e '.[dev]'

if [ -f pwa/package.json ]; then
  echo "== installing and building the PWA"
  (cd pwa && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
fi

echo "== checking PostgreSQL and Redis"
.venv/bin/python tests/services.py

echo "== lint: ruff and mypy"
.venv/bin/ruff check sync server tests
.venv/bin/mypy

if [ -f pwa/package.json ]; then
  echo "== PWA unit tests (sync client on sync/vectors, outbox)"
  (cd pwa && npm test --silent)
fi

echo "== Python tests on SQLite"
DOORSTEP_TEST_DB=sqlite .venv/bin/pytest -q -p no:cacheprovider -m "not browser" "$@"

echo "== Python tests on PostgreSQL"
DOORSTEP_TEST_DB=postgres .venv/bin/pytest -q -p no:cacheprovider -m "not browser" "$@"

# Playwright's sync API runs its own event loop, so the browser tests get their own process.
echo "== browser tests (Playwright + Debian's Chromium against doorstep run)"
.venv/bin/pytest -q -p no:cacheprovider -m browser tests/pwa "$@"

echo "== all test runs passed"
