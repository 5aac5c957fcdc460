#!/usr/bin/env bash
# Measures what the event stream's duplicate window costs the NATS server in memory per message id, and prints a
# sizing table. Needs nats-server. Usage: scripts/bench-nats.sh [--smoke] [--out file.md]
exec "$(dirname "$0")/bench-one.sh" dev.shardgate.bench.nats.DedupeWindowBench "$@"
