#!/usr/bin/env bash
# tests/spark/setup.sh - makes the Python venv the Spark differential tests
# run in (build/spark-venv, with pyspark from PyPI), once: when the venv is
# there and imports the right pyspark, it does nothing. pyarrow (pinned
# too) is the Parquet tests' independent reader (tests/pipeline/parquet.py),
# hdrhistogram the reader of `sluice bench --hdr-log` files
# (tests/pipeline/bench_hdr.py).
#   tests/spark/setup.sh
# The venv is build/spark-venv whatever B is, so the sanitizer builds
# (B=build-asan) share it; SPARK_VENV=DIR puts it elsewhere.
# Needs Python 3.11 (python3.11, or python3 if that is 3.11) with venv, and
# Java 17 as the default `java`. PYSPARK_VERSION overrides the pinned one.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYSPARK_VERSION=${PYSPARK_VERSION:-4.3.0}
PYARROW_VERSION=${PYARROW_VERSION:-26.0.1}
HDRH_VERSION=${HDRH_VERSION:-0.10.8}
V=${SPARK_VENV:-build/spark-venv}

check() {
	[ -x "$V/bin/python" ] &&
		"$V/bin/python" -c 'import sys, pyspark
sys.exit(0 if sys.version_info[:2] == (3, 11) and pyspark.__version__ == sys.argv[1] else 1)' \
			"$PYSPARK_VERSION" 2>/dev/null
}

# pyarrow at its pinned version, installed into the venv if it is not.
pyarrow() {
	"$V/bin/python" -c 'import sys, pyarrow
sys.exit(0 if pyarrow.__version__ == sys.argv[1] else 1)' \
		"$PYARROW_VERSION" 2>/dev/null ||
		"$V/bin/pip" install -q --disable-pip-version-check \
			"pyarrow==$PYARROW_VERSION"
}

# hdrhistogram (the module hdrh) at its pinned version, likewise.
hdrh() {
	"$V/bin/python" -c 'import sys
from importlib.metadata import version
sys.exit(0 if version("hdrhistogram") == sys.argv[1] else 1)' \
		"$HDRH_VERSION" 2>/dev/null ||
		"$V/bin/pip" install -q --disable-pip-version-check \
			"hdrhistogram==$HDRH_VERSION"
}

if check; then
	pyarrow
	hdrh
	exit 0
fi

command -v java > /dev/null || { echo "setup.sh: no java on PATH (Spark needs Java 17)" >&2; exit 1; }
PY=
for c in python3.11 python3; do
	if command -v "$c" > /dev/null &&
		"$c" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
		PY=$c
		break
	fi
done
[ -n "$PY" ] || { echo "setup.sh: Python 3.11 is needed (python3.11 or python3)" >&2; exit 1; }

echo "setup.sh: creating $V with pyspark $PYSPARK_VERSION" >&2
rm -rf "$V"
mkdir -p "$(dirname "$V")"
"$PY" -m venv "$V"
"$V/bin/pip" install -q --disable-pip-version-check "pyspark==$PYSPARK_VERSION"
check || { echo "setup.sh: $V does not import pyspark $PYSPARK_VERSION" >&2; exit 1; }
pyarrow
hdrh
