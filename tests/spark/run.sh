#!/usr/bin/env bash
# tests/spark/run.sh - the Spark differential test as make runs it: sets up
# the venv with pyspark (tests/spark/setup.sh, cached), then runs the
# default suite (tests/spark/cases/basic.txt) in Spark and in sluice.
#   B=build SLUICE=build/sluice tests/spark/run.sh [run.py options]
# Extra arguments go to run.py (--gaps, -k NAME, --verbose, ...). The last
# line is `N passed, M failed`; the exit status is 1 if any case failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
export B=${B:-build}
export SLUICE=${SLUICE:-$B/sluice}
tests/spark/setup.sh
exec "${SPARK_VENV:-build/spark-venv}/bin/python" tests/spark/run.py "$@"
