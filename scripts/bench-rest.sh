#!/usr/bin/env bash
# Benchmarks the REST proxy against the Discord simulator on this machine and prints 429s by scope,
# utilisation of the limits and the latency the proxy adds. Usage: scripts/bench-rest.sh [seconds of mixed load]
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=$(scripts/java-home.sh)
export JAVA_HOME
./mvnw -B -q -o -pl simulator,gateway-proxy install -DskipTests
./mvnw -B -q -o -pl bench package -DskipTests
exec "$JAVA_HOME/bin/java" -jar bench/target/bench.jar "$@"
