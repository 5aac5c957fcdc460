#!/usr/bin/env bash
# Runs every test: unit tests and the tests against the simulator, real nats-server processes and child JVMs.
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=$(scripts/java-home.sh)
export JAVA_HOME
exec ./mvnw -B verify "$@"
