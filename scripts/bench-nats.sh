#!/usr/bin/env bash
# Measures what the event stream's duplicate window costs the NATS server in memory per message id, and prints a
# sizing table. Needs nats-server. Usage: scripts/bench-nats.sh [--smoke] [--out file.md]
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=$(scripts/java-home.sh)
export JAVA_HOME
./mvnw -B -q -pl bench -am package -DskipTests
exec "$JAVA_HOME/bin/java" -cp bench/target/bench.jar dev.shardgate.bench.nats.DedupeWindowBench "$@"
