#!/usr/bin/env bash
# Threads of the gateway while N streams are failed over: the first provider (priority policy) answers 503, is
# retried once after the router's pause, answers 503 again, and the second serves each stream slowly. Counts the
# gateway's threads (/proc) and, in a thread dump, the virtual threads parked for a request (caravan-off-loop-*)
# while every stream is open on the second provider. Counts are load-independent.
#   bench/failover-threads.sh            # STREAMS=200
set -euo pipefail
source "$(dirname "$0")/lib.sh"
STREAMS=${STREAMS:-200}
PROVIDERS="openai groq"
ensure_tools
ensure_jar
JCMD=$(dirname "$JAVA")/jcmd
start_simulator_host
GATEWAY_PROPS="-Dcaravan.routing.policy=priority ${GATEWAY_PROPS:-}"
start_gateway_on_simulator
curl -sf -o /dev/null -X POST "http://127.0.0.1:$SIM_PORT/openai/_faults" -d '{"status":503}'
curl -sf -o /dev/null -X POST "http://127.0.0.1:$SIM_PORT/groq/_faults" -d '{"stream":{"first_token_ms":100,"chunk_ms":500}}'
threads() { awk '/^Threads:/{print $2}' "/proc/$GW_PID/status"; }
log "gateway threads at rest: $(threads)"
CURLS=()
for i in $(seq 1 "$STREAMS"); do
    curl -sN -o "$RUN_DIR/s$i.txt" --max-time 120 -H 'Content-Type: application/json' \
        -d '{"model":"fast","stream":true,"messages":[{"role":"user","content":"a story of many words told slowly to the end"}]}' \
        "http://127.0.0.1:$GW_PORT/v1/chat/completions" &
    CURLS+=($!)
done
for _ in $(seq 1 60); do
    open=$( (grep -l '"content":"' "$RUN_DIR"/s*.txt 2>/dev/null || true) | wc -l)
    (( open >= STREAMS )) && break
    sleep 0.5
done
log "streams begun on the second provider: $open of $STREAMS"
"$JCMD" "$GW_PID" Thread.dump_to_file -format=text "$RUN_DIR/threads.txt" >/dev/null
log "gateway threads during the failover: $(threads); caravan-off-loop virtual threads: $(grep -c '"caravan-off-loop' "$RUN_DIR/threads.txt" || true)"
wait "${CURLS[@]}" || true
log "streams ended with [DONE]: $( (grep -l '^data: \[DONE\]' "$RUN_DIR"/s*.txt || true) | wc -l) of $STREAMS"
