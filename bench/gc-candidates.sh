#!/usr/bin/env bash
# Collector settings at 10,000 slow calls in flight, one after the other on the same build: for each candidate named,
# one `GC_LOG=1 CONNS=10000 LATENCY_MS=3000 bench/concurrency.sh` (~3.5 min) with the candidate's options given after
# the shipped ones (GATEWAY_PROPS: a later -Xmx or collector wins), then one table of what to judge them by: share of
# direct, p50 over the upstream latency, RSS, and from the gateway's GC log per 1,000 requests of the measured phase
# (bench/gc-counts.py) full collections, evacuation failures, pause ms, promoted KB per request, heap after full ones.
#
#   bench/gc-candidates.sh                        # the default list below (DEFAULT), ~14 min
#   bench/gc-candidates.sh shipped parallel       # the ones named
#   LIST=1 bench/gc-candidates.sh                 # print the candidates and their options, run nothing
#   SUMMARY_ONLY=1 RESULTS_DIR=<dir> bench/gc-candidates.sh shipped parallel   # the table of runs made before
#
# Counts per 1,000 requests hold on a busy machine; req/s, p50 and pause times only on a quiet one (others% ~0).
# Raw output of each run: RESULTS_DIR (default bench/results/<UTC date>-gc-candidates)/<candidate>/.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)

# name|options added after the shipped ones (bench/lib.sh's CARAVAN_JVM_OPTS). Why each: bench/README.md, "The
# collector at 10,000 in flight".
CANDIDATES=(
    "shipped|"
    "heap328|-Xms328m -Xmx328m"
    "g1-reclaim|-XX:ConcGCThreads=2 -XX:G1HeapWastePercent=2 -XX:G1MixedGCCountTarget=4"
    "g1-ihop|-XX:-G1UseAdaptiveIHOP -XX:InitiatingHeapOccupancyPercent=40 -XX:ConcGCThreads=2"
    "g1-young30|-XX:+UnlockExperimentalVMOptions -XX:G1MaxNewSizePercent=30"
    "g1-reserve20|-XX:G1ReservePercent=20"
    "parallel|-XX:+UseParallelGC -Xmn64m"
    "parallel-adaptive|-XX:+UseParallelGC"
    "shenandoah|-XX:+UseShenandoahGC"
    "shenandoah-gen|-XX:+UseShenandoahGC -XX:ShenandoahGCMode=generational"
)
DEFAULT=${DEFAULT:-"shipped g1-reclaim parallel shenandoah"}

opts_of() { local c; for c in "${CANDIDATES[@]}"; do [[ ${c%%|*} == "$1" ]] && { echo "${c#*|}"; return; }; done; return 1; }
if [[ ${LIST:-0} == 1 ]]; then
    for c in "${CANDIDATES[@]}"; do printf '%-18s %s\n' "${c%%|*}" "${c#*|}"; done
    echo "default: $DEFAULT"
    exit 0
fi
names=("$@")
((${#names[@]})) || read -ra names <<<"$DEFAULT"
for n in "${names[@]}"; do opts_of "$n" >/dev/null || { echo "unknown candidate: $n (LIST=1 lists them)" >&2; exit 2; }; done

OUT=${RESULTS_DIR:-$BENCH_DIR/results/$(date -u +%F)-gc-candidates}
mkdir -p "$OUT"
[[ ${SUMMARY_ONLY:-0} == 1 ]] || for n in "${names[@]}"; do
    echo "[$(date -u +%T)] $n: $(opts_of "$n")" | tee -a "$OUT/timeline.txt"
    GC_LOG=1 CONNS=${CONNS:-10000} LATENCY_MS=${LATENCY_MS:-3000} GATEWAY_PROPS="$(opts_of "$n") ${GATEWAY_PROPS:-}" \
        RESULTS_DIR="$OUT/$n" "$BENCH_DIR/concurrency.sh" >"$OUT/$n.console.txt" 2>&1 \
        || echo "[$(date -u +%T)] $n: concurrency.sh ended with status $?" | tee -a "$OUT/timeline.txt"
done
[[ ${SUMMARY_ONLY:-0} == 1 ]] || echo "[$(date -u +%T)] done" >>"$OUT/timeline.txt"

# one line per candidate from each run's table (concurrency.txt) and its gc-counts lines
{
    printf '%-18s %8s %8s %8s %7s %7s %9s %9s %8s %9s %7s  %s\n' candidate req/s %direct p50+% rss_mb others% full/1k \
        evfail/1k pause_ms promo_KB gc_cpu% "heap after full (MB)"
    for n in "${names[@]}"; do
        f=$OUT/$n/concurrency.txt
        [[ -f $f ]] || { printf '%-18s (no result: %s)\n' "$n" "$OUT/$n.console.txt"; continue; }
        awk -v n="$n" '
            $1 == "measured" && NF >= 16 { rps = $3; rss = $10; oth = $16 }
            /^measured: / { pct = $2; p50 = $(NF - 5) }
            /^  pauses / { for (i = 1; i <= NF; i++) { if ($i == "full") full = $(i + 1); if ($i == "failures") ef = $(i + 1) } }
            /promoted by young pauses/ { pr = $0; sub(/.*MB \(/, "", pr); sub(/ KB.*/, "", pr) }
            /^  pause time/ { pm = $3 }
            /after full pauses/ { af = $0; sub(/.*after full pauses /, "", af); sub(/ MB.*/, "", af) }
            /^gateway CPU in the measured phase by thread group/ {
                # the collector threads: G1 (GC Thread, G Conc, G Refine: digits dropped), Parallel, Shenandoah, ZGC
                line = $0; sub(/^[^:]*: /, "", line); k = split(line, grp, "; ")
                for (i = 1; i <= k; i++) { m = split(grp[i], w, " "); name = grp[i]; sub(/ [0-9.]+ %$/, "", name)
                    if (name ~ /GC|^G1? [A-Z]|Shenandoah|^Z[A-Z]/) gcc += w[m - 1] } }
            END { gsub(/[;,]/, "", full); gsub(/[;,]/, "", ef)
                  printf "%-18s %8s %8s %8s %7s %7s %9s %9s %8s %9s %7s  %s\n", n, rps, pct, p50, rss, oth, full, ef, pm, pr,
                      (gcc == "" ? "" : sprintf("%.1f", gcc)), af }' "$f"
    done
    echo "%direct, p50+%: the measured phase against the same load straight to the simulator; rss_mb: its largest 1 s sample;"
    echo "full/1k, evfail/1k, pause_ms (young, mixed and full), promo_KB (per request): bench/gc-counts.py over the measured phase;"
    echo "gc_cpu%: the collector's threads' share of the gateway's CPU in the measured phase (the top 10 thread groups)."
} | tee "$OUT/summary.txt"
