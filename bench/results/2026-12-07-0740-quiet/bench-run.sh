#!/usr/bin/env bash
# Quiet benchmark of main for issue 15 in the reserved window 07:40-08:12 UTC. At 07:40: a fresh clone of /work/main in
# /tmp/bench-main, the gateway and the floors built there, the pipe and shape floors checked to answer, then in order
# (each only if it can end by 08:12; each bounded by `timeout` to that end): gc-candidates, overhead-shape,
# overhead-repeat, streaming. Each run's output in $Q/<run>/ (precheck.txt, console.txt), order and times in
# $Q/timeline.txt, the waits for a quiet machine in $Q/wait.txt.
set -u
START_AT=$(date -u -d '07:40' +%s)
START_BY=$(date -u -d '07:47' +%s)   # measure from here on even if the machine is not quiet
END=$(date -u -d '08:12' +%s)
B=/tmp/bench-main
Q=$B/bench/results/2026-12-07-0740-quiet

while (( $(date -u +%s) < START_AT )); do sleep 1; done
echo "$(date -u +%T) cloning /work/main into $B"
rm -rf "$B" && git clone -q /work/main "$B" || { echo "clone failed"; exit 1; }
cd "$B" || exit 1
mkdir -p "$Q"
cp "$0" "$Q/bench-run.sh"
export JAVA_HOME=$(.ci/java-home)
export QUIET_WAIT=30
echo "main at $(git rev-parse --short HEAD) ($(git log -1 --format=%cI))" | tee "$Q/timeline.txt"
mark() { echo "$*" | tee -a "$Q/timeline.txt"; }

# Options of overhead.sh that may have come with main: JIT_SETTLE (5 s slices at the warm-up's connections until the
# JIT compiles under 50 ms in one; ~6-8 s a slice with jcmd), bounded to 4 slices per JVM (at most ~30 s each);
# the p99.9 (the TAIL line of post.lua), else a copy of post.lua that prints it (WRK_SCRIPT, nothing else changed).
SETTLE=()
if grep -q '^JIT_SETTLE=' bench/overhead.sh; then SETTLE=(JIT_SETTLE=4); mark "overhead.sh has JIT_SETTLE: runs with JIT_SETTLE=4"; fi
TAILWRK=()
if ! grep -q 'TAIL %' bench/post.lua; then
    cp bench/post.lua "$Q/post-tail.lua"
    sed -i '$d' "$Q/post-tail.lua"   # the closing 'end' of done()
    cat >>"$Q/post-tail.lua" <<'LUA'
  -- TAIL p90_ms p99.9_ms max_ms (added for this run: main's post.lua prints no p99.9)
  io.write(string.format("TAIL %.3f %.3f %.3f\n", latency:percentile(90) / 1000, latency:percentile(99.9) / 1000,
    latency.max / 1000))
end
LUA
    TAILWRK=(WRK_SCRIPT="$Q/post-tail.lua")
    mark "post.lua prints no p99.9: overhead runs use $Q/post-tail.lua (TAIL line added)"
fi

mark "build start $(date -u +%T)"
mvn -B -q -o package -DskipTests >"$Q/build.log" 2>&1 || { mark "gateway build FAILED $(date -u +%T)"; exit 1; }
mark "gateway built $(date -u +%T)"
(mvn -B -q -o compile && cd bench/floor && mvn -B -q -o package) >>"$Q/build.log" 2>&1 \
    || mark "floors' offline build failed $(date -u +%T) (ensure_floor tries again)"
mark "floors built $(date -u +%T)"
FLOORS_OK=1
STACKS="pipe shape" timeout --kill-after=10 200 .ci/floor-smoke >"$Q/floor-smoke.txt" 2>&1 || FLOORS_OK=0
mark "floor-smoke (pipe shape) $( ((FLOORS_OK)) && echo passed || echo FAILED) $(date -u +%T)"

# Before measuring: no other java, Maven or surefire (outside this clone) and the 1-minute load falling; at most to 07:47.
wait_quiet() {
    while :; do
        local others load now
        others=$(pgrep -fa 'surefire|maven|java' | grep -v bench-main | grep -v grep)
        load=$(cut -d' ' -f1 /proc/loadavg); now=$(date -u +%s)
        { echo "$(date -u +%T) $(uptime)"; echo "  others: ${others:-none}"; } >>"$Q/wait.txt"
        if [[ -z $others ]] && awk -v l="$load" 'BEGIN{exit !(l < 2.5)}'; then echo "quiet at $(date -u +%T)" >>"$Q/wait.txt"; return; fi
        if [[ -z $others ]] && (( now >= START_AT + 360 )); then echo "no other build at $(date -u +%T) (load $load); starting" >>"$Q/wait.txt"; return; fi
        if (( now >= START_BY )); then echo "not quiet by 07:47, starting anyway at $(date -u +%T)" >>"$Q/wait.txt"; return; fi
        sleep 5
    done
}
precheck() { local d=$Q/$1; mkdir -p "$d"; { date -u; uptime; top -bn1 | head -15; ps -eo pid,pcpu,etime,args --sort=-pcpu | grep -E 'java|mvn|wrk|nginx|surefire' | grep -v grep | head; } >"$d/precheck.txt"; }
run() { # name seconds_needed gclog(1: Caravan's GC log in GATEWAY_PROPS) env... cmd
    local name=$1 need=$2 gclog=$3; shift 3
    local now=$(date -u +%s)
    if (( now + need > END )); then mark "SKIP $name at $(date -u +%T): needs ${need}s, window ends 08:12"; return 1; fi
    precheck "$name"
    mark "START $name $(date -u +%T)"
    local props=
    ((gclog)) && props="-Xlog:gc*,safepoint:file=$Q/$name/gc.log:utctime,uptime"
    timeout --kill-after=20 $((END - now)) env RESULTS_DIR="$Q/$name" GATEWAY_PROPS="$props" "$@" >"$Q/$name.log" 2>&1
    local rc=$?
    cp "$Q/$name.log" "$Q/$name/console.txt"
    mark "END $name $(date -u +%T) rc=$rc$( ((rc == 124 || rc == 137)) && echo ' (stopped at the window end)')"
}

wait_quiet
# (a) the four collector candidates at 10,000 in flight (concurrency.sh logs the collections itself: GC_LOG=1)
run gc-candidates 780 0 bench/gc-candidates.sh shipped g1-reclaim parallel shenandoah
[[ -f $Q/gc-candidates/summary.txt ]] || SUMMARY_ONLY=1 RESULTS_DIR="$Q/gc-candidates" bench/gc-candidates.sh \
    shipped g1-reclaim parallel shenandoah >"$Q/gc-candidates/summary-after.txt" 2>&1
if ((FLOORS_OK)); then
    # (b) the pipe and shape floors beside Caravan at 16 and 64
    run overhead-shape 450 1 FLOOR=1 FLOOR_STACK="pipe shape" CONNS="16 64" DURATION=10s WARMUP=30s \
        "${SETTLE[@]}" "${TAILWRK[@]}" bench/overhead.sh
    # (c) the pipe floor and Caravan again at 64
    run overhead-repeat 250 1 FLOOR=1 CONNS=64 DURATION=10s WARMUP=30s "${SETTLE[@]}" "${TAILWRK[@]}" bench/overhead.sh
else
    mark "SKIP overhead-shape and overhead-repeat: the floors did not pass floor-smoke (floor-smoke.txt)"
fi
# (d) 1,000 open streams
run streaming 150 1 bench/streaming.sh
mark "ALL DONE $(date -u +%T)"
