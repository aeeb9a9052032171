#!/usr/bin/env bash
# tests/kafka/run.sh - runs the Kafka test binaries against a real Apache
# Kafka broker (fetched from Maven Central on first use, then cached) and
# librdkafka's mock cluster. The broker listens on 127.0.0.1 on free ports
# (PLAINTEXT, and SASL_PLAINTEXT, SSL, SASL_SSL: broker.sh --secure)
# and is stopped when this script ends (and by its own watchdog otherwise).
# Usage: B=build tests/kafka/run.sh BINARY...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] || { echo "usage: $0 TEST-BINARY..." >&2; exit 2; }
"$here/broker.sh" fetch
KDIR=$(mktemp -d /tmp/sluice-kafka.XXXXXX)
cleanup() { "$here/broker.sh" stop "$KDIR" >/dev/null 2>&1 || true; rm -rf "$KDIR"; }
trap cleanup EXIT
# --secure: SASL and TLS listeners beside PLAINTEXT, for secure.c; their
# addresses, certificates and made-up passwords come in secure.env.
SLUICE_KAFKA_BOOTSTRAP=$("$here/broker.sh" start "$KDIR" --secure)
export SLUICE_KAFKA_BOOTSTRAP
set -a
# shellcheck disable=SC1091
. "$KDIR/secure.env"
set +a
echo "kafka broker at $SLUICE_KAFKA_BOOTSTRAP (secured: $SLUICE_KAFKA_SASL_SSL)"
fail=0
for t in "$@"; do
	echo "== $t"
	timeout 900 "$t" --jobs=2 || fail=1
done
exit $fail
