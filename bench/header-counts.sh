#!/usr/bin/env bash
# Header work per chat completion, counted rather than timed, as bench/camel-steps.sh counts Camel's steps: the
# pass-through run of bench/alloc.sh recorded with JFR method timing (JDK 25). Counts per request do not move with
# the machine's load.
#
#   bench/header-counts.sh
#   CARAVAN_JAR=/tmp/old/caravan.jar bench/header-counts.sh   # another build
#
# Prints, per request, the calls of: Camel's DefaultMessage.setHeader (the case-insensitive TreeMap), Vert.x's
# HeadersMultiMap.add0 and HttpUtils.validateHeader (every header put on a Vert.x request or response, checked),
# HeadersMultiMap.encoderHeader (each header of the reply's head written), Netty's DefaultHeaders.validateName (the
# provider request's headers copied into Netty's own map, the provider answer's decoded), HttpHeadersEncoder
# (the provider request's head written), RepeatedHeaders' two look-ups per provider request header, and the typed
# reply heads moved into Camel's header map (ReplyHeaders.handTo: a step after the answer needed the whole map).
source "$(dirname "$0")/lib.sh"
CONNS=${CONNS:-64}
WARMUP=${WARMUP:-15s}
DURATION=${DURATION:-10s}
bound_run_time $(( ${DURATION%s} + ${WARMUP%s} + 600 )) "$0" "$@"
METHODS=(
    "org.apache.camel.impl.engine.DefaultUnitOfWork::<init>"
    "org.apache.camel.support.DefaultMessage::setHeader"
    "io.vertx.core.http.impl.headers.HeadersMultiMap::add0"
    "io.vertx.core.http.impl.HttpUtils::validateHeader"
    "io.vertx.core.http.impl.headers.HeadersMultiMap::encoderHeader"
    "io.netty.handler.codec.DefaultHeaders::validateName"
    "io.netty.handler.codec.http.HttpHeadersEncoder::encoderHeader"
    "dev.caravan.provider.RepeatedHeaders\$Named::value"
    "dev.caravan.provider.RepeatedHeaders::named"
    "dev.caravan.ingress.protocol.ReplyHeaders::handTo"
)
SETTINGS="$RUN_DIR/headers.jfc"
"$JAVA_HOME/bin/jfr" configure --input default "method-timing=$(IFS=';'; echo "${METHODS[*]}")" --output "$SETTINGS" >/dev/null
OUT="$RUN_DIR/alloc"
mkdir -p "$OUT"
RESULTS_DIR="$OUT" JFR_SETTINGS="$SETTINGS" CONNS=$CONNS WARMUP=$WARMUP DURATION=$DURATION TOP=1 \
    "$BENCH_DIR/alloc.sh" >/dev/null
"$JAVA_HOME/bin/jfr" print --json --events jdk.MethodTiming "$OUT/alloc.jfr" >"$RUN_DIR/timing.json"
# the last event per method holds its count over the whole recording
jq -r '[.recording.events[].values | {m: (.method.type.name + "." + .method.name + .method.descriptor), n: .invocations}]
       | group_by(.m) | map({m: .[0].m, n: (map(.n) | max)}) | .[] | "\(.n)\t\(.m)"' "$RUN_DIR/timing.json" \
    >"$RUN_DIR/counts.tsv"
awk -F'\t' -v conns="$CONNS" -v when="$(date -u '+%Y-%m-%d %H:%M UTC')" '
    { n[$2] = $1 }
    function sum(pat,   k, s) { s = 0; for (k in n) if (k ~ pat) s += n[k]; return s }
    END {
        r = sum("DefaultUnitOfWork.<init>\\(Lorg/apache/camel/Exchange;Lorg/slf4j/Logger")
        if (r == 0) r = sum("DefaultUnitOfWork.<init>")
        if (r == 0) { print "no request counted"; exit 1 }
        printf "Header work per chat completion (pass-through, %d connections, %d requests counted); %s\n", conns, r, when
        printf "  %-46s %6.1f\n", "Camel headers set (DefaultMessage.setHeader)", sum("DefaultMessage.setHeader") / r
        printf "  %-46s %6.1f\n", "Vert.x headers added (HeadersMultiMap.add0)", sum("HeadersMultiMap.add0") / r
        printf "  %-46s %6.1f\n", "Vert.x header checks (validateHeader)", sum("HttpUtils.validateHeader") / r
        printf "  %-46s %6.1f\n", "reply head lines written (Vert.x)", sum("HeadersMultiMap.encoderHeader") / r
        printf "  %-46s %6.1f\n", "Netty header names checked", sum("DefaultHeaders.validateName") / r
        printf "  %-46s %6.1f\n", "provider request head lines written (Netty)", sum("HttpHeadersEncoder.encoderHeader") / r
        printf "  %-46s %6.1f\n", "RepeatedHeaders look-ups", sum("RepeatedHeaders") / r
        printf "  %-46s %6.1f\n", "typed heads moved into the map (handTo)", sum("ReplyHeaders.handTo") / r
    }' "$RUN_DIR/counts.tsv"
