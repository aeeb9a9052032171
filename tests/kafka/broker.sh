#!/usr/bin/env bash
# tests/kafka/broker.sh - a real Apache Kafka broker for sluice's tests.
#
# Kafka is not packaged in Debian, so the broker's jars come from Maven
# Central (tests/kafka/pom.xml, resolved by mvn) into a cache, and each test
# run starts a single-node KRaft broker (broker and controller in one JVM)
# on 127.0.0.1, on free ports, in a directory of its own. A watchdog
# (timeout(1)) ends a forgotten broker after SLUICE_KAFKA_MAX_LIFETIME.
#
#   broker.sh fetch                      jars into the cache (once)
#   broker.sh start DIR [--secure] [key=value ...]
#                                        start a broker; prints its bootstrap
#                                        (--secure: also SASL and TLS
#                                        listeners, DIR/secure.env)
#   broker.sh stop DIR                   SIGTERM, wait, SIGKILL
#   broker.sh create-topic DIR NAME PARTITIONS
#   broker.sh status DIR                 exit 0 if it is running
#   broker.sh selftest                   start, 1000 records through kcat, stop
#   broker.sh deps                       apt-get install java, maven, kcat
#
# Environment (all optional):
#   SLUICE_CACHE                 cache root (default ~/.cache/sluice)
#   SLUICE_KAFKA_VERSION         Kafka version (default 4.0.0)
#   SLUICE_KAFKA_MAX_LIFETIME    watchdog, timeout(1) syntax (default 60m)
#   SLUICE_KAFKA_START_TIMEOUT   seconds to wait for it to serve (default 120)
#   SLUICE_KAFKA_HEAP            JVM heap flags (default -Xms128m -Xmx512m)
#   SLUICE_KAFKA_JVM_OPTS        more JVM flags
#
# DIR receives server.properties, log4j2.properties, data/, server.log (the
# broker's log), stdout (the JVM's), pid (the broker JVM), watchdog.pid,
# bootstrap (host:port) and controller (host:port). With --secure also
# tls/ (a CA, the broker's and a client's certificates, made with openssl)
# and secure.env (the SASL_PLAINTEXT, SSL and SASL_SSL addresses, the user
# and its password, made up at start, and the certificate paths), shell
# assignments a test sources.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VERSION=${SLUICE_KAFKA_VERSION:-4.0.0}
CACHE=${SLUICE_CACHE:-${HOME:-/tmp}/.cache/sluice}
HOMEDIR=$CACHE/kafka-$VERSION
LIBS=$HOMEDIR/libs
MAX_LIFETIME=${SLUICE_KAFKA_MAX_LIFETIME:-60m}
START_TIMEOUT=${SLUICE_KAFKA_START_TIMEOUT:-120}
HEAP=${SLUICE_KAFKA_HEAP:--Xms128m -Xmx512m}
JVM_OPTS=${SLUICE_KAFKA_JVM_OPTS:-}

die() {
	echo "broker.sh: $*" >&2
	exit 1
}

log() {
	echo "broker.sh: $*" >&2
}

# ---- dependencies --------------------------------------------------------

have() {
	command -v "$1" >/dev/null 2>&1
}

# Installs what the broker needs from Debian: a Java 17 runtime, Maven (to
# resolve the jars from Maven Central) and kcat (readiness checks, tests).
cmd_deps() {
	local sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		openjdk-17-jre-headless maven kcat
}

need_tools() {
	local missing=
	have java || missing="$missing java"
	have mvn || missing="$missing mvn"
	have kcat || missing="$missing kcat"
	if [ -n "$missing" ]; then
		log "missing:$missing; installing with apt-get (broker.sh deps)"
		cmd_deps >&2 || die "could not install:$missing"
	fi
}

# ---- fetch ---------------------------------------------------------------

