#!/usr/bin/env bash
# Follow-up in the same window: the first overhead-shape run hung on floors that could not load the gateway's
# RequestRecord (bench/floor/pom.xml did not copy it); floor rebuilt with it, the run is made again after the
# 10,000 runs, then streaming if it can end by 05:23.
cd /tmp/bench-main
export JAVA_HOME=$(.ci/java-home)
export QUIET_WAIT=60
Q=/tmp/bench-main/bench/results/2026-12-07-0450-quiet
while ! grep -q "END concurrency-10000-repeat" $Q/timeline.txt; do sleep 2; done
pkill -f /tmp/bench-run-0450.sh; sleep 1
echo "follow-up (bench-run-b.sh) at $(date -u +%T): first overhead-shape hung on floors missing RequestRecord; floor rebuilt" | tee -a $Q/timeline.txt
cp "$0" $Q/bench-run-b.sh
END=$(date -u -d '05:23' +%s)
precheck() { local d=$Q/$1; mkdir -p "$d"; { date -u; uptime; top -bn1 | head -15; ps -eo pid,pcpu,etime,args --sort=-pcpu | grep -E 'java|mvn|wrk|nginx|surefire' | grep -v grep | head; } > "$d/precheck.txt"; }
run() { local name=$1 need=$2; shift 2; local now=$(date -u +%s)
  if (( now + need > END )); then echo "SKIP $name at $(date -u +%T): needs ${need}s" | tee -a $Q/skipped.txt $Q/timeline.txt; return; fi
  precheck "$name"; echo "START $name $(date -u +%T)" | tee -a $Q/timeline.txt
  env RESULTS_DIR=$Q/$name GATEWAY_PROPS="-Xlog:gc*,safepoint:file=$Q/$name/gc.log:utctime,uptime" "$@" > $Q/$name.log 2>&1
  local rc=$?; cp $Q/$name.log $Q/$name/console.txt; echo "END $name $(date -u +%T) rc=$rc" | tee -a $Q/timeline.txt; }
mv $Q/overhead-shape $Q/overhead-shape-hung; mv $Q/overhead-shape.log $Q/overhead-shape-hung.log
run overhead-shape 700 FLOOR=1 FLOOR_STACK="pipe shape shape-merged" CONNS="1 16 64" DURATION=10s WARMUP=30s bench/overhead.sh
run streaming 200 bench/streaming.sh
echo "ALL DONE $(date -u +%T)" | tee -a $Q/timeline.txt
