#!/usr/bin/env bash
# Benchmarks the gateway proxy's event path on this machine and prints three tables: per frame (inflate, envelope,
# copy of d: frames/s and bytes allocated per frame), end to end (simulator -> proxy -> JetStream on a local
# nats-server: events/s, median of 5 runs) and the publish leg alone. Needs nats-server. Usage: scripts/bench-gateway.sh
exec "$(dirname "$0")/bench-one.sh" dev.shardgate.bench.gateway.GatewayBench "$@"
