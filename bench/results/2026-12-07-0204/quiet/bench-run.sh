#!/usr/bin/env bash
# Sequential quiet-machine runs; each run's output in $Q/<run>/, its console in $Q/<run>.log
cd /tmp/bench-main
export JAVA_HOME=$(.ci/java-home)
export QUIET_WAIT=60
Q=/tmp/bench-main/bench/results/2026-12-07-0204/quiet
END=$(date -u -d '02:25' +%s)
START_BY=$(date -u -d '02:00' +%s)
precheck() { local d=$Q/$1; mkdir -p "$d"; { date -u; uptime; top -bn1 | head -15; ps -eo pid,pcpu,etime,args --sort=-pcpu | grep -E 'java|mvn|wrk|nginx|surefire' | grep -v grep | head; } > "$d/precheck.txt"; }
# Before the first run: no other java/mvn/surefire busy (over 5 % of a core in a 3 s top sample) and the 1-minute
# load under 2.5; but start by 02:00 whatever happens. Each look is logged in $Q/wait.txt.
wait_quiet() {
  while :; do
    local busy load now
    busy=$(top -bn2 -d3 -c -w 400 | awk '/^top -/{n++} n==2' | grep -E 'java|mvn|surefire' | grep -v grep | awk '$9+0 > 5')
    load=$(cut -d' ' -f1 /proc/loadavg); now=$(date -u +%s)
    { echo "$(date -u +%T) load1 $load busy: ${busy:-none}"; } >> $Q/wait.txt
    if [[ -z $busy ]] && awk -v l="$load" 'BEGIN{exit !(l < 2.5)}'; then echo "quiet at $(date -u +%T)" >> $Q/wait.txt; return; fi
    if (( now >= START_BY )); then echo "not quiet by 02:00, starting anyway at $(date -u +%T)" >> $Q/wait.txt; return; fi
    sleep 5
  done
}
run() { # name min_seconds_needed env... -- cmd
  local name=$1 need=$2; shift 2
  local now=$(date -u +%s)
  if (( need > 0 && now + need > END )); then echo "SKIP $name at $(date -u +%T): needs ${need}s" | tee -a $Q/skipped.txt; return; fi
  precheck "$name"
  echo "START $name $(date -u +%T)" | tee -a $Q/timeline.txt
  env RESULTS_DIR=$Q/$name GATEWAY_PROPS="-Xlog:gc*,safepoint:file=$Q/$name/gc.log:utctime,uptime" "$@" > $Q/$name.log 2>&1
  local rc=$?; cp $Q/$name.log $Q/$name/console.txt; echo "END $name $(date -u +%T) rc=$rc" | tee -a $Q/timeline.txt
}
wait_quiet
run overhead-passthru 330 FLOOR=1 CONNS="1 16 64" DURATION=10s WARMUP=30s bench/overhead.sh
run overhead-passthru-repeat 200 FLOOR=1 CONNS=64 DURATION=10s WARMUP=30s bench/overhead.sh
run concurrency-10000 150 CONNS=10000 LATENCY_MS=3000 bench/concurrency.sh
run streaming 140 bench/streaming.sh
run overhead-passthru-repeat2 200 FLOOR=1 CONNS=64 DURATION=10s WARMUP=30s bench/overhead.sh
echo "QUIET DONE $(date -u +%T)" | tee -a $Q/timeline.txt
# Counts per request (load-independent): no time bound
run alloc 0 bench/alloc.sh
run camel-steps 0 bench/camel-steps.sh
run header-counts 0 bench/header-counts.sh
echo "ALL DONE $(date -u +%T)" | tee -a $Q/timeline.txt
