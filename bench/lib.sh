# shellcheck shell=bash
# Shared helpers for the Caravan benchmarks. Sourced by overhead.sh, concurrency.sh and streaming.sh; not run on its own.
# Everything here listens on 127.0.0.1 only and sends traffic only to 127.0.0.1.

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA=${JAVA:-$JAVA_HOME/bin/java}
# The jar under test; built by ensure_jar when missing. Copied to the run directory before start so that a
# `mvn clean` elsewhere cannot pull it away mid-run.
CARAVAN_JAR=${CARAVAN_JAR:-$REPO_DIR/target/caravan.jar}
# The checkout whose application.properties and routes/ go with that jar (another build's, to measure it).
CARAVAN_HOME=${CARAVAN_HOME:-$REPO_DIR}
# JVM options of every gateway under test: the heap the README ships (README, "Running it for real"; G1 is this
# machine's default collector, so it is not named here, and a collector given in GATEWAY_PROPS does not clash with
# it). The same list as the README's command and the Dockerfile's JAVA_OPTS, explained in the README: keep them alike.
# CARAVAN_JVM_OPTS= (empty) runs the JVM's defaults instead. Not applied to the simulator host.
CARAVAN_JVM_OPTS=${CARAVAN_JVM_OPTS-"-Xms320m -Xmx320m -XX:-ClassUnloadingWithConcurrentMark -XX:MarkStackSize=256k \
-XX:TrimNativeHeapInterval=1000 -XX:MetaspaceSize=96m -Dio.netty.allocator.maxOrder=7"}
# ... plus compact object headers where the JVM has them as a product option (JDK 25 and later), as the README's
# command adds them: CARAVAN_COMPACT_HEADERS=0 leaves them out. Not added when CARAVAN_JVM_OPTS is empty.
CARAVAN_COMPACT_HEADERS=${CARAVAN_COMPACT_HEADERS:-1}
if [[ -n $CARAVAN_JVM_OPTS && $CARAVAN_COMPACT_HEADERS == 1 && $CARAVAN_JVM_OPTS != *CompactObjectHeaders* ]] \
    && "$JAVA" -XX:+UseCompactObjectHeaders -version >/dev/null 2>&1; then
    CARAVAN_JVM_OPTS+=" -XX:+UseCompactObjectHeaders"
fi
# ... and the environment it ships with (glibc's malloc arenas: two, not one per thread). CARAVAN_MALLOC_ARENA_MAX=
# (empty) leaves glibc's default.
CARAVAN_MALLOC_ARENA_MAX=${CARAVAN_MALLOC_ARENA_MAX-2}
# Never these: other tools on this machine use them.
RESERVED_PORTS=" 8080 8090 9876 "

