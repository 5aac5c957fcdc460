#!/usr/bin/env bash
# Builds the bench module from this checkout and runs one benchmark main class with the given arguments
# (--smoke, --out f.md, and for those that launch the proxy --jvm "<flags>", --proxy-jar, --jfr).
# Usage: scripts/bench-one.sh <class> [args]; scripts/bench.sh runs them all and writes docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 ]] || { echo "usage: scripts/bench-one.sh <benchmark class> [args]" >&2; exit 2; }
JAVA_HOME=$(scripts/java-home.sh)
export JAVA_HOME
# -am builds the modules the bench needs from this checkout, so it measures the code in front of you.
./mvnw -B -q -pl bench -am package -DskipTests
class=$1
shift
# ZGC for the benchmark's own JVM (the simulator's): its pauses must not be measured as the proxy's (scripts/bench.sh).
exec "$JAVA_HOME/bin/java" -Xmx1g -XX:+UseZGC -cp bench/target/bench.jar "$class" "$@"
