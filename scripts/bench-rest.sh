#!/usr/bin/env bash
# Benchmarks the REST role on this machine (dev.shardgate.bench.rest.RestRoleBench): the latency the proxy adds to
# requests that do not wait and the rate it sustains when limits are high, the proxy running as a child JVM in
# front of the Discord simulator. Prints a markdown fragment (scripts/bench.sh runs it with the whole suite).
# Usage: scripts/bench-rest.sh [--out f.md] [--smoke] [--jvm "<proxy JVM flags>"] [--proxy-jar <path>]
# [--jfr proxy.jfr]
exec "$(dirname "$0")/bench-one.sh" dev.shardgate.bench.rest.RestRoleBench "$@"
