#!/usr/bin/env bash
# Sequential quiet-machine runs in the reserved window 04:50-05:22 UTC; each run's output in $Q/<run>/, its console
# in $Q/<run>.log (copied to <run>/console.txt). No run starts that cannot end by END.
cd /tmp/bench-main
export JAVA_HOME=$(.ci/java-home)
export QUIET_WAIT=60
Q=/tmp/bench-main/bench/results/2026-12-07-0450-quiet
mkdir -p $Q
cp "$0" $Q/bench-run.sh
END=$(date -u -d '05:22' +%s)
START_AT=$(date -u -d '04:50' +%s)
START_BY=$(date -u -d '04:53' +%s)
precheck() { local d=$Q/$1; mkdir -p "$d"; { date -u; uptime; top -bn1 | head -15; ps -eo pid,pcpu,etime,args --sort=-pcpu | grep -E 'java|mvn|wrk|nginx|surefire' | grep -v grep | head; } > "$d/precheck.txt"; }
# At 04:50: no other java/maven/surefire (outside this clone) and the 1-minute load under 2.5; if others are still
# building, wait up to 3 minutes (to 04:53), then start anyway. Each look is logged in $Q/wait.txt.
wait_quiet() {
  while (( $(date -u +%s) < START_AT )); do sleep 1; done
  while :; do
    local others load now
    others=$(pgrep -fa 'surefire|maven|java' | grep -v bench-main | grep -v grep)
    load=$(cut -d' ' -f1 /proc/loadavg); now=$(date -u +%s)
    { echo "$(date -u +%T) $(uptime)"; echo "  others: ${others:-none}"; } >> $Q/wait.txt
    if [[ -z $others ]] && awk -v l="$load" 'BEGIN{exit !(l < 2.5)}'; then echo "quiet at $(date -u +%T)" >> $Q/wait.txt; return; fi
    if [[ -z $others ]] && (( now >= START_AT + 60 )); then echo "no other build at $(date -u +%T) (load $load, falling); starting" >> $Q/wait.txt; return; fi
    if (( now >= START_BY )); then echo "not quiet by 04:53, starting anyway at $(date -u +%T)" >> $Q/wait.txt; return; fi
    sleep 5
  done
}
run() { # name min_seconds_needed env... cmd
  local name=$1 need=$2; shift 2
  local now=$(date -u +%s)
  if (( now + need > END )); then echo "SKIP $name at $(date -u +%T): needs ${need}s" | tee -a $Q/skipped.txt $Q/timeline.txt; return; fi
  precheck "$name"
  echo "START $name $(date -u +%T)" | tee -a $Q/timeline.txt
  env RESULTS_DIR=$Q/$name GATEWAY_PROPS="-Xlog:gc*,safepoint:file=$Q/$name/gc.log:utctime,uptime" "$@" > $Q/$name.log 2>&1
  local rc=$?; cp $Q/$name.log $Q/$name/console.txt; echo "END $name $(date -u +%T) rc=$rc" | tee -a $Q/timeline.txt
}
echo "main at $(git rev-parse --short HEAD) ($(git log -1 --format=%cI))" | tee $Q/timeline.txt
wait_quiet
run overhead-shape 780 FLOOR=1 FLOOR_STACK="pipe shape shape-merged" CONNS="1 16 64" DURATION=10s WARMUP=30s bench/overhead.sh
# concurrency.sh GC_LOG=1 logs the gateway's collections itself (gc.log in RESULTS_DIR): no second log
run concurrency-10000 230 GATEWAY_PROPS= GC_LOG=1 CONNS=10000 LATENCY_MS=3000 bench/concurrency.sh
run concurrency-10000-repeat 230 GATEWAY_PROPS= GC_LOG=1 CONNS=10000 LATENCY_MS=3000 bench/concurrency.sh
run streaming 200 bench/streaming.sh
run overhead-repeat 230 FLOOR=1 CONNS=64 DURATION=10s WARMUP=30s bench/overhead.sh
echo "ALL DONE $(date -u +%T)" | tee -a $Q/timeline.txt
