#!/usr/bin/env bash
# The out-of-tree round trip: install kreg, then build the example memory
# plugin and keeper-embed by their own CMake projects against the installed
# kreg alone, install them with kreg's prefix, and drive them with the
# installed, unmodified kregctl — only the YAML names the plugin.
# It leaves the install in <work dir> for the tests that go on from it
# (out_of_tree.memory_conformance, out_of_tree.zookeeper).
# Usage: round_trip.sh <kreg build dir> <kreg source dir> <work dir>
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
rm -rf "$3"
mkdir -p "$3"
work=$(cd "$3" && pwd)
prefix=$work/prefix
cd "$work"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
check() {  # check <expected substring> <command...>
  local want=$1; shift
  local got
  got=$("$@")
  [[ "$got" == *"$want"* ]] || fail "'$*' printed '$got', expected it to contain '$want'"
}
wait_for_line() {  # wait_for_line <file> <line start>: polls for up to 30 s
  for _ in $(seq 300); do
    grep -q -- "^$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "no line '$2...' in $1 within 30 s; it has: $(cat "$1")"
}
keeper=
trap '[[ -z $keeper ]] || kill "$keeper" 2>/dev/null || true' EXIT
unset KREG_PLUGIN_PATH  # plugins by name come from the install only

cmake --install "$build" --prefix "$prefix" >/dev/null

# Each installed host header compiles on its own: it includes only installed
# headers (and no yaml-cpp, spdlog or Boost).
for header in "$prefix"/include/kreg/host/*.h; do
  "${CXX:-c++}" -std=c++17 -fsyntax-only -I"$prefix/include" -x c++ "$header" ||
    fail "installed $header does not compile against the installed headers alone"
done

for example in memory-plugin keeper-embed; do
  cmake -S "$src/examples/$example" -B "$work/$example" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
  cmake --build "$work/$example" -j2 >/dev/null
  cmake --install "$work/$example" --prefix "$prefix" >/dev/null
done

# A plugin author needs none of the host's dependencies: the example plugin
# configures and builds as if yaml-cpp, spdlog and Boost were not installed,
# and a host that asks for kreg::host there is told what is missing.
no_host_deps=(-DCMAKE_DISABLE_FIND_PACKAGE_yaml-cpp=TRUE -DCMAKE_DISABLE_FIND_PACKAGE_spdlog=TRUE
              -DCMAKE_DISABLE_FIND_PACKAGE_Boost=TRUE)
out=$(cmake -S "$src/examples/memory-plugin" -B "$work/memory-plugin-alone" -DCMAKE_PREFIX_PATH="$prefix" \
        "${no_host_deps[@]}" 2>&1) || fail "the plugin does not configure without the host's dependencies: $out"
cmake --build "$work/memory-plugin-alone" -j2 >/dev/null || fail "the plugin does not build without the host's dependencies"
if out=$(cmake -S "$src/examples/keeper-embed" -B "$work/keeper-embed-alone" -DCMAKE_PREFIX_PATH="$prefix" \
           "${no_host_deps[@]}" 2>&1); then
  fail "keeper-embed configured without yaml-cpp, spdlog and Boost"
fi
[[ "$out" == *"kreg::host needs yaml-cpp"* ]] || fail "keeper-embed without the host's dependencies was told: $out"

# kreg_add_plugin's version script: the plugin exports its entry point only.
plugin="$work/memory-plugin/libkreg_memory.so"
exported=$(nm -D --defined-only "$plugin" | awk '{print $3}')
[[ "$exported" == kreg_plugin_entry ]] || fail "$plugin exports more than kreg_plugin_entry: $exported"

cat >"$work/memory.yaml" <<YAML
registry:
  plugin: memory
log:
  level: warn
YAML
kregctl="$prefix/bin/kregctl"
# Installed with kreg's prefix, the plugin landed where kregctl looks.
check "memory" "$kregctl" --config memory.yaml type
check "registered demo/m1" "$kregctl" --config memory.yaml register --service demo --id m1 --zone z1
check "memory  abi 1." "$kregctl" --config /nonexistent plugins

# The same installed kregctl loads an installed in-tree plugin by name, and
# keeper-embed, installed with kreg's prefix, follows what it does.
cat >"$work/file.yaml" <<YAML
registry:
  plugin: file
  options: {path: $work/registry.json}
log:
  level: warn
YAML
check "registered demo/f0" "$kregctl" --config file.yaml register --service demo --id f0 --ttl 10m
check "f0" "$kregctl" --config file.yaml get demo
timeout 60 "$prefix/bin/keeper-embed" --config file.yaml --count 3 >keeper.out 2>keeper.err &
keeper=$!
# Each step waits for its line: the watch may coalesce rapid changes.
wait_for_line keeper.out synced
"$kregctl" --config file.yaml register --service demo --id f1 --ttl 10m >/dev/null
wait_for_line keeper.out "demo f1 create "
"$kregctl" --config file.yaml register --service demo --id f1 --ttl 10m --refresh >/dev/null
wait_for_line keeper.out "demo f1 modify "
"$kregctl" --config file.yaml deregister --service demo --id f1 >/dev/null
wait "$keeper" || fail "keeper-embed exited $?: $(cat keeper.err)"
keeper=
# f0 came from the list: the watch's snapshot repeats it, and the book
# knows it already. Versions grow.
lines=$(sed 's/ version=[0-9]*$//' keeper.out)
[[ "$lines" == $'synced\ndemo f1 create\ndemo f1 modify\ndemo f1 delete' ]] || fail "keeper-embed printed: $(cat keeper.out)"
sed -n 's/.* version=//p' keeper.out | sort -c -n -u || fail "keeper-embed versions went back: $(cat keeper.out)"
echo "out-of-tree round trip: ok"
