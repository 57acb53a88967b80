#!/usr/bin/env bash
# Sequential quiet-machine runs; each run's output in $Q/<run>/, its console in $Q/<run>.log
cd /tmp/bench-main
export JAVA_HOME=$(.ci/java-home)
export QUIET_WAIT=60
Q=/tmp/bench-main/bench/results/2026-12-06-2305/quiet
END=$(date -u -d '23:35' +%s)
SHIPPED_NO_TRIM="-Xms320m -Xmx320m -XX:-ClassUnloadingWithConcurrentMark -XX:MarkStackSize=256k -XX:MetaspaceSize=96m -Dio.netty.allocator.maxOrder=7"
precheck() { local d=$Q/$1; mkdir -p "$d"; { date -u; uptime; top -bn1 | head -15; ps -eo pid,pcpu,etime,args --sort=-pcpu | grep -E 'java|mvn|wrk|nginx' | grep -v grep | head; } > "$d/precheck.txt"; }
run() { # name min_seconds_needed env... -- cmd
  local name=$1 need=$2; shift 2
  local now=$(date -u +%s)
  if (( now + need > END )); then echo "SKIP $name at $(date -u +%T): needs ${need}s" | tee -a $Q/skipped.txt; return; fi
  precheck "$name"
  echo "START $name $(date -u +%T)" | tee -a $Q/timeline.txt
  env RESULTS_DIR=$Q/$name GATEWAY_PROPS="-Xlog:gc*,safepoint:file=$Q/$name/gc.log:utctime,uptime" "$@" > $Q/$name.log 2>&1
  local rc=$?; cp $Q/$name.log $Q/$name/console.txt; echo "END $name $(date -u +%T) rc=$rc" | tee -a $Q/timeline.txt
}
run overhead-passthru 330 FLOOR=1 CONNS="1 16 64" DURATION=10s WARMUP=30s bench/overhead.sh
run overhead-passthru-repeat 200 FLOOR=1 CONNS=64 DURATION=10s WARMUP=30s bench/overhead.sh
run streaming 170 bench/streaming.sh
run streaming-notrim 170 CARAVAN_JVM_OPTS="$SHIPPED_NO_TRIM" bench/streaming.sh
run alloc 80 bench/alloc.sh
run camel-steps 70 bench/camel-steps.sh
run concurrency-10000 200 CONNS=10000 LATENCY_MS=3000 bench/concurrency.sh
run overhead-passthru-repeat2 200 FLOOR=1 CONNS=64 DURATION=10s WARMUP=30s bench/overhead.sh
echo "ALL DONE $(date -u +%T)" | tee -a $Q/timeline.txt
