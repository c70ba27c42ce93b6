#!/usr/bin/env bash
# Run the whole suite. PostgreSQL tests use $TEST_POSTGRES_URL (default: the local server, database test).
set -euo pipefail
cd "$(dirname "$0")/.."
export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}"
exec .venv/bin/python -m pytest -q "$@"