RUN_DIR=$(mktemp -d /tmp/caravan-bench.XXXXXX)
STARTED_PIDS=()

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Stops exactly the processes this script started (by pid, never by name), then removes the run directory
# unless KEEP_RUN_DIR=1.
cleanup() {
    local pid i
    # newest first, each one gone before the next: the gateway stops before the upstream it calls
    for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do
        pid=${STARTED_PIDS[i]}
        kill -TERM "$pid" 2>/dev/null || continue
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL "$pid" 2>/dev/null || true
    done
    if [[ "${KEEP_RUN_DIR:-0}" == 1 ]]; then
        log "run directory kept: $RUN_DIR"
    else
        rm -rf "$RUN_DIR"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_tools() {
    local missing=()
    # the folder a run's raw output is copied to, when one is asked for
    if [[ -n ${RESULTS_DIR:-} ]]; then mkdir -p "$RESULTS_DIR"; fi
    command -v wrk >/dev/null || missing+=(wrk)
    command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
    if ((${#missing[@]})); then
        log "installing ${missing[*]} with apt-get"
        [[ $(id -u) == 0 ]] || die "need root to apt-get install ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        # the Debian package may start a system nginx on port 80: the benchmarks do not use it
    fi
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
    [[ -x "$JAVA" ]] || die "no java at $JAVA (set JAVA_HOME)"
}

ensure_jar() {
    # built again when a source is newer than the jar: a jar left from an older checkout would run old code, or
    # not start at all against the newer application.properties copied beside it
    if [[ ! -f "$CARAVAN_JAR" ]] \
        || [[ -n $(find "$REPO_DIR/src/main" "$REPO_DIR/pom.xml" -newer "$CARAVAN_JAR" -print -quit) ]]; then
        log "building $CARAVAN_JAR"
        (cd "$REPO_DIR" && JAVA_HOME=$JAVA_HOME mvn -B -q package -DskipTests) >&2
    fi
    cp "$CARAVAN_JAR" "$RUN_DIR/caravan.jar"
    # the routes and properties the gateway reads, copied with the jar: a route file added to the checkout
    # later must not reach a jar built before it
    cp "$CARAVAN_HOME/application.properties" "$RUN_DIR/application.properties"
    cp -r "$CARAVAN_HOME/routes" "$RUN_DIR/routes"
}

# The floors' project (bench/floor/), built again when its sources or the gateway's event-loop engine (which it takes
# from the gateway's compiled classes) are newer than its last build: first the gateway's classes, then the floors.
# Sets FLOOR_CP, the floors' class path, with their classes copied to the run directory (as the jar is).
ensure_floor() {
    local floor=$BENCH_DIR/floor engine=src/main/java/org/apache/camel/component/platform/http/vertx
    if [[ ! -f $floor/target/classpath.txt || -n $(find "$floor/src" "$floor/pom.xml" "$REPO_DIR/$engine" \
            -newer "$floor/target/classpath.txt" -print -quit 2>/dev/null) ]]; then
        log "building the gateway's classes and the floors (bench/floor/pom.xml)"
        (cd "$REPO_DIR" && JAVA_HOME=$JAVA_HOME mvn -B -q compile && cd "$floor" && JAVA_HOME=$JAVA_HOME mvn -B -q package) >&2 \
            || die "the floors did not build"
    fi
    cp -r "$floor/target/classes" "$RUN_DIR/floor-classes"
    FLOOR_CP="$RUN_DIR/floor-classes:$(cat "$floor/target/classpath.txt")"
}

# A free TCP port on 127.0.0.1, not one of the reserved ones and not one handed out before in this run.
GIVEN_PORTS=" "
free_port() {
    local port
    while :; do
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
        [[ "$RESERVED_PORTS" == *" $port "* || "$GIVEN_PORTS" == *" $port "* ]] && continue
        GIVEN_PORTS+="$port "
        echo "$port"
        return
    done
}

wait_http() { # url seconds [pid that must stay alive] [its log]
    local url=$1 secs=$2 pid=${3:-} logf=${4:-} i
    for ((i = 0; i < secs * 5; i++)); do
        curl -sf -o /dev/null --max-time 1 "$url" && return 0  # 2xx only: the port opens before the routes exist
        if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
            [[ -n $logf ]] && grep -v '^WARNING' "$logf" | tail -15 >&2
            die "the process serving $url (pid $pid) exited"
        fi
        sleep 0.2
    done
    die "nothing answered at $url within ${secs}s"
}

# Starts an nginx in the foreground (daemon off) with the given config file. Sets LAST_PID to its master pid.
# (Not called as $(...): the pid must be recorded in this shell for the cleanup trap.)
start_nginx() { # name conf
    local name=$1 conf=$2
    mkdir -p "$RUN_DIR/$name"
    "$NGINX" -p "$RUN_DIR/$name" -c "$conf" -e "$RUN_DIR/$name/error.log" >"$RUN_DIR/$name/stdout.log" 2>&1 &
    LAST_PID=$!
    STARTED_PIDS+=("$LAST_PID")
}

# Starts Caravan with the application.properties and routes/ copied beside its jar (whatever the working
# directory; relative paths in CARAVAN_JVM_OPTS still resolve against the repository), bound to
# 127.0.0.1 (the properties file says 0.0.0.0 for the client API), with the JMS and file ingress off and
# their folders in the run directory (these benchmarks load HTTP, and several Caravans must not share one
# broker port or journal). Sets LAST_PID; log in $RUN_DIR/<name>.log.
start_caravan() { # name -Dkey=value...
    local name=$1
    shift
    cd "$REPO_DIR"
    # shellcheck disable=SC2086 # CARAVAN_JVM_OPTS is a list of JVM options
    env ${CARAVAN_JVM_OPTS:+${CARAVAN_MALLOC_ARENA_MAX:+MALLOC_ARENA_MAX=$CARAVAN_MALLOC_ARENA_MAX}} \
    "$JAVA" -Dcaravan.config="$RUN_DIR/application.properties" \
        -Dcamel.main.routes-include-pattern="file:$RUN_DIR/routes/*.camel.yaml" \
        --enable-native-access=ALL-UNNAMED ${CARAVAN_JVM_OPTS:-} -Dcamel.server.host=127.0.0.1 -Dcamel.management.host=127.0.0.1 \
        -Dcaravan.simulator.host=127.0.0.1 -Dcaravan.jms.enabled=false -Dcaravan.file.enabled=false \
        -Dcaravan.jms.data-dir="$RUN_DIR/$name-data/broker" -Dcaravan.file.inbox="$RUN_DIR/$name-data/inbox" \
        -Dcaravan.file.outbox="$RUN_DIR/$name-data/outbox" -Dcaravan.file.done="$RUN_DIR/$name-data/done" \
        -Dcaravan.file.error="$RUN_DIR/$name-data/error" \
        "$@" -jar "$RUN_DIR/caravan.jar" >"$RUN_DIR/$name.log" 2>&1 &
    LAST_PID=$!
    STARTED_PIDS+=("$LAST_PID")
    cd - >/dev/null
}

# Starts a Caravan that only hosts the simulated providers (its own gateway idles on ports nobody uses), so
# that a gateway under test has its threads and memory to itself. Sets SIM_PORT and SIM_PID.
start_simulator_host() {
    local gw mgmt
    SIM_PORT=$(free_port); gw=$(free_port); mgmt=$(free_port)
    log "simulator host on 127.0.0.1:$SIM_PORT (a Caravan with the simulator always on; its own gateway idle on $gw)"
    # the providers of $PROVIDERS (configured in application.properties, not all enabled there) and their aliases
    simulated_aliases
    CARAVAN_JVM_OPTS="" start_caravan simulator \
        -Dcaravan.simulator.enabled=true -Dcaravan.simulator.port="$SIM_PORT" \
        -Dcaravan.http.port="$gw" -Dcamel.management.port="$mgmt" -Dcaravan.health.interval=1h "${ALIAS_ARGS[@]}"
    SIM_PID=$LAST_PID
    wait_http "http://127.0.0.1:$SIM_PORT/_providers" 90 "$SIM_PID" "$RUN_DIR/simulator.log"
}

# The upstream model each simulated provider serves alias 'fast' with.
simulated_model() { # provider
    case $1 in
        openai) echo gpt-4o-mini ;;
        groq) echo llama-3.1-8b-instant ;;
        together) echo meta-llama/Llama-3.2-3B-Instruct-Turbo ;;
        *) return 1 ;;
    esac
}