# Resolves the broker's jars with mvn into $LIBS. The cache is complete when
# $HOMEDIR/.complete exists; a second fetch then does nothing. Concurrent
# fetches serialise on a lock, and the jars land in a temporary directory
# that is renamed into place, so a half-done fetch is never used.
cmd_fetch() {
	if [ -e "$HOMEDIR/.complete" ]; then
		echo "$LIBS"
		return 0
	fi
	need_tools
	mkdir -p "$CACHE"
	exec 9>"$CACHE/kafka-$VERSION.lock"
	flock 9
	if [ -e "$HOMEDIR/.complete" ]; then
		exec 9>&-
		echo "$LIBS"
		return 0
	fi
	local tmp="$CACHE/kafka-$VERSION.tmp.$$" out
	rm -rf "$tmp" "$HOMEDIR"
	mkdir -p "$tmp"
	log "resolving org.apache.kafka:kafka_2.13:$VERSION from Maven Central"
	if ! out=$(mvn -B -q -f "$HERE/pom.xml" -Dkafka.version="$VERSION" \
		dependency:copy-dependencies -DincludeScope=runtime \
		-DoutputDirectory="$tmp/libs" 2>&1); then
		echo "$out" >&2
		rm -rf "$tmp"
		die "mvn could not resolve Kafka $VERSION (see above)"
	fi
	[ -e "$tmp/libs/kafka_2.13-$VERSION.jar" ] ||
		die "mvn ran but kafka_2.13-$VERSION.jar is not in $tmp/libs"
	echo "$VERSION" >"$tmp/version"
	touch "$tmp/.complete"
	mv "$tmp" "$HOMEDIR"
	exec 9>&-
	echo "$LIBS"
}

# ---- helpers -------------------------------------------------------------

# N (default 2) free TCP ports on 127.0.0.1. The sockets stay bound until
# all are chosen, so they differ; another process may still take one before
# the broker binds it, which start handles by retrying with new ports.
free_ports() {
	local n=${1:-2} got=() p out
	if have python3 && out=$(python3 - "$n" 2>/dev/null <<'EOF'
import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s:
    x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])
