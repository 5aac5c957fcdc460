#!/usr/bin/env bash
# Benchmarks the REST role on this machine (dev.shardgate.bench.rest.RestRoleBench): the latency the proxy adds to
# requests that do not wait and the rate it sustains when limits are high, the proxy running as a child JVM in
# front of the Discord simulator. Prints a markdown fragment (scripts/bench.sh runs it with the whole suite).
# Usage: scripts/bench-rest.sh [--out f.md] [--smoke] [--jvm "<proxy JVM flags>"] [--proxy-jar <path>]
# [--jfr proxy.jfr]
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=$(scripts/java-home.sh)
export JAVA_HOME
# -am builds the modules the bench needs from this checkout, so it measures the code in front of you.
./mvnw -B -q -pl bench -am package -DskipTests
exec "$JAVA_HOME/bin/java" -cp bench/target/bench.jar dev.shardgate.bench.rest.RestRoleBench "$@"
