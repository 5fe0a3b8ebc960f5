#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, combined broker + controller) from Maven
# Central jars, for atkafka's tests and demo. No tarball, no Docker.
#
#   kafka-broker.sh fetch                 copy the broker jars into .cache/ (idempotent)
#   kafka-broker.sh start WORKDIR [PID]   format + start in WORKDIR, wait until ready; with PID,
#                                         a watchdog stops the broker when that process dies
#   kafka-broker.sh stop WORKDIR [--rm]   stop it (TERM, then KILL), optionally remove WORKDIR
#   kafka-broker.sh resume WORKDIR [PID]  start a stopped broker again: same data, same ports
#
# After start, WORKDIR/env holds the addresses (shell syntax, also valid for `node --env-file`):
#   KAFKA_BOOTSTRAP        PLAINTEXT listener
#   KAFKA_SASL_BOOTSTRAP   SASL_PLAINTEXT listener: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
#   KAFKA_SSL_BOOTSTRAP    SSL listener (server auth only); CA certificate in KAFKA_SSL_CA
#   KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD   a user known to every SASL mechanism
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${ATKAFKA_CACHE:-$ROOT/.cache}"
KAFKA_VERSION="${KAFKA_VERSION:-4.2.0}"
LIBS="$CACHE/kafka-$KAFKA_VERSION/libs"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
SASL_USER=atkafka
SASL_PASS=atkafka-secret

log() { echo "kafka-broker: $*" >&2; }

fetch() {
  [ -f "$LIBS/.complete" ] && return 0
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $LIBS"
  rm -rf "$LIBS"
  mkdir -p "$LIBS"
  mvn -q -B -Dstyle.color=never -f "$ROOT/kafka-broker/pom.xml" -Dmaven.repo.local="$CACHE/m2" \
    -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS" >&2
  ls "$LIBS"/kafka_2.13-*.jar "$LIBS"/kafka-clients-*.jar "$LIBS"/log4j-core-*.jar \
    "$LIBS"/log4j-slf4j-impl-*.jar >/dev/null
  [ "$(find "$LIBS" -name 'slf4j-api-*.jar' | wc -l)" -eq 1 ] || { log "expected exactly one slf4j-api jar"; return 1; }
  touch "$LIBS/.complete"
}

# N distinct free loopback ports, all held open until every one is known
free_ports() {
  node -e '
    const net = require("node:net"); const n = +process.argv[1]; const ss = []; let ok = 0;
    for (let i = 0; i < n; i++) { const s = net.createServer(); ss.push(s);
      s.listen(0, "127.0.0.1", () => { if (++ok === n) {
        console.log(ss.map((x) => x.address().port).join(" ")); ss.forEach((x) => x.close()); } }); }' "$1"
}

cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    case "$id" in *-*) ;; *) printf '%s\n' "$id"; return ;; esac
  done
}

make_certs() {
  local w="$1/tls"
  mkdir -p "$w"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=atkafka-test-ca" \
    -keyout "$w/ca.key" -out "$w/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$w/broker.key" -out "$w/broker.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >"$w/broker.ext"
  openssl x509 -req -in "$w/broker.csr" -CA "$w/ca.pem" -CAkey "$w/ca.key" -CAcreateserial \
    -days 3650 -extfile "$w/broker.ext" -out "$w/broker.crt" 2>/dev/null
  cat "$w/broker.key" "$w/broker.crt" >"$w/broker.pem"
}

write_config() {
  local work="$1" port cport sport tport
  read -r port cport sport tport < <(free_ports 4)
  cat >"$work/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,SASL_PLAINTEXT://127.0.0.1:$sport,SSL://127.0.0.1:$tport,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port,SASL_PLAINTEXT://127.0.0.1:$sport,SSL://127.0.0.1:$tport
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$SASL_USER="$SASL_PASS";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PEM
ssl.keystore.location=$work/tls/broker.pem
log.dirs=$work/data
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
num.partitions=1
auto.create.topics.enable=false
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
log.segment.bytes=67108864
EOF
  cat >"$work/log4j2.properties" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = STDOUT
logger.req.name = kafka.request.logger
logger.req.level = warn
logger.sc.name = state.change.logger
logger.sc.level = warn
EOF
  cat >"$work/log4j2-tools.properties" <<'EOF'
status = warn
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.err.ref = STDERR
EOF
  cat >"$work/env.pending" <<EOF
KAFKA_BOOTSTRAP=127.0.0.1:$port
KAFKA_SASL_BOOTSTRAP=127.0.0.1:$sport
KAFKA_SSL_BOOTSTRAP=127.0.0.1:$tport
KAFKA_SSL_CA=$work/tls/ca.pem
KAFKA_SASL_USERNAME=$SASL_USER
KAFKA_SASL_PASSWORD=$SASL_PASS
EOF
}