EOF
	) && [[ $out =~ ^[0-9\ ]+$ ]]; then
		echo "$out"
		return
	fi
	while [ ${#got[@]} -lt "$n" ]; do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null &&
			[[ " ${got[*]} " != *" $p "* ]]; then
			got+=("$p")
		fi
	done
	echo "${got[@]}"
}

# ---- secured listeners (--secure) -------------------------------------------

# A test CA, the broker's certificate (for 127.0.0.1 and localhost) and a
# client's, into DIR/tls. Keystores are PEM files (Kafka reads them with
# ssl.keystore.type=PEM); the client's key is encrypted with a password
# made up here, so a test has a TLS secret to look for in logs.
make_certs() {
	local t=$1/tls kpw=$2
	rm -rf "$t"
	mkdir -p "$t"
	(
		cd "$t"
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key \
			-out ca.pem -days 2 -subj "/CN=sluice-test-ca"
		openssl req -newkey rsa:2048 -nodes -keyout broker.key \
			-out broker.csr -subj "/CN=localhost"
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >broker.ext
		openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key \
			-CAcreateserial -out broker.pem -days 2 -extfile broker.ext
		cat broker.key broker.pem >broker-keystore.pem
		openssl req -newkey rsa:2048 -nodes -keyout client-plain.key \
			-out client.csr -subj "/CN=sluice-client"
		openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key \
			-CAcreateserial -out client.pem -days 2
		openssl pkcs8 -topk8 -in client-plain.key -out client.key \
			-passout "pass:$kpw"
		rm -f client-plain.key ca.key ./*.csr ./*.ext ./*.srl
	) >/dev/null 2>&1 || die "openssl could not make the test certificates"
}

# A made-up secret: letters and digits only (it goes into JAAS and shell).
secret() {
	head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20
}

# The listeners --secure adds, appended to server.properties: SASL (PLAIN
# and both SCRAMs) in clear and over TLS, and TLS with client
# certificates. PLAIN's user is in the JAAS line; SCRAM's are made with
# Kafka's ConfigCommand once the broker runs (scram_users).
secure_config() {
	local dir=$1 user=$5 pw=$6 l m
	cat <<EOF
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
ssl.keystore.type=PEM
ssl.keystore.location=$dir/tls/broker-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$dir/tls/ca.pem
listener.name.ssl.ssl.client.auth=required
EOF
	for l in sasl_plaintext sasl_ssl; do
		echo "listener.name.$l.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$user=\"$pw\";"
		for m in scram-sha-256 scram-sha-512; do
			echo "listener.name.$l.$m.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
		done
	done
}

# The user's SCRAM-SHA-512 credential, with Kafka's own admin tool
# (ConfigCommand, as kafka-configs.sh runs it) over the PLAINTEXT listener
# of the running broker (its SCRAM-SHA-256 one was made by StorageTool's
# --add-scram when the storage was formatted); then waits until the
# SASL_PLAINTEXT listener accepts it. kcat's librdkafka (Debian's 2.0.2)
# cannot do SCRAM with Kafka 4 (fixed in librdkafka 2.6.1), so there the
# listener is checked with PLAIN.
scram_users() {
	local dir=$1 bs=$2 user=$3 pw=$4 sasl=$5 i mech=SCRAM-SHA-512
	[ "${VERSION%%.*}" -ge 4 ] && mech=PLAIN
	java_tool "$dir" kafka.admin.ConfigCommand --bootstrap-server "$bs" \
		--alter --entity-type users --entity-name "$user" \
		--add-config "SCRAM-SHA-512=[password=$pw]" >/dev/null 2>&1 ||
		{ log "ConfigCommand could not add the SCRAM-SHA-512 user"; return 1; }
	for i in $(seq 1 100); do
		if kcat -b "$sasl" -L -m 1 -X security.protocol=SASL_PLAINTEXT \
			-X "sasl.mechanism=$mech" -X "sasl.username=$user" \
			-X "sasl.password=$pw" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	log "the broker does not accept the user ($mech) after 10 s"
	return 1
}

# A Kafka cluster id: 16 random bytes in URL-safe base64 without padding
# (what StorageTool random-uuid prints), not starting with '-' so no tool
# reads it as a flag. Saves a JVM start.
cluster_id() {
	local id
	while :; do
		id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
		[ "${id:0:1}" != "-" ] && break
	done
	echo "$id"
}

# True if pid is alive and is the broker of DIR (not a recycled pid).
is_ours() {
	local pid=$1 dir=$2
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] &&
		tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$dir/server.properties"
}

java_tool() {
	# Client-side tools: small heap, quick start.
	java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
		-Dlog4j2.configurationFile="$1/log4j2-tools.properties" \
		-cp "$LIBS/*" "${@:2}"
}

# write_config DIR PORT CPORT [SASL_PORT SSL_PORT SASL_SSL_PORT USER PW] -- [k=v ...]
write_config() {
	local dir=$1 port=$2 cport=$3 sec=() lis adv map
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		sec+=("$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	lis="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
	adv="PLAINTEXT://127.0.0.1:$port"
	map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
	if [ ${#sec[@]} -gt 0 ]; then
		local more="SASL_PLAINTEXT://127.0.0.1:${sec[0]},SSL://127.0.0.1:${sec[1]},SASL_SSL://127.0.0.1:${sec[2]}"
		lis="$lis,$more"
		adv="$adv,$more"
		map="$map,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL"
	fi
	cat >"$dir/server.properties" <<EOF
# Written by tests/kafka/broker.sh: a single-node KRaft broker for tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=$lis
advertised.listeners=$adv
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$map
log.dirs=$dir/data
# Tests create their topics: a write to a missing topic is an error, as in
# most production clusters, not a silently created topic.
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
# One node: internal topics with one replica, few partitions (fast start,
# fast first group join).
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
EOF
	if [ ${#sec[@]} -gt 0 ]; then
		secure_config "$dir" "${sec[@]}" >>"$dir/server.properties"
	fi
	local kv
	for kv in "$@"; do
		echo "$kv" >>"$dir/server.properties"
	done
	cat >"$dir/log4j2.properties" <<EOF
status = warn
appender.f.type = File
appender.f.name = F
appender.f.fileName = $dir/server.log
appender.f.layout.type = PatternLayout
appender.f.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.f.ref = F
logger.state.name = state.change.logger
logger.state.level = warn
EOF
	cat >"$dir/log4j2-tools.properties" <<EOF
status = warn
appender.e.type = Console
appender.e.name = E
appender.e.target = SYSTEM_ERR
appender.e.layout.type = PatternLayout
appender.e.layout.pattern = %p %m%n
rootLogger.level = warn
rootLogger.appenderRef.e.ref = E
EOF
}

# ---- start / stop --------------------------------------------------------

# One attempt: format, launch, wait until the broker answers metadata.
# Returns 0 when serving, 2 if the ports were taken (retry), 1 otherwise.
# start_once DIR SECURE [k=v ...]: SECURE 1 adds the secured listeners.
start_once() {
	local dir=$1 secure=$2 ports port cport pid i out sec=() user pw kpw
	shift 2
	if [ "$secure" = 1 ]; then
		read -r -a ports <<<"$(free_ports 5)"
	else
		read -r -a ports <<<"$(free_ports 2)"
	fi
	port=${ports[0]:-}
	cport=${ports[1]:-}
	if [ -z "$port" ] || [ -z "$cport" ]; then
		log "could not pick free ports"
		return 1
	fi
	rm -rf "$dir/data" "$dir/server.log" "$dir/stdout" "$dir/bootstrap" \
		"$dir/controller" "$dir/pid" "$dir/watchdog.pid" \
		"$dir/secure.env"
	mkdir -p "$dir/data"
	if [ "$secure" = 1 ]; then
		user=sluice-user
		pw=$(secret)
		kpw=$(secret)
		make_certs "$dir" "$kpw"
		sec=("${ports[2]}" "${ports[3]}" "${ports[4]}" "$user" "$pw")
	fi
	write_config "$dir" "$port" "$cport" "${sec[@]}" -- "$@"
	if ! out=$(java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
		-Dlog4j2.configurationFile="$dir/log4j2.properties" \
		-cp "$LIBS/*" kafka.tools.StorageTool format \
		-t "$(cluster_id)" -c "$dir/server.properties" \
		${user:+--add-scram "SCRAM-SHA-256=[name=$user,password=$pw]"} 2>&1); then
		echo "$out" >&2
		return 1
	fi
	# timeout(1) is the watchdog: it forwards SIGTERM to the broker when the
	# lifetime ends and SIGKILLs it 15 s later. bash -c records the JVM's
	# own pid (exec keeps it) so stop signals the broker, not the watchdog.
	# No fd of ours stays open in it, so $(broker.sh start) returns.
	# shellcheck disable=SC2086
	timeout --kill-after=15s "$MAX_LIFETIME" bash -c \
		'echo $$ >"$0/pid"; exec "$@"' "$dir" \
		java $HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
		-XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$dir/log4j2.properties" \
		$JVM_OPTS -cp "$LIBS/*" kafka.Kafka "$dir/server.properties" \
		</dev/null >"$dir/stdout" 2>&1 &
	echo $! >"$dir/watchdog.pid"
	local deadline=$((SECONDS + START_TIMEOUT))
	while [ ! -s "$dir/pid" ] && [ $SECONDS -lt $deadline ]; do
		sleep 0.05
	done
	pid=$(cat "$dir/pid" 2>/dev/null || true)
	while [ $SECONDS -lt $deadline ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			if grep -qs "BindException\|Address already in use" \
				"$dir/server.log" "$dir/stdout"; then
				return 2
			fi
			log "the broker exited while starting; last lines of its logs:"
			tail -n 20 "$dir/stdout" "$dir/server.log" >&2 || true
			return 1
		fi
		# Serving: it answers metadata and lists itself as an unfenced
		# broker (topics can be created).
		if out=$(kcat -b "127.0.0.1:$port" -L -m 2 2>/dev/null) &&
			grep -q "^ 1 brokers" <<<"$out"; then
			if [ "$secure" = 1 ]; then
				scram_users "$dir" "127.0.0.1:$port" "$user" \
					"$pw" "127.0.0.1:${ports[2]}" || {
					stop_dir "$dir"
					return 1
				}
				cat >"$dir/secure.env" <<EOF
SLUICE_KAFKA_BROKER_VERSION=$VERSION
SLUICE_KAFKA_SASL_PLAINTEXT=127.0.0.1:${ports[2]}
SLUICE_KAFKA_SSL=127.0.0.1:${ports[3]}
SLUICE_KAFKA_SASL_SSL=127.0.0.1:${ports[4]}
SLUICE_KAFKA_USER=$user
SLUICE_KAFKA_PASSWORD=$pw
SLUICE_KAFKA_CA=$dir/tls/ca.pem
SLUICE_KAFKA_CLIENT_CERT=$dir/tls/client.pem
SLUICE_KAFKA_CLIENT_KEY=$dir/tls/client.key
SLUICE_KAFKA_CLIENT_KEY_PASSWORD=$kpw
EOF
			fi
			echo "127.0.0.1:$port" >"$dir/bootstrap"
			echo "127.0.0.1:$cport" >"$dir/controller"
			return 0
		fi
		sleep 0.1
	done
	log "the broker did not serve within ${START_TIMEOUT}s; see $dir/server.log"
	stop_dir "$dir"
	return 1
}

cmd_start() {
	[ $# -ge 1 ] || die "usage: broker.sh start DIR [--secure] [key=value ...]"
	local dir rc try secure=0
	mkdir -p "$1"
	dir=$(cd "$1" && pwd)
	shift
	if [ "${1:-}" = --secure ]; then
		secure=1
		shift
	fi
	if is_ours "$(cat "$dir/pid" 2>/dev/null || true)" "$dir"; then
		die "a broker is already running in $dir (pid $(cat "$dir/pid"))"
	fi
	cmd_fetch >/dev/null
	for try in 1 2 3; do
		rc=0
		start_once "$dir" "$secure" "$@" || rc=$?
		case $rc in
		0)
			cat "$dir/bootstrap"
			return 0
			;;
		2) log "ports taken, retrying ($try)" ;;
		*) exit 1 ;;
		esac
	done
	die "could not find free ports for the broker"
}

stop_dir() {
	local dir=$1 pid wpid i
	pid=$(cat "$dir/pid" 2>/dev/null || true)
	wpid=$(cat "$dir/watchdog.pid" 2>/dev/null || true)
	if is_ours "$pid" "$dir"; then
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 200); do
			is_ours "$pid" "$dir" || break
			sleep 0.1
		done
		if is_ours "$pid" "$dir"; then
			log "broker $pid did not stop in 20 s; SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	# The watchdog ends by itself once the broker has; make sure.
	if [ -n "$wpid" ] && [ -r "/proc/$wpid/cmdline" ] &&
		tr '\0' ' ' <"/proc/$wpid/cmdline" | grep -q "^timeout .*$dir"; then
		for i in $(seq 1 20); do
			kill -0 "$wpid" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$wpid" 2>/dev/null || true
	fi
	rm -f "$dir/pid" "$dir/watchdog.pid"
}

cmd_stop() {
	[ $# -eq 1 ] || die "usage: broker.sh stop DIR"
	[ -d "$1" ] || die "no such directory: $1"
	stop_dir "$(cd "$1" && pwd)"
}

cmd_status() {
	[ $# -eq 1 ] || die "usage: broker.sh status DIR"
	local dir
	dir=$(cd "$1" 2>/dev/null && pwd) || exit 1
	if is_ours "$(cat "$dir/pid" 2>/dev/null || true)" "$dir"; then
		echo "running $(cat "$dir/bootstrap" 2>/dev/null) pid $(cat "$dir/pid")"
		return 0
	fi
	echo "stopped"
	return 1
}

# ---- topics --------------------------------------------------------------

# Creates a topic with the Kafka's own kafka-topics tool and waits until
# every partition has a leader, so a producer started next finds it.
cmd_create_topic() {
	[ $# -eq 3 ] || die "usage: broker.sh create-topic DIR NAME PARTITIONS"
	local dir name=$2 parts=$3 bs out i
	dir=$(cd "$1" && pwd)
	bs=$(cat "$dir/bootstrap" 2>/dev/null) || die "no broker in $dir"
	[ -e "$HOMEDIR/.complete" ] || die "Kafka $VERSION not fetched"
	java_tool "$dir" org.apache.kafka.tools.TopicCommand \
		--bootstrap-server "$bs" --create --topic "$name" \
		--partitions "$parts" --replication-factor 1 >/dev/null ||
		die "could not create topic $name"
	for i in $(seq 1 100); do
		out=$(kcat -b "$bs" -L -t "$name" 2>/dev/null || true)
		if grep -q "with $parts partitions" <<<"$out" &&
			! grep -q "leader -1" <<<"$out"; then
			return 0
		fi
		sleep 0.1
	done
	die "topic $name was created but has no leaders after 10 s"
}

# ---- selftest ------------------------------------------------------------

# End to end through a real broker with kcat: 1000 keyed records produced,
# consumed back, compared.
cmd_selftest() {
	local dir bs n=1000 t0 t1
	dir=$(mktemp -d "${TMPDIR:-/tmp}/sluice-kafka-selftest.XXXXXX")
	trap 'stop_dir "$dir"' EXIT
	t0=$(date +%s%N)
	bs=$(cmd_start "$dir")
	t1=$(date +%s%N)
	echo "broker at $bs, serving after $(((t1 - t0) / 1000000)) ms"
	cmd_create_topic "$dir" selftest 3
	seq 1 $n | awk '{ print "k" $1 ":v" $1 }' >"$dir/sent"
	kcat -b "$bs" -P -t selftest -K: -X acks=all <"$dir/sent"
	kcat -b "$bs" -C -t selftest -K: -o beginning -e -q -c $n \
		-f '%k:%s\n' >"$dir/got"
	if ! diff <(sort "$dir/sent") <(sort "$dir/got") >/dev/null; then
		die "selftest: sent $(wc -l <"$dir/sent"), got back $(wc -l <"$dir/got") differing records"
	fi
	echo "selftest: $n records produced and consumed back through Kafka $VERSION"
	stop_dir "$dir"
	trap - EXIT
	rm -rf "$dir"
}

case ${1:-} in
fetch) shift; cmd_fetch "$@" ;;
start) shift; cmd_start "$@" ;;
stop) shift; cmd_stop "$@" ;;
status) shift; cmd_status "$@" ;;
create-topic) shift; cmd_create_topic "$@" ;;
selftest) shift; cmd_selftest "$@" ;;
deps) shift; cmd_deps "$@" ;;
*)
	sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
