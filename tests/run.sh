#!/usr/bin/env bash
# The whole test suite, from a fresh clone: sets up what it needs, then runs every test on
# SQLite and again on a fresh PostgreSQL database, the PWA's own tests, and the browser tests.
#   bash tests/run.sh              everything
#   bash tests/run.sh -k login     extra arguments go to every pytest run (each must select a test)
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

# Screenshots of the browser tests must show Chinese, not boxes: install a CJK font when none is
# there and we may (root on Debian/Ubuntu); otherwise say so and go on (the tests still run).
# Server-side PDFs (server/documents/fonts.py) embed WenQuanYi Micro Hei: a CJK font with
# TrueType outlines, whose text a PDF reader can extract (Noto CJK is CFF-flavoured).
if [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] && [ -z "${DOORSTEP_CJK_FONT:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing the CJK font the PDFs embed (fonts-wqy-microhei)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null \
      || echo "!! could not install fonts-wqy-microhei: PDF tests will fail with 503 font_missing"
  else
    echo "!! fonts-wqy-microhei is not installed and we are not root: PDF tests will fail"
  fi
fi
if command -v fc-list >/dev/null && [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing a CJK font for the screenshots (fonts-noto-cjk)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null \
      || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null \
      || echo "!! could not install a CJK font: screenshots will show boxes for Chinese"
  else
    echo "!! no CJK font (fc-list :lang=zh is empty) and not root: screenshots will show boxes for Chinese"
  fi
fi

echo "== checking PostgreSQL and Redis"
.venv/bin/python tests/services.py

echo "== lint: ruff (lint and format) and mypy (sources, tests, bench)"
.venv/bin/ruff check sync server tests bench
.venv/bin/ruff format --check sync server tests bench
.venv/bin/mypy

if [ -f pwa/package.json ]; then
  echo "== PWA unit tests (sync client on sync/vectors, outbox)"
  (cd pwa && npm test --silent)
fi

REPORTS=$(mktemp -d)
trap 'rm -rf "$REPORTS"' EXIT

echo "== Python tests on SQLite"
DOORSTEP_TEST_DB=sqlite .venv/bin/pytest -q -p no:cacheprovider -m "not browser" \
  --junitxml="$REPORTS/sqlite.xml" "$@"

echo "== Python tests on PostgreSQL"
DOORSTEP_TEST_DB=postgres .venv/bin/pytest -q -p no:cacheprovider -m "not browser" \
  --junitxml="$REPORTS/postgres.xml" "$@"

# Playwright's sync API runs its own event loop, so the browser tests get their own process.
echo "== browser tests (Playwright + Debian's Chromium against doorstep run)"
.venv/bin/pytest -q -p no:cacheprovider -m browser tests/pwa --junitxml="$REPORTS/browser.xml" "$@"

echo "== all test runs passed"
.venv/bin/python - "$REPORTS" <<'PY'
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

passed = failed = skipped = 0
for report in sorted(Path(sys.argv[1]).glob("*.xml")):
    for suite in ET.parse(report).getroot().iter("testsuite"):
        tests, errors = int(suite.get("tests", 0)), int(suite.get("errors", 0))
        failures, skips = int(suite.get("failures", 0)), int(suite.get("skipped", 0))
        failed += failures + errors
        skipped += skips
        passed += tests - failures - errors - skips
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
