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
calls_per_request "Header work per chat completion" 46 \
    "org.apache.camel.support.DefaultMessage::setHeader" \
    "io.vertx.core.http.impl.headers.HeadersMultiMap::add0" \
    "io.vertx.core.http.impl.HttpUtils::validateHeader" \
    "io.vertx.core.http.impl.headers.HeadersMultiMap::encoderHeader" \
    "io.netty.handler.codec.DefaultHeaders::validateName" \
    "io.netty.handler.codec.http.HttpHeadersEncoder::encoderHeader" \
    "dev.caravan.provider.RepeatedHeaders\$Named::value" \
    "dev.caravan.provider.RepeatedHeaders::named" \
    "dev.caravan.ingress.protocol.ReplyHeaders::handTo" \
    -- \
    'Camel headers set (DefaultMessage.setHeader)|sum("DefaultMessage.setHeader")' \
    'Vert.x headers added (HeadersMultiMap.add0)|sum("HeadersMultiMap.add0")' \
    'Vert.x header checks (validateHeader)|sum("HttpUtils.validateHeader")' \
    'reply head lines written (Vert.x)|sum("HeadersMultiMap.encoderHeader")' \
    'Netty header names checked|sum("DefaultHeaders.validateName")' \
    'provider request head lines written (Netty)|sum("HttpHeadersEncoder.encoderHeader")' \
    'RepeatedHeaders look-ups|sum("RepeatedHeaders")' \
    'typed heads moved into the map (handTo)|sum("ReplyHeaders.handTo")'
