#!/usr/bin/env bash
# Benchmarks the gateway proxy's event path on this machine and prints two tables: per frame (inflate, envelope,
# copy of d: frames/s and bytes allocated per frame) and end to end (simulator -> proxy -> JetStream on a local
# nats-server: events/s, median of 5 runs). Usage: scripts/bench-gateway.sh
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=$(scripts/java-home.sh)
export JAVA_HOME
./mvnw -B -q -o -pl shared-protocol,testkit,simulator,gateway-proxy install -DskipTests
./mvnw -B -q -o -pl bench package -DskipTests
exec "$JAVA_HOME/bin/java" -Xmx1g -cp bench/target/bench.jar dev.shardgate.bench.gateway.GatewayBench "$@"
