#!/usr/bin/env bash
# The demo: the production layout on one machine. nats-server, two gateway proxies sharing the shards (each owns
# half), the REST role as its own process, and two workers running the example bot; without DISCORD_TOKEN also the
# Discord simulator with lively traffic, a `!ping` answered through the REST role, and a zombied shard resumed
# instead of re-identified. Runs until Ctrl-C (or DEMO_SECONDS), then stops everything with SIGTERM, newest first,
# so the proxies hand their sessions over as in a rolling update.
#   DISCORD_TOKEN      unset: the simulator plays Discord; set: the same stack against Discord itself
#   DEMO_SECONDS       stop after this many seconds instead of at Ctrl-C
#   DEMO_SHARDS        (default 24) shards of the simulated bot;  DEMO_EVENTS_PER_SECOND (default 10) per shard
#   DEMO_PORT_BASE     (default 18080) the ports used are this one up to +14
set -euo pipefail
cd "$(dirname "$0")/.."

NATS_BIN=$(command -v nats-server || { [ -x /usr/sbin/nats-server ] && echo /usr/sbin/nats-server; } || true)
if [ -z "$NATS_BIN" ]; then
  echo "the demo needs nats-server 2.9 or newer: install it with 'apt-get install nats-server' (Debian, Ubuntu)" \
    "or from https://github.com/nats-io/nats-server/releases, then run this again" >&2
  exit 1
fi
command -v curl >/dev/null || { echo "the demo needs curl: apt-get install curl" >&2; exit 1; }
JAVA_HOME=$(scripts/java-home.sh); export JAVA_HOME
JAVA="$JAVA_HOME/bin/java"

SHARDS=${DEMO_SHARDS:-24}
EVENTS_PER_SECOND=${DEMO_EVENTS_PER_SECOND:-10}
BASE=${DEMO_PORT_BASE:-18080}
ADMIN_A=$BASE ADMIN_B=$((BASE + 1)) ADMIN_REST=$((BASE + 2)) REST_PORT=$((BASE + 3))
WORKER_A=$((BASE + 4)) WORKER_B=$((BASE + 5)) NATS_PORT=$((BASE + 6)) SIM_PORT=$((BASE + 10))

echo "== building the jars"
./mvnw -B -q -DskipTests package 2>&1 | { grep -v '^WARNING: ' || true; }

work=$(mktemp -d -t shardgate-demo.XXXXXX)
pids=()
names=()
stop_all() {
  trap - EXIT INT TERM
  echo "== stopping: SIGTERM to each process, newest first (the proxies hand their sessions over); logs in $work"
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
    echo "   stopped ${names[i]}"
  done
}
trap stop_all EXIT
trap 'exit 130' INT TERM

start() { # name, then the command; its output goes to $work/name.log
  local name=$1; shift
  "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  names+=("$name")
  echo "   $name (pid $!), log $work/$name.log"
}
wait_http() { # url, what: up to 30 s
  for _ in $(seq 1 150); do curl -fs -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "$2 did not come up; its log is in $work" >&2
  exit 1
}
# A process that does not answer (still starting, or stopped) counts 0: the demo goes on.
metric() { # admin or metrics URL, metric name: the sum of its samples
  { curl -fs "$1/metrics" || true; } | awk -v m="$2" 'index($0, m) == 1 { s += $NF } END { printf "%d", s }'
}
serving() { # admin URL: shards READY or RESUMED there
  { curl -fs "$1/shards" || true; } | awk '{ n += gsub(/"state":"(READY|RESUMED)"/, "") } END { printf "%d", n }'
}

echo "== starting"
start nats "$NATS_BIN" -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$work/nats"
if [ -z "${DISCORD_TOKEN:-}" ]; then
  TOKEN=sim-token
  API_URL="http://127.0.0.1:$SIM_PORT/api/v10"
  start simulator env SIM_PORT="$SIM_PORT" SIM_SHARDS="$SHARDS" SIM_MAX_CONCURRENCY=4 \
    SIM_EVENTS_PER_SECOND="$EVENTS_PER_SECOND" SIM_HEARTBEAT_INTERVAL_MS=5000 "$JAVA" -jar simulator/target/simulator.jar
  wait_http "http://127.0.0.1:$SIM_PORT/_sim/stats" simulator
