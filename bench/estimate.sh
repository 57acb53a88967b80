#!/usr/bin/env bash
# Prompt estimation cost: time and allocation of one token estimate (gpt-4o, o200k_base) for prompts of 1 KB to
# 4 MB in four shapes (prose, one word of random letters, random unicode without spaces, one repeated character).
# One JVM per shape, capped at 1 GB of heap and TIMEOUT seconds, so that a size that never finishes still leaves
# the smaller ones. Usage: bench/estimate.sh [SIZES...]   (CARAVAN_JAR=... to measure another build)
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=${JAVA_HOME:-$(.ci/java-home)}; JAVA="$JAVA_HOME/bin/java"
CARAVAN_JAR=${CARAVAN_JAR:-target/caravan.jar}
TIMEOUT=${TIMEOUT:-120}
SIZES=${*:-1024 16384 262144 1048576 4194304}
[ -f "$CARAVAN_JAR" ] || JAVA_HOME=$JAVA_HOME mvn -B -q package -DskipTests
printf '%-8s %9s %10s %10s %10s %s\n' shape bytes ms alloc_MB tokens approximate
for shape in prose word unicode char; do
    # shellcheck disable=SC2086
    timeout "$TIMEOUT" "$JAVA" -Xmx1g -cp "$CARAVAN_JAR" bench/EstimateBench.java "$shape" $SIZES 2>/dev/null \
        | sed -n 's/^RESULT //p' \
        | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                 printf "%-8s %9s %10s %10s %10s %s\n", v["shape"], v["bytes"], v["ms"], v["alloc_mb"], v["tokens"], v["approximate"] }' \
        || echo "$shape: stopped (timeout ${TIMEOUT}s or out of memory) after the sizes above"
done
