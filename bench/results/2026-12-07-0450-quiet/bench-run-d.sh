#!/usr/bin/env bash
# The runs still to make after overhead-shape (05:05-05:14): streaming, then overhead-repeat, each only if it can end by 05:22.
cd /tmp/bench-main
export JAVA_HOME=$(.ci/java-home)
export QUIET_WAIT=60
Q=/tmp/bench-main/bench/results/2026-12-07-0450-quiet
cp "$0" $Q/bench-run-d.sh
END=$(date -u -d '05:22' +%s)
precheck() { local d=$Q/$1; mkdir -p "$d"; { date -u; uptime; top -bn1 | head -15; ps -eo pid,pcpu,etime,args --sort=-pcpu | grep -E 'java|mvn|wrk|nginx|surefire' | grep -v grep | head; } > "$d/precheck.txt"; }
run() { local name=$1 need=$2; shift 2; local now=$(date -u +%s)
  if (( now + need > END )); then echo "SKIP $name at $(date -u +%T): needs ${need}s" | tee -a $Q/skipped.txt $Q/timeline.txt; return 1; fi
  precheck "$name"; echo "START $name $(date -u +%T) (bench-run-d.sh)" | tee -a $Q/timeline.txt
  env RESULTS_DIR=$Q/$name GATEWAY_PROPS="-Xlog:gc*,safepoint:file=$Q/$name/gc.log:utctime,uptime" "$@" > $Q/$name.log 2>&1
  local rc=$?; cp $Q/$name.log $Q/$name/console.txt; echo "END $name $(date -u +%T) rc=$rc" | tee -a $Q/timeline.txt; }
run streaming 190 bench/streaming.sh
run overhead-repeat 200 FLOOR=1 CONNS=64 DURATION=10s WARMUP=30s bench/overhead.sh
echo "ALL DONE $(date -u +%T) (bench-run-d.sh)" | tee -a $Q/timeline.txt