else
  TOKEN=$DISCORD_TOKEN
  API_URL=${DISCORD_API_URL:-https://discord.com/api/v10}
  SHARDS=$(curl -fs -H "Authorization: Bot $TOKEN" "$API_URL/gateway/bot" | grep -oE '"shards": ?[0-9]+' | grep -oE '[0-9]+$') \
    || { echo "GET $API_URL/gateway/bot failed: is DISCORD_TOKEN a bot token?" >&2; exit 1; }
  echo "   Discord recommends $SHARDS shard(s) for this bot"
fi
HALF=$(((SHARDS + 1) / 2))
proxy() { # name, admin port, SHARD_IDS
  start "$1" env DISCORD_TOKEN="$TOKEN" DISCORD_API_URL="$API_URL" NATS_URL="nats://127.0.0.1:$NATS_PORT" \
    ROLES=gateway SHARD_COUNT="$SHARDS" SHARD_IDS="$3" INSTANCE_ID="$1" ADMIN_PORT="$2" REST_PORT=0 \
    "$JAVA" @gateway-proxy/src/main/jvm/jvm.options -jar gateway-proxy/target/gateway-proxy.jar
}
proxy gateway-0 "$ADMIN_A" "0-$((HALF - 1))"
if [ "$SHARDS" -gt 1 ]; then proxy gateway-1 "$ADMIN_B" "$HALF-$((SHARDS - 1))"; fi
start rest env DISCORD_TOKEN="$TOKEN" DISCORD_API_URL="$API_URL" ROLES=rest ADMIN_PORT="$ADMIN_REST" \
  REST_PORT="$REST_PORT" "$JAVA" @gateway-proxy/src/main/jvm/jvm.options -jar gateway-proxy/target/gateway-proxy.jar
for w in "worker-0 $WORKER_A" "worker-1 $WORKER_B"; do
  set -- $w
  start "$1" env NATS_URL="nats://127.0.0.1:$NATS_PORT" REST_PROXY_URL="http://127.0.0.1:$REST_PORT/api/v10" \
    WORKER_METRICS_PORT="$2" "$JAVA" -jar worker/target/worker.jar
done
admins=("http://127.0.0.1:$ADMIN_A")
[ "$SHARDS" -gt 1 ] && admins+=("http://127.0.0.1:$ADMIN_B")
workers=("http://127.0.0.1:$WORKER_A" "http://127.0.0.1:$WORKER_B")
for a in "${admins[@]}" "http://127.0.0.1:$ADMIN_REST"; do wait_http "$a/healthz" "the proxy at $a"; done

echo "== status pages (open one in a browser):"
echo "   gateway-0  http://127.0.0.1:$ADMIN_A/   (shards 0-$((HALF - 1)))"
[ "$SHARDS" -gt 1 ] && echo "   gateway-1  http://127.0.0.1:$ADMIN_B/   (shards $HALF-$((SHARDS - 1)))"
echo "   rest       http://127.0.0.1:$ADMIN_REST/   (the REST role's buckets and queues)"

echo "== waiting for all $SHARDS shards to be READY (identifies paced: one per max_concurrency bucket per 5 s)"
for _ in $(seq 1 900); do
  ready=0
  for a in "${admins[@]}"; do ready=$((ready + $(serving "$a"))); done
  [ "$ready" -ge "$SHARDS" ] && break
  sleep 1
done
echo "   $ready/$SHARDS shards serving"

if [ -z "${DISCORD_TOKEN:-}" ]; then
  echo "== a user says !ping on shard 0: a worker answers pong through the REST role"
  curl -fs -XPOST "http://127.0.0.1:$SIM_PORT/_sim/shards/0/dispatch" \
    -d '{"t":"MESSAGE_CREATE","d":{"id":"1535218507309142058","channel_id":"820675644227723272","guild_id":"820674996354555911","author":{"id":"584290035302404099","username":"alice"},"content":"!ping"}}' >/dev/null
  zombie=$((SHARDS - 1))
  echo "== shard $zombie stops getting heartbeat ACKs (a zombie): its proxy resumes it instead of identifying"
  curl -fs -XPOST "http://127.0.0.1:$SIM_PORT/_sim/shards/$zombie/faults/zombie" >/dev/null
fi

echo "== running$([ -n "${DEMO_SECONDS:-}" ] && echo " for $DEMO_SECONDS s" || echo "; Ctrl-C stops everything")"
end=$((SECONDS + ${DEMO_SECONDS:-315360000}))
while [ $SECONDS -lt $end ]; do
  sleep 5
  ready=0 stored=0 identifies=0 resumes=0 handled=0 rest_calls=0
  for a in "${admins[@]}"; do
    ready=$((ready + $(serving "$a")))
    stored=$((stored + $(metric "$a" shardgate_published_events_total)))
    identifies=$((identifies + $(metric "$a" shardgate_identifies_total)))
    resumes=$((resumes + $(metric "$a" shardgate_resumes_total)))
  done
  for w in "${workers[@]}"; do
    handled=$((handled + $(metric "$w" shardgate_worker_events_total)))
    rest_calls=$((rest_calls + $(metric "$w" shardgate_worker_rest_requests_seconds_count)))
  done
  printf '%(%T)T  shards serving %s/%s  events stored %s  handled by workers %s  REST calls %s  identifies %s  resumes %s\n' \
    -1 "$ready" "$SHARDS" "$stored" "$handled" "$rest_calls" "$identifies" "$resumes"
done