# The -D options that enable the providers of $PROVIDERS and put their models behind aliases 'fast' (all of
# them) and 'smart' (the first), in ALIAS_ARGS.
simulated_aliases() {
    local targets=() p m
    for p in $PROVIDERS; do
        m=$(simulated_model "$p") || die "unknown provider $p"
        targets+=("$p:$m")
    done
    ALIAS_ARGS=(-Dcaravan.providers="$(tr ' ' ',' <<<"$PROVIDERS")" -Dcaravan.model.fast="$(IFS=,; echo "${targets[*]}")"
                -Dcaravan.model.smart="${targets[0]}")
}

# Starts the gateway under test with the simulator off and the providers of $PROVIDERS pointed at the simulator host
# (start_simulator_host first), their models behind alias 'fast'; extra -D options from $GATEWAY_PROPS. Sets GW_PORT,
# MGMT_PORT and GW_PID, and waits until it answers.
start_gateway_on_simulator() {
    GW_PORT=$(free_port); MGMT_PORT=$(free_port)
    local args=(-Dcaravan.simulator.enabled=false -Dcaravan.http.port="$GW_PORT" -Dcamel.management.port="$MGMT_PORT"
                -Dcaravan.health.interval=1h)
    local p
    for p in $PROVIDERS; do
        args+=("-Dcaravan.provider.$p.base-url=http://127.0.0.1:$SIM_PORT/$p/v1" "-Dcaravan.provider.$p.api-keys=bench-key-$p")
    done
    simulated_aliases
    args+=("${ALIAS_ARGS[@]}")
    log "gateway on 127.0.0.1:$GW_PORT (management $MGMT_PORT), providers $PROVIDERS -> simulator"
    # shellcheck disable=SC2086 # GATEWAY_PROPS is a list of -D options
    start_caravan caravan "${args[@]}" ${GATEWAY_PROPS:-}
    GW_PID=$LAST_PID
    wait_http "http://127.0.0.1:$GW_PORT/v1/models" 90 "$GW_PID" "$RUN_DIR/caravan.log"
}

