#!/usr/bin/env bash
# tests/pipeline/parquet.sh - the Parquet tests (tests/pipeline/parquet.py,
# the decimal, float and narrow integer columns'
# tests/pipeline/parquet_decimal.py, the query's columns and WHERE reaching
# the reader's tests/pipeline/parquet_pushdown.py, the STRUCT columns'
# tests/pipeline/parquet_nested.py, then the kill -9 test
# tests/pipeline/parquet_kill.py):
# makes the Python venv with pyspark and pyarrow (tests/spark/setup.sh,
# cached) and runs them against the built sluice.
#   SLUICE=build/sluice tests/pipeline/parquet.sh [-k NAME]
# PARQUET_SPARK=0 leaves out the checks that start Spark. Each script's
# last line is `N passed, M failed`; the exit status is 1 if any test
# failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
export SLUICE=${SLUICE:-${B:-build}/sluice}
tests/spark/setup.sh
PY="${SPARK_VENV:-build/spark-venv}/bin/python"
rc=0
"$PY" tests/pipeline/parquet.py "$@" || rc=1
"$PY" tests/pipeline/parquet_decimal.py "$@" || rc=1
"$PY" tests/pipeline/parquet_pushdown.py "$@" || rc=1
"$PY" tests/pipeline/parquet_nested.py "$@" || rc=1
# The kill -9 test when no -k picks tests, or -k names it.
if [ $# -eq 0 ] || [[ "${2:-}" == *kill* ]]; then
	"$PY" tests/pipeline/parquet_kill.py || rc=1
fi
exit $rc
