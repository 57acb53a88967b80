#!/usr/bin/env bash
# Threads of the gateway while N streams are failed over: the first provider (priority policy) answers 503, is
# retried once after the router's pause, answers 503 again, and the second serves each stream slowly. Counts the
# gateway's threads (/proc) and, in a thread dump, the virtual threads parked for a request (caravan-off-loop-*)
# while every stream is open on the second provider. Counts are load-independent.
# MODE=hedge: N hedged requests (answered whole) instead, both providers holding every call until the dump was taken:
# the first provider's calls, then (past its p95) each hedge's second call on the other; then the second answers, the
# first's calls are cut, and the answers and their attempts are counted.
#   bench/failover-threads.sh            # STREAMS=200
#   MODE=hedge bench/failover-threads.sh # STREAMS=200 hedged requests
set -euo pipefail
source "$(dirname "$0")/lib.sh"
STREAMS=${STREAMS:-200}
MODE=${MODE:-failover}
PROVIDERS="openai groq"
ensure_tools
ensure_jar
JCMD=$(dirname "$JAVA")/jcmd
start_simulator_host
threads() { awk '/^Threads:/{print $2}' "/proc/$GW_PID/status"; }
held() { curl -sf "http://127.0.0.1:$SIM_PORT/$1/_faults" | grep -o '"held_calls" *: *[0-9]*' | grep -o '[0-9]*$'; }
if [[ $MODE == hedge ]]; then
    GATEWAY_PROPS="-Dcaravan.routing.policy=priority -Dcaravan.hedging.enabled=true -Dcaravan.hedging.budget=1.0 ${GATEWAY_PROPS:-}"
    start_gateway_on_simulator
    BODY='{"model":"fast","messages":[{"role":"user","content":"hedge me"}]}'
    for _ in $(seq 1 20); do # the first provider's p95
        curl -sf -o /dev/null -H 'Content-Type: application/json' -H 'x-caravan-providers: openai' -d "$BODY" \
            "http://127.0.0.1:$GW_PORT/v1/chat/completions"
    done
    for p in openai groq; do
        curl -sf -o /dev/null -X POST "http://127.0.0.1:$SIM_PORT/$p/_faults" -d '{"mode":"hold"}'
    done
    log "gateway threads at rest: $(threads)"
    CURLS=()
    for i in $(seq 1 "$STREAMS"); do
        curl -s -o /dev/null -D "$RUN_DIR/h$i.txt" --max-time 120 -H 'Content-Type: application/json' \
            -H 'x-caravan-hedge: true' -d "$BODY" "http://127.0.0.1:$GW_PORT/v1/chat/completions" &
        CURLS+=($!)
    done
    for _ in $(seq 1 120); do
        (( $(held openai) >= STREAMS && $(held groq) >= STREAMS )) && break
        sleep 0.5
    done
    log "calls held: first provider $(held openai), hedges $(held groq) of $STREAMS"
    "$JCMD" "$GW_PID" Thread.dump_to_file -format=text "$RUN_DIR/threads.txt" >/dev/null
    log "gateway threads during the hedges: $(threads); caravan-off-loop virtual threads: \
$(grep -c '"caravan-off-loop' "$RUN_DIR/threads.txt" || true); virtual threads in all: \
$(grep -cE '^#[0-9]+ ".*" virtual' "$RUN_DIR/threads.txt" || true); stack frames in Hedger: \
$(grep -c 'Hedger' "$RUN_DIR/threads.txt" || true)"
    curl -sf -o /dev/null -X POST "http://127.0.0.1:$SIM_PORT/groq/_faults/release"
    wait "${CURLS[@]}" || true
    log "answers 200 from the hedge, the first cancelled: \
$( (grep -li '^x-caravan-attempts: openai:[^,]*=cancelled, groq:[^,]*=ok' "$RUN_DIR"/h*.txt || true) | wc -l) of $STREAMS; \
first provider's calls still held after the answers: $(held openai)"
    exit 0
fi
GATEWAY_PROPS="-Dcaravan.routing.policy=priority ${GATEWAY_PROPS:-}"
start_gateway_on_simulator
curl -sf -o /dev/null -X POST "http://127.0.0.1:$SIM_PORT/openai/_faults" -d '{"status":503}'
curl -sf -o /dev/null -X POST "http://127.0.0.1:$SIM_PORT/groq/_faults" -d '{"stream":{"first_token_ms":100,"chunk_ms":500}}'
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
