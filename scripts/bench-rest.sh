#!/usr/bin/env bash
# Benchmarks the REST proxy against the Discord simulator on this machine and prints 429s by scope,
# utilisation of the limits and the latency the proxy adds. Usage: scripts/bench-rest.sh [seconds of mixed load]
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=$(scripts/java-home.sh)
export JAVA_HOME
# -am builds the modules the bench needs from this checkout, so it measures the code in front of you.
./mvnw -B -q -pl bench -am package -DskipTests
exec "$JAVA_HOME/bin/java" -jar bench/target/bench.jar "$@"