start() {
  local work="${1:?usage: start WORKDIR [WATCH_PID]}" watch="${2:-}"
  fetch
  [ -f "$work/kafka.pid" ] && stop "$work"
  rm -rf "$work/data" "$work/logs" "$work/tls" "$work/env" "$work/env.pending"
  mkdir -p "$work/data" "$work/logs" "$work/tmp"
  local t0=$SECONDS
  make_certs "$work"
  write_config "$work"
  "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    -Dlog4j2.configurationFile="$work/log4j2-tools.properties" -cp "$LIBS/*" \
    kafka.tools.StorageTool format -t "$(cluster_id)" -c "$work/server.properties" \
    --add-scram "SCRAM-SHA-256=[name=$SASL_USER,password=$SASL_PASS]" \
    --add-scram "SCRAM-SHA-512=[name=$SASL_USER,password=$SASL_PASS]" \
    >"$work/logs/format.out" 2>&1 || { cat "$work/logs/format.out" >&2; return 1; }
  launch "$work"
  local pid
  pid="$(cat "$work/kafka.pid")"
  mv "$work/env.pending" "$work/env"
  [ -n "$watch" ] && watchdog "$watch" "$pid"
  # shellcheck disable=SC1091
  . "$work/env"
  log "Kafka $KAFKA_VERSION ready in $((SECONDS - t0))s at $KAFKA_BOOTSTRAP (SASL $KAFKA_SASL_BOOTSTRAP, TLS $KAFKA_SSL_BOOTSTRAP), pid $pid"
}

launch() {
  local work="$1"
  : >"$work/logs/broker.out"
  "$JAVA" -Xms128m -Xmx768m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true -Djava.io.tmpdir="$work/tmp" \
    -Dkafka.logs.dir="$work/logs" -Dlog4j2.configurationFile="$work/log4j2.properties" \
    -cp "$LIBS/*" kafka.Kafka "$work/server.properties" \
    >"$work/logs/broker.out" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$work/kafka.pid"
  wait_ready "$work" "$pid"
}

# stop the broker if the process that asked for it dies without stopping it
watchdog() {
  local watch="$1" pid="$2"
  (
    trap '' HUP INT
    while kill -0 "$watch" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
    kill -0 "$pid" 2>/dev/null && { kill -TERM "$pid" 2>/dev/null; sleep 5; kill -KILL "$pid" 2>/dev/null; }
  ) </dev/null >/dev/null 2>&1 &
  disown
}

resume() {
  local work="${1:?usage: resume WORKDIR [WATCH_PID]}" watch="${2:-}" t0=$SECONDS
  [ -f "$work/env" ] || { log "no broker was started in $work"; return 1; }
  [ -f "$work/kafka.pid" ] && kill -0 "$(cat "$work/kafka.pid")" 2>/dev/null && { log "broker already running"; return 0; }
  launch "$work"
  [ -n "$watch" ] && watchdog "$watch" "$(cat "$work/kafka.pid")"
  log "broker resumed in $((SECONDS - t0))s, pid $(cat "$work/kafka.pid")"
}

wait_ready() {
  local work="$1" pid="$2" deadline=$((SECONDS + TIMEOUT))
  until grep -q 'Kafka Server started' "$work/logs/broker.out" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "broker exited during startup"; tail -n 60 "$work/logs/broker.out" >&2; return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "broker not ready after ${TIMEOUT}s"; tail -n 60 "$work/logs/broker.out" >&2
      kill -KILL "$pid" 2>/dev/null || true
      return 1
    fi
    sleep 0.2
  done
}

stop() {
  local work="${1:?usage: stop WORKDIR [--rm]}" rm="${2:-}"
  if [ -f "$work/kafka.pid" ]; then
    local pid
    pid="$(cat "$work/kafka.pid")"
    if kill -TERM "$pid" 2>/dev/null; then
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -KILL "$pid" 2>/dev/null && log "broker $pid did not stop in 15s; killed" || true
    fi
    rm -f "$work/kafka.pid"
  fi
  if [ "$rm" = "--rm" ]; then rm -rf "$work"; fi
}

case "${1:-}" in
  fetch) fetch ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  resume) shift; resume "$@" ;;
  *) echo "usage: $0 fetch | start WORKDIR [WATCH_PID] | stop WORKDIR [--rm] | resume WORKDIR [PID]" >&2; exit 2 ;;
esac
