#!/usr/bin/env bash
# Runs the gateway proxy jar with the JVM flags the benchmarks chose (gateway-proxy/src/main/jvm/jvm.options).
# Configuration is by environment variables, as for `java -jar` (CONTRACT.md). Extra JVM flags: JAVA_OPTS.
# Usage: DISCORD_TOKEN=... NATS_URL=... scripts/gateway-proxy.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
JAVA_HOME=$("$root/scripts/java-home.sh")
# glibc gives every thread that mallocs its own arena; two are plenty for a process whose work is on virtual threads.
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
# shellcheck disable=SC2086 # JAVA_OPTS is a list of flags
exec "$JAVA_HOME/bin/java" "@$root/gateway-proxy/src/main/jvm/jvm.options" ${JAVA_OPTS:-} \
  -jar "$root/gateway-proxy/target/gateway-proxy.jar" "$@"
