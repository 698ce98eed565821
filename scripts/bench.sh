#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure_postgres.sh || { echo "The benchmarks need PostgreSQL on 127.0.0.1:5432."; exit 1; }
exec .venv/bin/python -m bench.run "$@"
