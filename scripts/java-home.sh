#!/usr/bin/env bash
# Prints the path of a JDK 21 or newer: $JAVA_HOME if it qualifies, else the newest under /usr/lib/jvm,
# else the JDK behind `javac` on the PATH. Exits 1 with a message when there is none.
set -euo pipefail

major() { # prints the major version of the JDK at $1, or nothing
  local v
  [ -x "$1/bin/javac" ] || return 0
  v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  echo "${v%%.*}"
}

best="" best_major=0
consider() {
  local m
  m=$(major "$1")
  if [ -n "$m" ] && [ "$m" -ge 21 ] && [ "$m" -gt "$best_major" ]; then best="$1" best_major="$m"; fi
}

if [ -n "${JAVA_HOME:-}" ] && [ "$(major "$JAVA_HOME")" ] && [ "$(major "$JAVA_HOME")" -ge 21 ]; then
  echo "$JAVA_HOME"; exit 0
fi
for d in /usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/*; do
  [ -d "$d" ] && consider "$d"
done
if [ -z "$best" ] && command -v javac >/dev/null; then
  consider "$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
fi
if [ -z "$best" ]; then
  echo "no JDK 21+ found: install one (e.g. apt-get install openjdk-21-jdk-headless) or set JAVA_HOME" >&2
  exit 1
fi
echo "$best"
