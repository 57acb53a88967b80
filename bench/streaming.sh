#!/usr/bin/env bash
# Scenario 4, streaming: N streamed chat completions held open at once, each ~10 s long (about 40 content events,
# one every 250 ms), first directly against the simulated providers and then through the gateway. What the
# gateway adds to the time to first content, whether it relays events as fast as they come, and what an open
# stream costs it in memory and threads.
#
#   bench/streaming.sh                             # defaults: 1000 streams, 40 events 250 ms apart, 2 s ramp
#   STREAMS=1000 CHUNK_MS=250 FIRST_TOKEN_MS=200 PROMPT_WORDS=34 RAMP_MS=2000 bench/streaming.sh
#
# The simulated providers run in a SEPARATE Caravan process started only as a simulator host (as in
# concurrency.sh), so the gateway's threads and memory are its own. bench/StreamLoad.java is the client.
source "$(dirname "$0")/lib.sh"

STREAMS=${STREAMS:-1000}
CHUNK_MS=${CHUNK_MS:-250}             # simulator: pause between content events
FIRST_TOKEN_MS=${FIRST_TOKEN_MS:-200} # simulator: pause before the first content event
PROMPT_WORDS=${PROMPT_WORDS:-34}      # the answer is 6 words + the prompt's words: 40 content events by default
RAMP_MS=${RAMP_MS:-2000}              # the N streams are started evenly over this long
WARMUP_STREAMS=${WARMUP_STREAMS:-3000} # JIT warm-up: this many instant streams through the gateway...
WARMUP_CONC=${WARMUP_CONC:-64}        # ...this many at a time
PROVIDERS=${PROVIDERS:-"openai groq together"}   # which simulated providers serve alias 'fast' (1 to 3)
CLIENT_WARMUP=${CLIENT_WARMUP:-100}   # each phase's client first runs this many streams, not counted (its own JIT)
# The client: C1 only and the serial collector, so that it takes less of the CPU it shares with the gateway.
CLIENT_JVM_OPTS=${CLIENT_JVM_OPTS:-"-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx1g"}
STREAM_TIMEOUT=${STREAM_TIMEOUT:-120} # the client gives up on streams still open after this many seconds
AGAIN=${AGAIN:-1}                     # 1: run the gateway phase a second time, its connection pool now full
LIVE_HEAP=${LIVE_HEAP:-1}             # 1: also measure the gateway's live heap (jcmd GC.class_histogram, a full GC)
RESULTS_DIR=${RESULTS_DIR:-}
GATEWAY_PROPS=${GATEWAY_PROPS:-}      # extra -Dkey=value for the gateway under test

budget=$(( STREAM_TIMEOUT * 3 + ${QUIET_WAIT:-0} * 3 + WARMUP_STREAMS / 20 + 300 ))
bound_run_time "$budget" "$0" "$@"

[[ -x "$JAVA" ]] || die "no java at $JAVA (set JAVA_HOME)"
JCMD=$(dirname "$JAVA")/jcmd
ensure_jar
# the client needs one descriptor per stream, the gateway two (client + upstream), the simulator one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(( $(ulimit -n) > STREAMS * 2 + 1000 )) || die "ulimit -n is $(ulimit -n): too low for $STREAMS streams"
mkdir -p "$RUN_DIR/client"
"$(dirname "$JAVA")/javac" -d "$RUN_DIR/client" "$BENCH_DIR/StreamLoad.java" || die "StreamLoad.java did not compile"
[[ -n $RESULTS_DIR ]] && mkdir -p "$RESULTS_DIR"

start_simulator_host
direct=()         # model@url, for the client's direct run
for p in $PROVIDERS; do
    m=$(simulated_model "$p") || die "unknown provider $p"
    direct+=(--target "$m@http://127.0.0.1:$SIM_PORT/$p/v1/chat/completions")
done
start_gateway_on_simulator
enabled=$(tr ' ' ',' <<<"$PROVIDERS")
through=(--target "fast@http://127.0.0.1:$GW_PORT/v1/chat/completions")

