#!/usr/bin/env bash
# The benchmark suite of issue 8, in one command: builds the checkout, runs every benchmark main class of the bench
# module one at a time (each starts its own nats-server, simulator and, where it measures the proxy, a
# gateway-proxy.jar child JVM), and writes docs/benchmarks.md: the machine, the command, then each benchmark's
# fragment. A benchmark that fails gets a section saying so, with the end of its output.
#
# Usage: scripts/bench.sh [--smoke] [--jvm "<gateway proxy JVM flags>"]
#   --smoke  a few seconds per benchmark, same code paths, to prove they work; the page goes to
#            target/bench/benchmarks.md instead of docs/benchmarks.md
#   --jvm    JVM flags for the gateway proxy child of the benchmarks that launch one (e.g. "-Xmx64m -XX:+UseSerialGC");
#            by default the flags the proxy ships with, as scripts/gateway-proxy.sh runs it (its JVM argument file)
# Output: target/bench/<Benchmark>.md (fragments) and target/bench/<Benchmark>.log (each benchmark's own output).
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=()
jvm="@gateway-proxy/src/main/jvm/jvm.options"
# As scripts/gateway-proxy.sh runs the proxy; the children inherit it.
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --smoke) smoke=(--smoke); shift ;;
    --jvm) [[ $# -ge 2 ]] || { echo "--jvm needs a value" >&2; exit 2; }; jvm="$2"; shift 2 ;;
    *) echo "unknown argument $1; usage: scripts/bench.sh [--smoke] [--jvm \"<flags>\"]" >&2; exit 2 ;;
  esac
done

# In the order of issue 8's deliverables, then the supporting figures.
benchmarks=(
  dev.shardgate.bench.gateway.IdleFootprintBench
  dev.shardgate.bench.gateway.EventPathBench
  dev.shardgate.bench.gateway.CompressionBench
  dev.shardgate.bench.gateway.StartupBench
  dev.shardgate.bench.gateway.HeartbeatBench
  dev.shardgate.bench.rest.RestRoleBench
  dev.shardgate.bench.rest.GlobalUseBench
  dev.shardgate.bench.e2e.PingBench
  dev.shardgate.bench.gateway.GatewayBench
  dev.shardgate.bench.nats.DedupeWindowBench
)
# The benchmarks that launch gateway-proxy.jar and take --jvm for it.
proxy_benchmarks=" dev.shardgate.bench.gateway.IdleFootprintBench dev.shardgate.bench.gateway.EventPathBench \
dev.shardgate.bench.gateway.StartupBench dev.shardgate.bench.gateway.HeartbeatBench dev.shardgate.bench.rest.RestRoleBench \
dev.shardgate.bench.rest.GlobalUseBench \
dev.shardgate.bench.e2e.PingBench "
# No single benchmark may hold the suite for longer than this.
per_benchmark_timeout=30m

JAVA_HOME=$(scripts/java-home.sh)
export JAVA_HOME
java="$JAVA_HOME/bin/java"
# -am builds the modules the bench needs from this checkout, so the suite measures the code in front of you.
./mvnw -B -q -pl bench -am package -DskipTests

out=target/bench
rm -rf "$out"
mkdir -p "$out"
if [[ ${#smoke[@]} -gt 0 ]]; then page="$out/benchmarks.md"; else page=docs/benchmarks.md; fi

command="scripts/bench.sh${smoke[*]:+ ${smoke[*]}}${jvm:+ --jvm \"$jvm\"}"
started=$(date -u '+%Y-%m-%d %H:%M UTC')
# Read before the run: the page itself is rewritten at the end, which is not a change to what was measured.
checkout="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':(exclude)docs/benchmarks.md' 2>/dev/null \
  || echo ' with local changes')"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

for class in "${benchmarks[@]}"; do
  name=${class##*.}
  args=(--out "$out/$name.md" "${smoke[@]}")
  if [[ -n "$jvm" && "$proxy_benchmarks" == *" $class "* ]]; then args+=(--jvm "$jvm"); fi
  echo "== $name" >&2
  status=0
  # The benchmark's own JVM holds the simulator, which timestamps what it receives: ZGC keeps its pauses under a
  # millisecond, so that they are not measured as the proxy's lateness (with G1 they reached 100 ms).
  timeout "$per_benchmark_timeout" "$java" -Xmx1g -XX:+UseZGC -cp bench/target/bench.jar "$class" "${args[@]}" \
    >"$out/$name.log" 2>&1 || status=$?
  if [[ $status -eq 0 && -s "$out/$name.md" ]]; then
    echo "   done" >&2
    continue
  fi
  if grep -q 'Could not find or load main class' "$out/$name.log"; then why="not in this checkout"
  elif [[ $status -eq 124 ]]; then why="timed out after $per_benchmark_timeout"
  elif [[ $status -eq 0 ]]; then why="exited 0 but wrote no fragment"
  else why="exit code $status"; fi
  echo "   FAILED: $why (see $out/$name.log)" >&2
  {
    echo "## $name: failed"
    echo
    echo "\`$class\` failed ($why); no figures. The end of its output:"
    echo
    echo '```'
    tail -n 20 "$out/$name.log"
    echo '```'
  } >"$out/$name.md"
done

{
  echo "# Benchmarks"
  echo
  echo "Written by \`$command\` (issue 8). Each section is one benchmark of the \`bench\` module; every figure"
  echo "stands beside its goal or the peer it is measured against, and each missed goal says what limits it."
  echo "Run one benchmark alone with \`java -XX:+UseZGC -cp bench/target/bench.jar <class> [--smoke] [--out file.md]\`"
  echo "(after \`./mvnw -B -q -pl bench -am package -DskipTests\`); see docs/gateway-bench.md."
  echo
  echo "## Machine"
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| CPU | $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores available ($(grep -c '^processor' /proc/cpuinfo) in /proc/cpuinfo) |"
  echo "| RAM | $(awk '/^MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo) |"
  echo "| kernel | $(uname -sr) |"
  echo "| JDK | $("$java" -version 2>&1 | head -n 1) |"
  echo "| nats-server | $( (command -v nats-server >/dev/null && nats-server --version) || /usr/sbin/nats-server --version 2>/dev/null || echo 'not found') |"
  echo "| checkout | $checkout |"
  echo "| date | $started |"
  echo "| load average before the run | $load_before (other work on the machine makes the figures noisy) |"
  if [[ ${#smoke[@]} -gt 0 ]]; then
    echo
    echo "**Smoke run**: a few seconds per benchmark to prove the code paths work. These figures are not measurements."
  fi
  for class in "${benchmarks[@]}"; do
    echo
    cat "$out/${class##*.}.md"
  done
} >"$page"
echo "wrote $page" >&2
