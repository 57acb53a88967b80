#!/usr/bin/env bash
# Starts the shape floor alone in front of the fake upstream and shows what it answers and logs (at most ~40 s).
cd /tmp/bench-main
export JAVA_HOME=$(.ci/java-home)
source bench/lib.sh
ensure_tools
ensure_floor
start_fake_upstream
FLOOR_PORT=$(free_port)
(cd "$REPO_DIR" && exec env MALLOC_ARENA_MAX=2 "$JAVA" $CARAVAN_JVM_OPTS -Dfloor.stack=shape -Dfloor.port="$FLOOR_PORT" \
    -Dfloor.json-upstream="http://127.0.0.1:$UP_PORT" -cp "$FLOOR_CP" dev.caravan.floor.FloorMain) >"$RUN_DIR/shape.log" 2>&1 &
STARTED_PIDS+=("$!")
for i in $(seq 1 30); do
  sleep 1
  code=$(curl -s -o "$RUN_DIR/out" -w '%{http_code}' --max-time 1 -H 'Content-Type: application/json' -d '{}' "http://127.0.0.1:$FLOOR_PORT/v1/chat/completions" || true)
  echo "$i: $code $(head -c 200 "$RUN_DIR/out")"
  [[ $code == 200 ]] && break
done
echo "--- floor log"; tail -60 "$RUN_DIR/shape.log"
