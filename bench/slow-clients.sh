#!/usr/bin/env bash
# Slow and idle clients: SLOW connections trickling their request head a byte a second and IDLE connections sending
# nothing, against a gateway with the shipped connection limits (caravan.http.*), plus one ordinary request while
# they are all open. Usage: bench/slow-clients.sh [SLOW] [IDLE]   (defaults 500 and 5000; ~75 s at most)
source "$(dirname "$0")/lib.sh"
trap cleanup EXIT
SLOW=${1:-500}; IDLE=${2:-5000}
ulimit -n "$(ulimit -Hn)"
ensure_jar
GW_PORT=$(free_port); MGMT_PORT=$(free_port)
start_caravan caravan -Dcaravan.http.port="$GW_PORT" -Dcamel.management.port="$MGMT_PORT" \
    -Dcaravan.simulator.port="$(free_port)" -Dcaravan.health.interval=1h
wait_http "http://127.0.0.1:$GW_PORT/v1/models" 90 "$LAST_PID" "$RUN_DIR/caravan.log"
log "gateway on 127.0.0.1:$GW_PORT: $SLOW slow heads, $IDLE idle connections"
python3 "$BENCH_DIR/slow_clients.py" "$GW_PORT" "$SLOW" "$IDLE"
