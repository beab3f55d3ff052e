#!/bin/sh
# Builds the stand-alone matcher harness with the addon's flags.
set -e
here=$(cd "$(dirname "$0")" && pwd)
g++ -std=c++17 -O3 -g ${CXXFLAGS:-} $(pkg-config --cflags libhs) -o "${1:-/tmp/iochunt-harness-bin}" \
  "$here/harness.cc" "$here/../matcher.cc" "$here/../classify.cc" $(pkg-config --libs libhs)
