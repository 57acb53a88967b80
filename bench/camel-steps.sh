#!/usr/bin/env bash
# Camel's engine work per chat completion, counted rather than timed: bench/alloc.sh's run (the fake upstream, the
# pass-through path) recorded with JFR method timing (JDK 25), which counts every call of the named methods. Counts
# per request do not move with the machine's load, unlike CPU time.
#
#   bench/camel-steps.sh                      # 64 connections, 15 s warm-up, 10 s counted
#   CARAVAN_JAR=/tmp/old/caravan.jar CARAVAN_HOME=/tmp/old bench/camel-steps.sh   # another build
#
# Prints, per request (requests = units of work made, one per exchange the HTTP consumer creates):
#   channels          CamelInternalProcessor.process: every step's channel, each route's own (its unit of work,
#                     inflight count, lifecycle) and the try block's catch clauses, which run even when nothing failed
#   pipelines         Pipeline.process: a route's or block's steps, each a task queued on the reactive executor
#   executor turns    schedule and scheduleMain of the reactive executor (Camel's DefaultReactiveExecutor, or
#                     Caravan's ReactiveSteps): a thread-local look-up each
#   async events      EventHelper.notifyExchangeAsyncProcessingStartedEvent: a step that went on asynchronously
#   notifiers asked   SimpleEventNotifierSupport.isIgnoreExchangeEvents: each notifier walked for an exchange event
#   properties        AbstractExchange get/setProperty by String (a map look-up each) and by ExchangePropertyKey
#   headers set       DefaultMessage.setHeader (the case-insensitive TreeMap)
#   inflight counts   DefaultInflightRepository add/remove (each route entry, and the unit of work's own)
#   catch clauses     CatchProcessor.process: a doTry's catch asked whether it catches (on every request)
#   trace checks      the reactive executor's LOG.isTraceEnabled(), as Camel's DefaultReactiveExecutor asks it
source "$(dirname "$0")/lib.sh"

CONNS=${CONNS:-64}
WARMUP=${WARMUP:-15s}
DURATION=${DURATION:-10s}
bound_run_time $(( ${DURATION%s} + ${WARMUP%s} + 600 )) "$0" "$@"

calls_per_request "Camel engine calls per chat completion" 34 \
    "org.apache.camel.impl.engine.CamelInternalProcessor::process" \
    "org.apache.camel.processor.Pipeline::process" \
    "org.apache.camel.impl.engine.DefaultReactiveExecutor::schedule" \
    "org.apache.camel.impl.engine.DefaultReactiveExecutor::scheduleMain" \
    "dev.caravan.ReactiveSteps::schedule" \
    "dev.caravan.ReactiveSteps::scheduleMain" \
    "org.apache.camel.support.EventHelper::notifyExchangeAsyncProcessingStartedEvent" \
    "org.apache.camel.support.SimpleEventNotifierSupport::isIgnoreExchangeEvents" \
    "org.apache.camel.support.AbstractExchange::getProperty" \
    "org.apache.camel.support.AbstractExchange::setProperty" \
    "org.apache.camel.support.DefaultMessage::setHeader" \
    "org.apache.camel.impl.engine.DefaultInflightRepository::add" \
    "org.apache.camel.impl.engine.DefaultInflightRepository::remove" \
    "org.apache.camel.processor.CatchProcessor::process" \
    "org.apache.logging.slf4j.Log4jLogger::isTraceEnabled" \
    -- \
    'channels (CamelInternalProcessor)|sum("CamelInternalProcessor.process")' \
    'pipelines|sum("Pipeline.process")' \
    'reactive executor turns|sum("DefaultReactiveExecutor.schedule") + sum("ReactiveSteps.schedule")' \
    'async-started events|sum("notifyExchangeAsyncProcessingStartedEvent")' \
    'event notifiers asked for them|sum("isIgnoreExchangeEvents")' \
    'properties read by String|sum("getProperty\\(Ljava/lang/String;\\)")' \
    'properties set by String|sum("setProperty\\(Ljava/lang/String;")' \
    'properties read by key|sum("getProperty\\(Lorg/apache/camel/ExchangePropertyKey;\\)")' \
    'headers set|sum("DefaultMessage.setHeader")' \
    'inflight counts (add + remove)|sum("DefaultInflightRepository")' \
    'catch clauses asked|sum("CatchProcessor.process")' \
    'trace checks (any logger)|sum("Log4jLogger.isTraceEnabled")'
