#!/usr/bin/env bash
# The out-of-tree round trip: install kreg, build the example memory plugin
# by its own CMake project against the installed kreg alone, and drive it
# with the installed, unmodified kregctl — only the YAML names the plugin.
# Usage: round_trip.sh <kreg build dir> <kreg source dir>
set -euo pipefail
build=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/examples/memory-plugin" -B "$work/plugin-build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/plugin-build" >/dev/null
plugin="$work/plugin-build/libkreg_memory.so"
test -f "$plugin"

cat >"$work/memory.yaml" <<YAML
registry:
  plugin: $plugin
log:
  level: warn
YAML
kregctl="$work/prefix/bin/kregctl"
cd "$work"
check() {  # check <expected substring> <command...>
  local want=$1; shift
  local got
  got=$("$@")
  if [[ "$got" != *"$want"* ]]; then
    echo "FAIL: '$*' printed '$got', expected it to contain '$want'" >&2
    exit 1
  fi
}
check "memory" "$kregctl" --config memory.yaml type
check "registered demo/m1" "$kregctl" --config memory.yaml register --service demo --id m1 --zone z1
check "memory  abi 1." env KREG_PLUGIN_PATH="$work/plugin-build" "$kregctl" --config /nonexistent plugins
# The same installed kregctl loads an installed in-tree plugin by name.
cat >"$work/file.yaml" <<YAML
registry:
  plugin: file
  options: {path: $work/registry.json}
YAML
check "registered demo/f1" "$kregctl" --config file.yaml register --service demo --id f1 --zone z1
check "f1" "$kregctl" --config file.yaml get demo
echo "out-of-tree round trip: ok"
