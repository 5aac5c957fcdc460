#!/usr/bin/env bash
# Benchmarks the gateway proxy's event path on this machine and prints three tables: per frame (inflate, envelope,
# copy of d: frames/s and bytes allocated per frame), end to end (simulator -> proxy -> JetStream on a local
# nats-server: events/s, median of 5 runs) and the publish leg alone. Needs nats-server. Usage: scripts/bench-gateway.sh
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=$(scripts/java-home.sh)
export JAVA_HOME
# -am builds the modules the bench needs from this checkout, so it measures the code in front of you.
./mvnw -B -q -pl bench -am package -DskipTests
exec "$JAVA_HOME/bin/java" -Xmx1g -cp bench/target/bench.jar dev.shardgate.bench.gateway.GatewayBench "$@"