# Re-runs the calling script under `timeout` so that the whole run is bounded; the TERM it sends at the end
# of the budget runs the cleanup trap. Call first thing, with the budget in seconds and the script's args.
bound_run_time() { # seconds script args...
    local budget=$1 script=$2
    shift 2
    if [[ -z "${CARAVAN_BENCH_BOUNDED:-}" ]]; then
        export CARAVAN_BENCH_BOUNDED=$budget
        trap - EXIT
        rm -rf "$RUN_DIR"
        exec timeout --kill-after=30 "$budget" bash "$script" "$@"
    fi
}

# utime+stime of a process and of the given extra pids, in clock ticks.
cpu_ticks() { # pid...
    local total=0 pid f
    for pid in "$@"; do
        # fields after the ')' of the command name: state is $3 of the full line; utime=14, stime=15
        f=$(sed 's/^.*) //' "/proc/$pid/stat")
        total=$((total + $(awk '{print $12 + $13}' <<<"$f")))
    done
    echo "$total"
}

# utime+stime per thread of a process, summed by thread name with digits dropped ("C2 CompilerThread#",
# "ForkJoinPool-#-worker-#"): one "ticks<TAB>name" line per group.
thread_ticks() { # pid
    local t
    for t in /proc/"$1"/task/*; do
        { read -r name <"$t/comm"; sed 's/^.*) //' "$t/stat" | awk -v n="$name" '{gsub(/[0-9]+/, "#", n); print $12 + $13 "\t" n}'; } 2>/dev/null || true
    done | awk -F'\t' '{s[$2] += $1} END {for (n in s) print s[n] "\t" n}'
}

# The difference of two thread_ticks outputs, largest first, as "percent-of-total name" lines.
thread_ticks_diff() { # before-file after-file
    awk -F'\t' 'NR == FNR {b[$2] = $1; next} {d = $1 - b[$2]; if (d > 0) {a[$2] = d; t += d}}
        END {for (n in a) printf "%5.1f%% %s\n", a[n] * 100 / t, n}' "$1" "$2" | sort -rn
}

# nginx master plus its workers.
nginx_pids() { # master_pid
    # shellcheck disable=SC2046 # one pid per word
    echo "$1" $(pgrep -P "$1" || true)
}

CLK_TCK=$(getconf CLK_TCK)

# Busy CPU ticks of the whole machine (all cores): user+nice+system+irq from /proc/stat. Softirq is left out: at high
# packet rates on loopback the kernel charges much of the network work to it rather than to any process, which would
# show up as "other processes"; steal (the hypervisor's) is left out too.
machine_busy_ticks() {
    awk '/^cpu /{print $2 + $3 + $4 + $7; exit}' /proc/stat
}

# Runs wrk with the POST script ($WRK_SCRIPT when set, e.g. bench/floor/sse.lua). Prints one line:
#   requests rps p50_ms p99_ms non2xx socket_errors timeouts duration_s wrk_cpu_s machine_busy_cpu_s
# (the Lua done() hook prints the first eight; wrk's own CPU time and the CPU time the whole machine spent busy
# during the run are added here, so that callers can tell how much of the machine something else used).
# Full wrk output goes to $RUN_DIR/wrk-<label>.txt.
run_wrk() { # label threads conns duration url [extra wrk args...]
    local label=$1 threads=$2 conns=$3 duration=$4 url=$5
    shift 5
    local out="$RUN_DIR/wrk-$label.txt" secs=${duration%s} busy0 busy1 wrkcpu result
    busy0=$(machine_busy_ticks)
    local TIMEFORMAT='%U %S'
    { time timeout --kill-after=5 $((secs + 60)) wrk -t"$threads" -c"$conns" -d"$duration" --latency \
        -s "${WRK_SCRIPT:-$BENCH_DIR/post.lua}" "$@" "$url" >"$out" 2>&1 || log "wrk ended with status $? (see $out)"; } 2>"$out.time"
    busy1=$(machine_busy_ticks)
    if [[ -n "${RESULTS_DIR:-}" ]]; then cp "$out" "$RESULTS_DIR/"; fi
    result=$(grep '^RESULT ' "$out" | tail -1 | cut -d' ' -f2-)
    [[ -n $result ]] || die "wrk printed no result: $(tail -5 "$out")"
    wrkcpu=$(awk 'NF==2{printf "%.2f", $1 + $2}' "$out.time")
    echo "$result ${wrkcpu:-0} $(awk -v t=$((busy1 - busy0)) -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", t/hz}')"
}

# Percentage of the machine's CPU (all cores) used by processes other than ours during a run.
others_pct() { # machine_busy_cpu_s our_cpu_s secs
    # all online cores, also when the caller is pinned to fewer (bench/floor.sh)
    awk -v b="$1" -v o="$2" -v s="$3" -v n="$(getconf _NPROCESSORS_ONLN)" 'BEGIN{x = (b - o) / (s * n) * 100; if (x < 0) x = 0; printf "%.0f", x}'
}

# With QUIET_WAIT=<seconds>, waits (at most that long) until the machine is quiet before a measurement: less than
# QUIET_MAX_PCT (default 25) percent of all cores busy over 3 s while this benchmark is idle. Other workloads on a
# shared machine otherwise take CPU from the gateway and the load generator alike. Logs what it saw either way.
wait_for_quiet() {
    local max=${QUIET_WAIT:-0} limit=${QUIET_MAX_PCT:-25} waited=0 b0 b1 pct
    while :; do
        b0=$(machine_busy_ticks); sleep 3; b1=$(machine_busy_ticks)
        pct=$(awk -v t=$((b1 - b0)) -v hz="$CLK_TCK" -v n="$(nproc)" 'BEGIN{printf "%.0f", t/hz/3/n*100}')
        if ((pct < limit)); then log "machine ${pct}% busy before the run"; return; fi
        if ((waited >= max)); then log "machine ${pct}% busy before the run (other processes); measuring anyway"; return; fi
        sleep 5; waited=$((waited + 8))
    done
}

# The start of every bench nginx.conf, up to its own http-level lines: WORKERS workers, its files under DIR,
# keep-alive without bound (a benchmark's connections are never closed by the server), and requests of any size
# (overhead.sh REQUEST_BYTES) held in memory, as a gateway holds them.
nginx_conf_head() { # dir workers
    local dir=$1
    cat <<NGINX
worker_processes $2;
pid $dir/nginx.pid;
daemon off;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    client_body_temp_path $dir/body;
    client_max_body_size 0;
    client_body_buffer_size 4m;
NGINX
}

# The fake upstream's answer: a realistic, small chat.completion (OpenAI's shape), answered instantly.
BENCH_COMPLETION='{"id":"chatcmpl-bench0001","object":"chat.completion","created":1735689600,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":8,"completion_tokens":9,"total_tokens":17,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}},"system_fingerprint":"fp_bench"}'

# Writes <dir>/nginx.conf: a one-worker nginx on 127.0.0.1:<port> that answers POST /v1/chat/completions with
# the directives <answer> (e.g. "default_type application/json; return 200 '...';"), any more locations given as
# <extra>, and 404 elsewhere. Keep-alive is unbounded, so the upstream never closes a benchmark's connection.
write_upstream_conf() { # dir port answer [extra locations]
    local dir=$1 port=$2 answer=$3 extra=${4:-}
    { nginx_conf_head "$dir" 1; cat <<NGINX; } >"$dir/nginx.conf"
    server {
        listen 127.0.0.1:$port;
        location = /v1/chat/completions { $answer }
        $extra
        location / { return 404; }
    }
}
NGINX
}

# start_fake_upstream: the fake provider most benches call, a one-worker nginx answering BENCH_COMPLETION, on a
# free port; sets UP_PORT and UP_PID and returns once it answers.
start_fake_upstream() {
    UP_PORT=$(free_port)
    mkdir -p "$RUN_DIR/upstream"
    write_upstream_conf "$RUN_DIR/upstream" "$UP_PORT" "default_type application/json; return 200 '$BENCH_COMPLETION';"
    start_nginx upstream "$RUN_DIR/upstream/nginx.conf"; UP_PID=$LAST_PID
    wait_http "http://127.0.0.1:$UP_PORT/v1/chat/completions" 10 "$UP_PID" "$RUN_DIR/upstream/error.log"
}

# start_caravan_on_fake NAME [-Dkey=value...]: a Caravan whose one provider, fake, is start_fake_upstream's nginx
# (models fast and smart), on free ports GW_PORT and MGMT_PORT, with GATEWAY_PROPS and the options given last;
# sets GW_PID and returns once it answers.
start_caravan_on_fake() {
    local name=$1
    shift
    GW_PORT=$(free_port)
    MGMT_PORT=$(free_port)
    # shellcheck disable=SC2086 # GATEWAY_PROPS is a list of -D options
    start_caravan "$name" -Dcaravan.simulator.enabled=false -Dcaravan.providers=fake \
        -Dcaravan.provider.fake.dialect=openai -Dcaravan.provider.fake.base-url="http://127.0.0.1:$UP_PORT/v1" \
        -Dcaravan.provider.fake.api-keys=bench-key -Dcaravan.model.fast=fake:gpt-4o-mini \
        -Dcaravan.model.smart=fake:gpt-4o -Dcaravan.http.port="$GW_PORT" -Dcamel.management.port="$MGMT_PORT" \
        -Dcaravan.health.interval=1h "$@" ${GATEWAY_PROPS:-}
    GW_PID=$LAST_PID
    # a busy machine can take minutes to start the JVM
    wait_http "http://127.0.0.1:$GW_PORT/v1/models" 300 "$GW_PID" "$RUN_DIR/$name.log"
}

# start_floor NAME STACK [JVM options...]: a bench/floor stack (ensure_floor first) in front of start_fake_upstream's
# nginx (UP_PORT), on a free port FLOOR_PORT, with FLOOR_JVM_OPTS (Caravan's JVM options when unset) and the options
# given; sets LAST_PID and returns once it answers a chat completion (its log: RUN_DIR/NAME.log).
start_floor() {
    local name=$1 stack=$2 i opts=${FLOOR_JVM_OPTS-$CARAVAN_JVM_OPTS}
    shift 2
    FLOOR_PORT=$(free_port)
    # from the repository root: the floor reads bench/floor/floor.properties and its stack's routes from there
    # shellcheck disable=SC2086 # opts is a list of JVM options
    (cd "$REPO_DIR" && exec env ${opts:+${CARAVAN_MALLOC_ARENA_MAX:+MALLOC_ARENA_MAX=$CARAVAN_MALLOC_ARENA_MAX}} \
        "$JAVA" $opts "$@" -Dfloor.stack="$stack" -Dfloor.port="$FLOOR_PORT" \
        -Dfloor.json-upstream="http://127.0.0.1:$UP_PORT" -cp "$FLOOR_CP" dev.caravan.floor.FloorMain) \
        >"$RUN_DIR/$name.log" 2>&1 &
    LAST_PID=$!
    STARTED_PIDS+=("$LAST_PID")
    local code=000
    # its routes take POST only: no GET to wait on; a busy machine takes minutes (FLOOR_START_SECS, default 300)
    for ((i = 0; i < ${FLOOR_START_SECS:-300} * 5; i++)); do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 -H 'Content-Type: application/json' -d '{}' \
            "http://127.0.0.1:$FLOOR_PORT/v1/chat/completions" || true)
        [[ $code == 200 ]] && return 0
        kill -0 "$LAST_PID" 2>/dev/null || { tail -15 "$RUN_DIR/$name.log" >&2; die "floor $name ($stack) exited"; }
        sleep 0.2
    done
    # a floor that listens but answers no request (a class it cannot load) shows why in its log
    tail -15 "$RUN_DIR/$name.log" >&2
    die "floor $name ($stack) did not answer 200 within ${FLOOR_START_SECS:-300} s (last: $code)"
}

# write_proxy_conf DIR UP_PORT PROXY_PORT WORKERS: the nginx reverse proxy every bench compares with, keeping its
# upstream connections alive as a gateway's pool would, written to DIR/nginx.conf.
write_proxy_conf() {
    local dir=$1 up=$2 port=$3 workers=$4
    { nginx_conf_head "$dir" "$workers"; cat <<NGINX; } >"$dir/nginx.conf"
    proxy_temp_path $dir/proxy;
    upstream fake {
        server 127.0.0.1:$up;
        keepalive 128;
        keepalive_requests 10000000;
    }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://fake;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
NGINX
}

# calls_per_request TITLE WIDTH METHOD... -- ROW...
# Calls per chat completion, counted rather than timed (counts per request do not move with the machine's load, unlike
# CPU time): bench/alloc.sh's pass-through run (the fake upstream; CONNS connections, WARMUP then DURATION) recorded
# with JFR method timing (JDK 25), which counts every call of each METHOD ("type::name", a JFR method filter). Prints
# TITLE with the run's connections, requests counted and time, then a line per ROW, "label|awk expression": the
# expression over sum(regex), the calls of the counted methods whose "type.name descriptor" matches regex, is divided
# by the requests (units of work made, one per exchange the HTTP consumer creates, counted here whatever the METHODs)
# and printed after the label, in a column WIDTH wide. Counts and JFR output stay in RUN_DIR.
calls_per_request() {
    local title=$1 width=$2 methods=("org.apache.camel.impl.engine.DefaultUnitOfWork::<init>") rows=() row
    shift 2
    while (($#)) && [[ $1 != -- ]]; do methods+=("$1"); shift; done
    (($#)) && shift
    rows=("$@")
    local settings="$RUN_DIR/calls.jfc" out="$RUN_DIR/alloc" program=""
    "$JAVA_HOME/bin/jfr" configure --input default "method-timing=$(IFS=';'; echo "${methods[*]}")" \
        --output "$settings" >/dev/null
    mkdir -p "$out"
    RESULTS_DIR="$out" JFR_SETTINGS="$settings" CONNS=$CONNS WARMUP=$WARMUP DURATION=$DURATION TOP=1 \
        "$BENCH_DIR/alloc.sh" >/dev/null
    "$JAVA_HOME/bin/jfr" print --json --events jdk.MethodTiming "$out/alloc.jfr" >"$RUN_DIR/timing.json"
    # the last event per method holds its count over the whole recording
    jq -r '[.recording.events[].values | {m: (.method.type.name + "." + .method.name + .method.descriptor), n: .invocations}]
           | group_by(.m) | map({m: .[0].m, n: (map(.n) | max)}) | .[] | "\(.n)\t\(.m)"' "$RUN_DIR/timing.json" \
        >"$RUN_DIR/counts.tsv"
    for row in "${rows[@]}"; do
        program+="printf \"  %-${width}s %6.1f\\n\", \"${row%%|*}\", (${row#*|}) / r"$'\n'
    done
    awk -F'\t' -v conns="$CONNS" -v title="$title" -v when="$(date -u '+%Y-%m-%d %H:%M UTC')" '
        { n[$2] = $1 }
        function sum(pat,   k, s) { s = 0; for (k in n) if (k ~ pat) s += n[k]; return s }
        END {
            r = sum("DefaultUnitOfWork.<init>\\(Lorg/apache/camel/Exchange;Lorg/slf4j/Logger")
            if (r == 0) r = sum("DefaultUnitOfWork.<init>")
            if (r == 0) { print "no request counted"; exit 1 }
            printf "%s (pass-through, %d connections, %d requests counted); %s\n", title, conns, r, when
            '"$program"'
        }' "$RUN_DIR/counts.tsv"
}
