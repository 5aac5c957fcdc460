#!/usr/bin/env bash
# Checks the Discord simulator with discord.js (a second real client library, besides JDA in the simulator's
# tests): starts the simulator jar on free-ish local ports, installs the pinned discord.js from npm into
# target/, runs scripts/fidelity-discordjs/check.mjs and prints "N passed, M failed". Needs node 18+ and npm.
#   FIDELITY_SIM_PORT (default 18190)  the simulator's HTTP port (gateway and resume ports follow it)
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=$(scripts/java-home.sh); export JAVA_HOME
SIM_PORT=${FIDELITY_SIM_PORT:-18190}
WORK=target/fidelity-discordjs

./mvnw -B -q -pl simulator -am package -DskipTests
mkdir -p "$WORK"
cp scripts/fidelity-discordjs/package.json scripts/fidelity-discordjs/check.mjs "$WORK/"
(cd "$WORK" && npm install --no-audit --no-fund --loglevel=error >/dev/null)

SIM_PORT="$SIM_PORT" SIM_SHARDS=1 SIM_GUILDS_PER_SHARD=3 "$JAVA_HOME/bin/java" -jar simulator/target/simulator.jar \
  >"$WORK/simulator.log" 2>&1 &
SIM_PID=$!
trap 'kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$SIM_PORT/_sim/stats" >/dev/null 2>&1 && break
  sleep 0.2
done

SIM_URL="http://127.0.0.1:$SIM_PORT" SIM_TOKEN=sim-token SIM_GUILDS_PER_SHARD=3 node "$WORK/check.mjs"
