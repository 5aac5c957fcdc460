#!/usr/bin/env bash
# The demo: nats-server, the Discord simulator, the gateway proxy (gateway + REST roles) and the example worker,
# all on 127.0.0.1, no Discord token needed. It shows shards coming up, events flowing into JetStream and being
# handled, `!ping` answered through the REST proxy, and a zombied shard resuming instead of re-identifying.
#   DEMO_SECONDS (default 40)  how long to watch before stopping everything
#   DEMO_SHARDS  (default 4)   shards of the simulated bot
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=$(scripts/java-home.sh); export JAVA_HOME
JAVA="$JAVA_HOME/bin/java"
SECONDS_TO_RUN=${DEMO_SECONDS:-40}
SHARDS=${DEMO_SHARDS:-4}
NATS_PORT=${DEMO_NATS_PORT:-14222} SIM_PORT=${DEMO_SIM_PORT:-18090}
ADMIN_PORT=${DEMO_ADMIN_PORT:-18080} REST_PORT=${DEMO_REST_PORT:-18081} WORKER_PORT=${DEMO_WORKER_PORT:-18082}
NATS_BIN=$(command -v nats-server || echo /usr/sbin/nats-server)

echo "== building the jars"
./mvnw -B -q -DskipTests package 2>&1 | { grep -v '^WARNING: .*sun.misc.Unsafe' || true; }

work=$(mktemp -d -t shardgate-demo.XXXXXX)
pids=()
cleanup() {
  echo "== stopping (SIGTERM: the proxy hands its sessions over; logs are in $work)"
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill "${pids[i]}" 2>/dev/null || true; wait "${pids[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT

start() { # name, then the command; output goes to $work/name.log
  local name=$1; shift
  "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  echo "   $name (pid $!), log $work/$name.log"
}
wait_http() { # url, what
  for _ in $(seq 1 150); do curl -fs -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "$2 did not come up; see $work" >&2; exit 1
}
metric() { # url, metric name prefix: sums the samples
  curl -fs "$1" | awk -v m="$2" 'index($0, m) == 1 { s += $NF } END { printf "%d", s }'
}

echo "== starting"
start nats "$NATS_BIN" -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$work/nats"
start simulator env SIM_PORT="$SIM_PORT" SIM_SHARDS="$SHARDS" SIM_MAX_CONCURRENCY=2 SIM_EVENTS_PER_SECOND=2 \
  SIM_HEARTBEAT_INTERVAL_MS=5000 \
  "$JAVA" -jar simulator/target/simulator.jar
wait_http "http://127.0.0.1:$SIM_PORT/_sim/stats" simulator
start gateway-proxy env DISCORD_TOKEN=sim-token DISCORD_API_URL="http://127.0.0.1:$SIM_PORT/api/v10" \
  NATS_URL="nats://127.0.0.1:$NATS_PORT" ADMIN_PORT="$ADMIN_PORT" REST_PORT="$REST_PORT" \
  "$JAVA" -jar gateway-proxy/target/gateway-proxy.jar
start worker env NATS_URL="nats://127.0.0.1:$NATS_PORT" REST_PROXY_URL="http://127.0.0.1:$REST_PORT/api/v10" \
  WORKER_METRICS_PORT="$WORKER_PORT" "$JAVA" -jar worker/target/worker.jar

echo "== waiting for every shard to be READY (identifies are paced: max_concurrency 2, one per bucket per 5 s)"
for _ in $(seq 1 300); do curl -fs -o /dev/null "http://127.0.0.1:$ADMIN_PORT/readyz" && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$ADMIN_PORT/shards"; echo

echo "== a user says !ping on shard 0; the worker answers through the REST proxy"
curl -fs -XPOST "http://127.0.0.1:$SIM_PORT/_sim/shards/0/dispatch" \
  -d '{"t":"MESSAGE_CREATE","d":{"id":"1535218507309142058","channel_id":"820675644227723272","guild_id":"820674996354555911","author":{"id":"584290035302404099","username":"alice"},"content":"!ping"}}' >/dev/null
echo "== shard 1 stops getting heartbeat ACKs (a zombie): the proxy resumes it on resume_gateway_url"
curl -fs -XPOST "http://127.0.0.1:$SIM_PORT/_sim/shards/1/faults/zombie" >/dev/null

end=$((SECONDS + SECONDS_TO_RUN))
while [ $SECONDS -lt $end ]; do
  sleep 5
  printf '%(%T)T  shards ready: %s/%s  events stored: %s  consumed by workers: %s  REST calls: %s  identifies: %s  resumes: %s\n' -1 \
    "$(curl -fs "http://127.0.0.1:$ADMIN_PORT/shards" | grep -oE '"state":"(READY|RESUMED)"' | wc -l)" "$SHARDS" \
    "$(metric "http://127.0.0.1:$ADMIN_PORT/metrics" shardgate_published_events_total)" \
    "$(metric "http://127.0.0.1:$WORKER_PORT/metrics" shardgate_worker_events_total)" \
    "$(metric "http://127.0.0.1:$WORKER_PORT/metrics" shardgate_worker_rest_requests_seconds_count)" \
    "$(metric "http://127.0.0.1:$ADMIN_PORT/metrics" shardgate_identifies_total)" \
    "$(metric "http://127.0.0.1:$ADMIN_PORT/metrics" shardgate_resumes_total)"
done
echo "== the simulator's view"
curl -fs "http://127.0.0.1:$SIM_PORT/_sim/resumes"; echo
