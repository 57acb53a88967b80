#!/usr/bin/env bash
# The gateway's live heap at rest: started with the shipped application.properties (simulated providers, as with
# no keys set), answered one chat request, then left idle; a class histogram of live objects (jmap -histo:live,
# which runs a full GC first). Run twice: with the shipped configuration, and with its models all counting with
# one tokenizer encoding (the shipped embedding alias text-embedding-3-small, the one cl100k_base model, removed).
# Prints the live heap and the instances of the tokenizer's table entries (one jtokkit ByteArrayWrapper per token:
# ~200K for o200k_base, ~100K for cl100k_base). CARAVAN_JAR measures another build.
#
#   bench/heap-at-rest.sh
#   CARAVAN_JAR=/tmp/other.jar bench/heap-at-rest.sh
source "$(dirname "$0")/lib.sh"

JMAP=${JMAP:-$JAVA_HOME/bin/jmap}

bound_run_time 300 "$0" "$@"
ensure_jar

measure() { # label [-Dkey=value...]
    local label=$1 port mgmt sim
    shift
    port=$(free_port); mgmt=$(free_port); sim=$(free_port)
    start_caravan "$label" -Dcaravan.http.port="$port" -Dcamel.management.port="$mgmt" \
        -Dcaravan.simulator.port="$sim" -Dcaravan.health.interval=1h "$@"
    local pid=$LAST_PID
    wait_http "http://127.0.0.1:$port/v1/models" 90 "$pid" "$RUN_DIR/$label.log"
    curl -sf -o /dev/null --max-time 10 "http://127.0.0.1:$port/v1/chat/completions" \
        -H 'Content-Type: application/json' -d '{"model":"fast","messages":[{"role":"user","content":"hello"}]}' \
        || die "the chat request failed"
    sleep 3
    "$JMAP" -histo:live "$pid" >"$RUN_DIR/histo-$label.txt" || die "jmap failed"
    awk -v label="$label" '
        /com.knuddels.jtokkit.ByteArrayWrapper$/ { tokens = $2 }
        /^Total/ { total = $3 }
        END { printf "%-28s live heap %6.1f MB   tokenizer table entries %7d\n", label, total / 1048576, tokens }
    ' "$RUN_DIR/histo-$label.txt"
    grep -h "Token counting loaded" "$RUN_DIR/$label.log" | sed 's/.* - /    /' || true
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
}

measure shipped
sed '/^caravan.embedding.model.text-embedding-3-small/d' "$RUN_DIR/application.properties" \
    >"$RUN_DIR/one-encoding.properties"
measure one-encoding -Dcaravan.config="$RUN_DIR/one-encoding.properties"
