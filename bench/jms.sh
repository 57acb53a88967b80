#!/usr/bin/env bash
# JMS throughput: N request messages through the embedded broker and the gateway to the built-in
# simulator (no latency), answers collected on a temporary reply queue. Usage: bench/jms.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5000}
JAVA_HOME=$(.ci/java-home); JAVA="$JAVA_HOME/bin/java"
[ -f target/caravan.jar ] || JAVA_HOME=$JAVA_HOME mvn -B -q package -DskipTests
work=$(mktemp -d /tmp/caravan-jms.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
HTTP=$(free_port); SIM=$(free_port); MGMT=$(free_port); BROKER=$(free_port)
"$JAVA" --enable-native-access=ALL-UNNAMED ${CARAVAN_JVM_OPTS:-} -Dcaravan.http.port=$HTTP -Dcaravan.simulator.port=$SIM -Dcamel.management.port=$MGMT \
  -Dcaravan.jms.acceptor=tcp://127.0.0.1:$BROKER -Dcaravan.jms.data-dir=$work/broker \
  -Dcaravan.file.enabled=false -Dcaravan.file.inbox=$work/inbox -Dcaravan.file.outbox=$work/outbox \
  -Dcaravan.file.done=$work/done -Dcaravan.file.error=$work/error -Dcaravan.health.interval=1h \
  -jar target/caravan.jar > "$work/gateway.log" 2>&1 &
GW=$!
trap 'kill $GW 2>/dev/null; wait $GW 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$HTTP/v1/models" >/dev/null && break; sleep 0.5; done
echo "warm-up: 2000 messages"
"$JAVA" -cp target/caravan.jar bench/JmsLoad.java "tcp://127.0.0.1:$BROKER" 2000 > /dev/null
echo "measured: $N messages"
"$JAVA" -cp target/caravan.jar bench/JmsLoad.java "tcp://127.0.0.1:$BROKER" "$N"