# The prompt: short words, so that the simulator's answer ("Simulated reply from <provider> (<model>) to: <prompt>",
# one event per word, the prompt cut at 200 characters) has 6 + PROMPT_WORDS events.
PROMPT=$(seq -s ' ' -f 'w%g' 1 "$PROMPT_WORDS")
(( ${#PROMPT} <= 200 )) || die "PROMPT_WORDS=$PROMPT_WORDS makes a prompt over 200 characters; the simulator cuts it"

set_stream_fault() { # json of the stream fault
    local p
    for p in $PROVIDERS; do
        curl -sf -o /dev/null --max-time 5 -X POST "http://127.0.0.1:$SIM_PORT/$p/_faults" -d "{\"stream\":$1}" \
            || die "could not set the stream fault of $p"
    done
}
# One streamed request through the gateway: 200, N content events, [DONE] last.
check_one() {
    local out="$RUN_DIR/check.txt" code events
    code=$(curl -sN -o "$out" -w '%{http_code}' --max-time 60 -H 'Content-Type: application/json' \
        -d "{\"model\":\"fast\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"$PROMPT\"}]}" \
        "http://127.0.0.1:$GW_PORT/v1/chat/completions")
    [[ $code == 200 ]] || die "the gateway answered $code: $(head -c 300 "$out")"
    [[ $(grep '^data:' "$out" | tail -1) == "data: [DONE]" ]] || die "the stream did not end with [DONE]: $(tail -c 300 "$out")"
    events=$(grep -c '"delta":{[^}]*"content":"[^"]' "$out" || true)
    log "one stream through the gateway: $code, $events content events, [DONE]"
    EVENTS_PER_STREAM=$events
}
set_stream_fault '{}'
check_one

proc_status() { # pid -> "threads rss_mb"
    awk '/^Threads:/{t=$2} /^VmRSS:/{r=$2} END{printf "%d %.0f\n", t, r/1024}' "/proc/$1/status"
}
conns() { # filter
    ss -Htn state established "$1" | wc -l
}
# Heap used and committed (MB) as G1 reports them, garbage included; no GC is forced.
heap_info() { # pid -> "used_mb committed_mb"
    # "garbage-first heap   total reserved 6172672K, committed 393216K, used 11424K [...]"
    "$JCMD" "$1" GC.heap_info 2>/dev/null | awk '/garbage-first heap/{
        for (i = 1; i <= NF; i++) { if ($i == "committed") c = $(i+1); if ($i == "used") u = $(i+1) }
        sub(/K,?/, "", c); sub(/K,?/, "", u); printf "%.0f %.0f\n", u/1024, c/1024; exit }'
}
# Live heap (MB): the total of a class histogram, which runs a full GC first (a pause of the process). The
# histogram is kept in $RUN_DIR/histo-<name>.txt.
live_heap() { # pid name -> live_mb
    "$JCMD" "$1" GC.class_histogram >"$RUN_DIR/histo-$2.txt" 2>/dev/null
    awk '/^Total/{printf "%.1f\n", $3/1048576}' "$RUN_DIR/histo-$2.txt"
}
# The classes whose live bytes grew most between two histograms, per open stream.
histo_growth() { # before after n
    awk -v n="$3" 'FNR == 1 { file++ } $1 ~ /^[0-9]+:$/ { if (file == 1) { b[$4] = $3; c[$4] = $2 } else { a[$4] = $3; d[$4] = $2 } }
        END { for (k in a) if (a[k] - b[k] > 0) printf "%10.0f B %8.1f objects  %s\n", (a[k] - b[k]) / n, (d[k] - c[k]) / n, k }' \
        "$1" "$2" | sort -rn | awk -v n="${4:-12}" 'NR <= n'
}
# CPU ticks (utime+stime) of every process, "pid ticks name" per line: compared before and after a phase, it names
# what else used the machine. (Processes that start and end within the phase are not seen.)
proc_ticks() { # out-file
    python3 - "$1" <<'PY'
import os, sys
with open(sys.argv[1], "w") as out:
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                line = f.read()
        except OSError:
            continue
        name = line[line.index("(") + 1:line.rindex(")")].replace(" ", "_")
        rest = line[line.rindex(")") + 2:].split()
        out.write(f"{pid} {int(rest[11]) + int(rest[12])} {name}\n")
PY
}
# The processes other than ours that used the most CPU between two proc_ticks snapshots.
top_others() { # before after seconds our-pids...
    local before=$1 after=$2 secs=$3
    shift 3
    awk -v secs="$secs" -v hz="$CLK_TCK" -v ours=" $* " 'FNR == NR { b[$1] = $2; next }
        index(ours, " " $1 " ") == 0 { d = $2 - b[$1]; if (d > 0) printf "%.0f%% %s(%s)\n", d / hz / secs * 100, $3, $1 }' \
        "$before" "$after" | sort -rn | awk 'NR <= 3' | tr '\n' ' '
}
# A JVM's own counters, read from its hsperfdata file (no attach, no pause): "jit_ms gc_pause_ms gc_pauses", the
# time its compiler threads spent compiling (summed over them) and its stop-the-world collections so far.
jvm_counters() { # pid
    python3 - "$1" <<'PY' 2>/dev/null || echo "0 0 0"
import os, struct, sys, tempfile
pid = sys.argv[1]
import pwd
path = os.path.join(tempfile.gettempdir(), "hsperfdata_" + pwd.getpwuid(os.getuid()).pw_name, pid)
data = open(path, "rb").read()
order = ">" if data[4] == 0 else "<"
entry_offset, entries = struct.unpack(order + "ii", data[24:32])
c, off = {}, entry_offset
for _ in range(entries):
    length, name_off, vlen, dtype, _, _, _, data_off = struct.unpack(order + "iiibbbbi", data[off:off + 20])
    name = data[off + name_off:data.index(b"\0", off + name_off)].decode()
    if vlen == 0 and dtype == ord("J"):
        c[name] = struct.unpack(order + "q", data[off + data_off:off + data_off + 8])[0]
    off += length
ms = 1000.0 / c["sun.os.hrt.frequency"]
jit = (c.get("sun.ci.standardTime", 0) + c.get("sun.ci.osrTime", 0)) * ms
gc = sum(c.get(f"sun.gc.collector.{i}.time", 0) for i in (0, 1)) * ms
n = sum(c.get(f"sun.gc.collector.{i}.invocations", 0) for i in (0, 1))
print(f"{jit:.0f} {gc:.0f} {n}")
PY
}
# CPU ticks of this shell's waited-for children (jcmd, ss...): what the measurements themselves cost.
probe_ticks() {
    local f
    f=$(sed 's/^.*) //' "/proc/$$/stat")
    awk '{print $14 + $15}' <<<"$f"
}
# Threads in a JSON thread dump: all, and virtual ones (the OS thread count does not show the latter).
java_threads() { # pid -> "java_threads virtual_threads"
    local f="$RUN_DIR/threads-$1-$RANDOM.json"
    "$JCMD" "$1" Thread.dump_to_file -format=json "$f" >/dev/null 2>&1 || { echo "? ?"; return; }
    jq -r '[.threadDump.threadContainers[].threads[]] | "\(length) \(map(select(.virtual == true or .virtual == "true")) | length)"' \
        "$f" 2>/dev/null || echo "? ?"
    rm -f "$f"
}

# Samples a process once a second: threads, RSS, connections in (to in_port) and out (to out_port), its CPU and the
# whole machine's over the last second (% of one core; the machine has $(nproc) x 100).
sample() { # pid in_port out_port out-file
    local pid=$1 in=$2 up=$3 out=$4 t=0 c0 m0 n0 c1 m1 n1 ms
    echo "t threads rss_mb conns_in conns_up cpu_pct machine_pct" >"$out"
    c0=$(cpu_ticks "$pid"); m0=$(machine_busy_ticks); n0=$(date +%s%N)
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        t=$((t + 1))
        c1=$(cpu_ticks "$pid" 2>/dev/null) || break
        m1=$(machine_busy_ticks); n1=$(date +%s%N)
        ms=$(( (n1 - n0) / 1000000 ))
        echo "$t $(proc_status "$pid") $(conns "( sport = :$in )") $(conns "( dport = :$up )")" \
            "$(( (c1 - c0) * 100000 / CLK_TCK / ms )) $(( (m1 - m0) * 100000 / CLK_TCK / ms ))" >>"$out"
        c0=$c1 m0=$m1 n0=$n1
    done
}

# Runs StreamLoad for a phase, sampling `pid` every second and once more at ALL_OPEN (with probe=jcmd, also its
# heap, live heap and thread dump: a full GC and a safepoint in that process, which delay its timers, so the
# simulator is not probed that way). Sets PHASE_RESULT (the client's RESULT line), PHASE_MAX ("threads rss_mb
# conns_in conns_up cpu_pct", maxima), PHASE_OPEN (what was seen at ALL_OPEN), PHASE_GW_CPU / PHASE_SIM_CPU (CPU seconds
# of the gateway and the simulator over the measured streams), PHASE_OTHERS.
run_phase() { # label pid in_port out_port probe client-args...
    local label=$1 pid=$2 in=$3 up=$4 probe=$5
    shift 5
    local out="$RUN_DIR/load-$label.txt" samples="$RUN_DIR/samples-$label.txt"
    local g0 g1 s0 s1 b0 b1 t0 t1 load sampler
    # shellcheck disable=SC2086 # CLIENT_JVM_OPTS is a list of JVM options
    "$JAVA" $CLIENT_JVM_OPTS -cp "$RUN_DIR/client" StreamLoad --label "$label" --prompt "$PROMPT" \
        --timeout-s "$STREAM_TIMEOUT" --warmup-streams "$CLIENT_WARMUP" \
        --per-stream "$RUN_DIR/streams-$label.txt" "$@" >"$out" 2>"$RUN_DIR/load-$label.err" &
    load=$!
    STARTED_PIDS+=("$load")
    # the client's own warm-up first; CPU and samples count from the measured streams on
    while kill -0 "$load" 2>/dev/null && ! grep -q '^MEASURING' "$out"; do sleep 0.05; done
    proc_ticks "$RUN_DIR/ticks-$label-0.txt"
    g0=$(cpu_ticks "$GW_PID"); s0=$(cpu_ticks "$SIM_PID"); b0=$(machine_busy_ticks); t0=$(date +%s%N)
    local j0 j1
    j0=$(jvm_counters "$pid")
    sample "$pid" "$in" "$up" "$samples" &
    sampler=$!
    STARTED_PIDS+=("$sampler")
    PHASE_OPEN=""
    local probes=0
    while kill -0 "$load" 2>/dev/null; do
        if [[ -z $PHASE_OPEN ]] && grep -q '^ALL_OPEN' "$out"; then
            local open st cin cup heap="" jt="" live="" p0
            p0=$(probe_ticks)
            open=$(grep '^ALL_OPEN' "$out" | sed 's/^ALL_OPEN //')
            st=$(proc_status "$pid"); cin=$(conns "( sport = :$in )"); cup=$(conns "( dport = :$up )")
            PHASE_OPEN="$open threads_rss_mb=$(tr ' ' / <<<"$st") conns_in=$cin conns_up=$cup"
            if [[ $probe == jcmd ]]; then
                heap=$(heap_info "$pid"); jt=$(java_threads "$pid")
                [[ $LIVE_HEAP == 1 ]] && live=$(live_heap "$pid" "$label-open")
                PHASE_OPEN+=" heap_used_committed_mb=$(tr ' ' / <<<"$heap") java_virtual_threads=$(tr ' ' / <<<"$jt")"
                [[ -n $live ]] && PHASE_OPEN+=" live_heap_mb=$live"
                OPEN_ST=$st OPEN_HEAP=$heap OPEN_LIVE=$live OPEN_JT=$jt
            fi
            probes=$(( probes + $(probe_ticks) - p0 ))
            log "  all streams open: $PHASE_OPEN"
        fi
        sleep 0.1
    done
    wait "$load" || log "  StreamLoad ended with status $? (failed streams)"
    g1=$(cpu_ticks "$GW_PID"); s1=$(cpu_ticks "$SIM_PID"); b1=$(machine_busy_ticks); t1=$(date +%s%N)
    j1=$(jvm_counters "$pid")
    # JIT ms, GC pause ms, GC pauses of the process serving the phase, over the phase
    PHASE_JVM=$(awk -v a="$j0" -v b="$j1" 'BEGIN{split(a, x, " "); split(b, y, " "); print y[1] - x[1], y[2] - x[2], y[3] - x[3]}')
    proc_ticks "$RUN_DIR/ticks-$label-1.txt"
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    PHASE_RESULT=$(grep '^RESULT ' "$out" | tail -1)
    [[ -n $PHASE_RESULT ]] || die "StreamLoad printed no result: $(tail -5 "$out" "$RUN_DIR/load-$label.err")"
    PHASE_MAX=$(awk 'NR>1{if($2>t)t=$2; if($3>r)r=$3; if($4>c)c=$4; if($5>u)u=$5; if($6>p)p=$6} END{print t+0, r+0, c+0, u+0, p+0}' \
        "$samples")
    PHASE_GW_CPU=$(awk -v t=$((g1 - g0)) -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", t/hz}')
    PHASE_SIM_CPU=$(awk -v t=$((s1 - s0)) -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", t/hz}')
    local secs client_cpu
    secs=$(awk -v t=$((t1 - t0)) 'BEGIN{printf "%.2f", t/1e9}')
    client_cpu=$(field client_cpu_s "$PHASE_RESULT")
    PHASE_OTHERS=$(others_pct "$(awk -v t=$((b1 - b0)) -v hz="$CLK_TCK" 'BEGIN{print t/hz}')" \
        "$(awk -v a="$(awk -v g="$PHASE_GW_CPU" -v s="$PHASE_SIM_CPU" 'BEGIN{print g + s}')" -v b="$client_cpu" -v p="$probes" -v hz="$CLK_TCK" 'BEGIN{print a + b + p/hz}')" "$secs")
    sed 's/^/  /' "$out" >&2
    if [[ -n $RESULTS_DIR ]]; then cp "$out" "$samples" "$RUN_DIR/streams-$label.txt" "$RESULTS_DIR/"; fi
    PHASE_TOP=$(top_others "$RUN_DIR/ticks-$label-0.txt" "$RUN_DIR/ticks-$label-1.txt" "$secs" "$GW_PID" "$SIM_PID" "$load" "$sampler" "$$")
    log "  others% $PHASE_OTHERS; busiest other processes (% of one core): ${PHASE_TOP:-none}"
    log "  measured over ${secs}s; our probes at ALL_OPEN (jcmd) took $(awk -v p="$probes" -v hz="$CLK_TCK" 'BEGIN{printf "%.1f", p/hz}') s of CPU"
}
field() { # key "RESULT k=v ..." -> v
    tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"
}

log "JIT warm-up: $WARMUP_STREAMS instant streams through the gateway, $WARMUP_CONC at a time"
# shellcheck disable=SC2086 # CLIENT_JVM_OPTS is a list of JVM options
"$JAVA" $CLIENT_JVM_OPTS -cp "$RUN_DIR/client" StreamLoad --label warmup --prompt "$PROMPT" --streams "$WARMUP_STREAMS" \
    --concurrency "$WARMUP_CONC" "${through[@]}" >"$RUN_DIR/load-warmup.txt" 2>&1 \
    || log "warm-up: some streams failed ($(grep -o 'failures=.*' "$RUN_DIR/load-warmup.txt"))"
grep -v '^RESULT' "$RUN_DIR/load-warmup.txt" | sed 's/^/  /' >&2
[[ -n $RESULTS_DIR ]] && cp "$RUN_DIR/load-warmup.txt" "$RESULTS_DIR/"

set_stream_fault "{\"first_token_ms\":$FIRST_TOKEN_MS,\"chunk_ms\":$CHUNK_MS}"
check_one
sleep 3

# The gateway at rest, after the warm-up: its OS threads by name before anything attaches to it (jcmd starts the
# JVM's Attach Listener, one thread more from then on), live heap (its full GC), then what the OS and G1 see.
for t in /proc/"$GW_PID"/task/*; do cat "$t/comm"; done 2>/dev/null | sort | uniq -c | sort -rn >"$RUN_DIR/threads-idle.txt"
IDLE_UNATTACHED=$(awk '{n += $1} END {print n + 0}' "$RUN_DIR/threads-idle.txt")
IDLE_LIVE=""
[[ $LIVE_HEAP == 1 ]] && IDLE_LIVE=$(live_heap "$GW_PID" gateway-idle)
sleep 1
IDLE_ST=$(proc_status "$GW_PID"); IDLE_HEAP=$(heap_info "$GW_PID"); IDLE_JT=$(java_threads "$GW_PID")
log "gateway idle: threads/rss_mb $IDLE_ST, heap used/committed MB $IDLE_HEAP, java/virtual threads $IDLE_JT${IDLE_LIVE:+, live heap $IDLE_LIVE MB}"

wait_for_quiet
log "direct: $STREAMS streams to the simulator host, ramp $RAMP_MS ms"
run_phase direct "$SIM_PID" "$SIM_PORT" 0 proc --streams "$STREAMS" --ramp-ms "$RAMP_MS" "${direct[@]}"
D_RESULT=$PHASE_RESULT D_MAX=$PHASE_MAX D_GW=$PHASE_GW_CPU D_SIM=$PHASE_SIM_CPU D_OTHERS=$PHASE_OTHERS D_OPEN=$PHASE_OPEN D_TOP=$PHASE_TOP D_JVM=$PHASE_JVM
sleep 5
wait_for_quiet
log "gateway: $STREAMS streams through the gateway (alias fast), ramp $RAMP_MS ms"
OPEN_ST="" OPEN_HEAP="" OPEN_LIVE="" OPEN_JT=""
# Connections the gateway's provider pools opened so far (their counter, all providers): a phase on a warm pool should
# open none. Counted over each phase, its client's warm-up streams included.
opened_upstream() {
    curl -sf --max-time 5 "http://127.0.0.1:$MGMT_PORT/observe/metrics" \
        | awk '/^caravan_provider_connections_opened_total/ { s += $NF } END { printf "%d\n", s }'
}
OPENED_0=$(opened_upstream)
run_phase gateway "$GW_PID" "$GW_PORT" "$SIM_PORT" jcmd --streams "$STREAMS" --ramp-ms "$RAMP_MS" "${through[@]}"
OPENED_G=$(( $(opened_upstream) - OPENED_0 ))
G_RESULT=$PHASE_RESULT G_MAX=$PHASE_MAX G_GW=$PHASE_GW_CPU G_SIM=$PHASE_SIM_CPU G_OTHERS=$PHASE_OTHERS G_OPEN=$PHASE_OPEN G_TOP=$PHASE_TOP G_JVM=$PHASE_JVM
phases="direct gateway"
if [[ $AGAIN == 1 ]]; then
    # The first gateway phase opened ~N new connections to the simulator; they are pooled now, so this run sees
    # what a gateway already carrying that much traffic does with a burst of new streams.
    sleep 5
    wait_for_quiet
    log "again: $STREAMS streams through the gateway, its upstream connections pooled from the previous phase"
    OPENED_1=$(opened_upstream)
    run_phase again "$GW_PID" "$GW_PORT" "$SIM_PORT" proc --streams "$STREAMS" --ramp-ms "$RAMP_MS" "${through[@]}"
    OPENED_A=$(( $(opened_upstream) - OPENED_1 ))
    A_RESULT=$PHASE_RESULT A_MAX=$PHASE_MAX A_GW=$PHASE_GW_CPU A_SIM=$PHASE_SIM_CPU A_OTHERS=$PHASE_OTHERS A_TOP=$PHASE_TOP A_JVM=$PHASE_JVM
    phases+=" again"
fi

curl -s --max-time 5 "http://127.0.0.1:$SIM_PORT/_providers" >"$RUN_DIR/providers.json" || true
served=$(jq -r 'map("\(.provider)=\(.chat_calls)") | join(" ")' "$RUN_DIR/providers.json" 2>/dev/null || echo "?")
gw_errors=$(grep -c ' ERROR ' "$RUN_DIR/caravan.log" || true)
gw_warns=$(grep -c ' WARN ' "$RUN_DIR/caravan.log" || true)
failed=$(grep -c 'outcome=failed' "$RUN_DIR/caravan.log" || true)

{
    echo
    echo "Streaming on 127.0.0.1, $(nproc) cores: $STREAMS streams of ~$EVENTS_PER_STREAM content events" \
        "(first after ${FIRST_TOKEN_MS} ms, then every ${CHUNK_MS} ms), started over ${RAMP_MS} ms; providers: $enabled;" \
        "$(date -u '+%Y-%m-%d %H:%M UTC')"
    [[ -n $GATEWAY_PROPS ]] && echo "gateway overrides: $GATEWAY_PROPS"
    [[ -n ${CARAVAN_JVM_OPTS:-} ]] && echo "JVM options: $CARAVAN_JVM_OPTS"
    printf '%-8s %6s %6s %9s %9s %9s %9s %9s %9s %8s %7s %7s %8s %8s %8s %9s %9s %7s %6s %8s\n' phase ok failed \
        ttfc_p50 ttfc_p99 tth_p50 tth_p99 dur_p50 dur_p99 events/s threads rss_mb conns_in conns_up cpu_max% gw_cpu_s \
        sim_cpu_s jit_ms gc_ms others%
    for phase in $phases; do
        case $phase in
            direct) r=$D_RESULT m=$D_MAX g=$D_GW c=$D_SIM o=$D_OTHERS j=$D_JVM ;;
            gateway) r=$G_RESULT m=$G_MAX g=$G_GW c=$G_SIM o=$G_OTHERS j=$G_JVM ;;
            again) r=$A_RESULT m=$A_MAX g=$A_GW c=$A_SIM o=$A_OTHERS j=$A_JVM ;;
        esac
        read -r th rss cin cup pk <<<"$m"
        read -r jit gcms _ <<<"$j"
        printf '%-8s %6s %6s %9s %9s %9s %9s %9s %9s %8s %7s %7s %8s %8s %8s %9s %9s %7s %6s %8s\n' "$phase" \
            "$(field completed "$r")" "$(field failed "$r")" "$(field ttfc_p50_ms "$r")" "$(field ttfc_p99_ms "$r")" \
            "$(field tth_p50_ms "$r")" "$(field tth_p99_ms "$r")" "$(field dur_p50_ms "$r")" "$(field dur_p99_ms "$r")" \
            "$(field events_per_s "$r")" "$th" "$rss" "$cin" "$cup" "$pk" "$g" "$c" "$jit" "$gcms" "$o"
    done
    echo "ttfc: time to first content event, tth: to response headers, dur: whole stream (ms, client side);"
    echo "threads, rss_mb, conns_in/conns_up, cpu_max% (of one core over 1 s): maxima of 1 s samples of the process"
    echo "serving the phase (direct: the simulator host; gateway, again: the gateway); direct conns_in includes the"
    echo "gateway's idle pooled connections; again: the gateway phase repeated, upstream connections already pooled."
    echo "gw_cpu_s, sim_cpu_s: CPU seconds of the gateway and of the simulator host over the measured streams; jit_ms,"
    echo "gc_ms: time the serving process's JIT compilers spent compiling and its GC pauses, over the phase (hsperfdata)."
    echo "others%: share of the machine's CPU used by processes other than this benchmark's (0 when quiet); busiest"
    echo "other processes (% of one core): direct ${D_TOP:-none}; gateway ${G_TOP:-none}${A_TOP:+; again $A_TOP}"
    added() { awk -v g="$(field "$1" "$2")" -v d="$(field "$1" "$D_RESULT")" 'BEGIN{printf "%+.1f", g - d}'; }
    ratio() { awk -v g="$(field events_per_s "$1")" -v d="$(field events_per_s "$D_RESULT")" 'BEGIN{printf "%.1f", d ? g / d * 100 : 0}'; }
    for phase in $phases; do
        case $phase in gateway) r=$G_RESULT ;; again) r=$A_RESULT ;; *) continue ;; esac
        echo "Added by the gateway ($phase): time to first content p50 $(added ttfc_p50_ms "$r") ms, p90 $(added ttfc_p90_ms "$r")" \
            "ms, p99 $(added ttfc_p99_ms "$r") ms; stream duration p50 $(added dur_p50_ms "$r") ms, p99 $(added dur_p99_ms "$r") ms;" \
            "content events/s $(field events_per_s "$r") against $(field events_per_s "$D_RESULT") direct ($(ratio "$r") %)."
    done
    echo "Simulator host with all streams open (direct phase): ${D_OPEN:-never (see the failures)}."
    echo "Failures: direct $(field failures "$D_RESULT"); gateway $(field failures "$G_RESULT")${A_RESULT:+; again $(field failures "$A_RESULT")}."
    read -r it ir <<<"$IDLE_ST"; read -r iu ic <<<"$IDLE_HEAP"
    echo "Gateway idle: $it OS threads ($IDLE_UNATTACHED before jcmd attached), RSS $ir MB, heap used/committed" \
        "$iu/$ic MB, java/virtual threads $IDLE_JT${IDLE_LIVE:+, live heap $IDLE_LIVE MB}"
    echo "  OS threads at rest by name (before jcmd attached): $(awk '{printf "%s%s %s", sep, $1, substr($0, index($0, $2)); sep = "; "}' "$RUN_DIR/threads-idle.txt")"
    if [[ -n $OPEN_ST ]]; then
        read -r ot or <<<"$OPEN_ST"; read -r ou oc <<<"$OPEN_HEAP"
        n=$(sed -n 's/^open=\([0-9]*\).*/\1/p' <<<"$G_OPEN")
        echo "Gateway with all streams open ($G_OPEN):"
        echo "  $ot OS threads, RSS $or MB, heap used/committed $ou/$oc MB, java/virtual threads $OPEN_JT"
        per() { awk -v a="$1" -v b="$2" -v n="$n" 'BEGIN{printf "%.0f", n ? (a - b) * 1024 / n : 0}'; }
        echo "  per open stream ($n open): RSS $(per "$or" "$ir") KB, heap used $(per "$ou" "$iu") KB" \
            "${OPEN_LIVE:+, live heap $(per "$OPEN_LIVE" "$IDLE_LIVE") KB}"
        if [[ -n $OPEN_LIVE && -n $IDLE_LIVE ]] && ((n > 0)); then
            echo "  live heap growth per open stream, by class (bytes, objects):"
            histo_growth "$RUN_DIR/histo-gateway-idle.txt" "$RUN_DIR/histo-gateway-open.txt" "$n" | sed 's/^/    /'
        fi
    else
        echo "Gateway: ALL_OPEN never came (not every stream got its first content); see the failures."
    fi
    echo "Gateway CPU in the gateway phase: $G_GW s, $(awk -v c="$G_GW" -v n="$(field streams "$G_RESULT")" \
        'BEGIN{printf "%.1f", n ? c * 1e3 / n : 0}') ms per stream, $(awk -v c="$G_GW" -v e="$(field content_events "$G_RESULT")" \
        'BEGIN{printf "%.0f", e ? c * 1e6 / e : 0}') µs per content event (idle in the direct phase: $D_GW s;" \
        "includes the full GC and thread dump of the ALL_OPEN probe)."
    echo "Chat calls per simulated provider (warm-up included): $served."
    echo "Upstream connections opened by the gateway: gateway phase $OPENED_G${OPENED_A:+, again $OPENED_A} (a warm pool opens none)."
    echo "Gateway log: $failed request(s) logged as failed, $gw_errors ERROR and $gw_warns WARN line(s)."
    if ((gw_errors + gw_warns > 0)); then
        grep -E -A1 ' (ERROR|WARN) ' "$RUN_DIR/caravan.log" | grep -v '^--$' | sed -E 's/^[0-9T:,. -]+ (ERROR|WARN) +\[[^]]*\] //' \
            | grep -oE '^[A-Za-z]+ - [^(]{0,80}|^[a-z][A-Za-z0-9_.]+(Exception|Error)[^ ]*' | sort | uniq -c | sort -rn | awk 'NR <= 8'
    fi
} | tee ${RESULTS_DIR:+"$RESULTS_DIR/streaming.txt"}
if [[ -n $RESULTS_DIR ]]; then
    for f in "$RUN_DIR"/histo-*.txt; do head -n 150 "$f" >"$RESULTS_DIR/${f##*/}"; done
    cp "$RUN_DIR/threads-idle.txt" "$RESULTS_DIR/"
fi
