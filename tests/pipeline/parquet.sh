#!/usr/bin/env bash
# tests/pipeline/parquet.sh - the Parquet tests (tests/pipeline/parquet.py):
# makes the Python venv with pyspark and pyarrow (tests/spark/setup.sh,
# cached) and runs them against the built sluice.
#   SLUICE=build/sluice tests/pipeline/parquet.sh [-k NAME]
# PARQUET_SPARK=0 leaves out the checks that start Spark. The last line
# is `N passed, M failed`; the exit status is 1 if any test failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
export SLUICE=${SLUICE:-${B:-build}/sluice}
tests/spark/setup.sh
exec "${SPARK_VENV:-build/spark-venv}/bin/python" tests/pipeline/parquet.py "$@"
