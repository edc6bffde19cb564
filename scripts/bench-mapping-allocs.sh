#!/usr/bin/env bash
# Heap allocations and instructions per mapped event, for BENCHMARKS.md's mapping section.
# Both are counts, not times, so they hold still on a busy shared machine.
#
# Allocations come from valgrind memcheck's "total heap usage: N allocs", instructions from
# callgrind's "Collected" total, each for two iteration counts of every `MappingBenchmark` case;
# (N_large - N_small) / (large - small) cancels start-up. The baseline case serializes the
# Intercom identify's JSON with JSONWriter, as the throughput table's baseline does.
#
# valgrind 3.19 crashes on an async main (the main thread parks in dispatch_main), so by default
# this compiles its own small synchronous driver from Sources/ with swiftc (release, -O, about a
# minute). To measure another entry point that takes `--list` and `--case NAME --iterations N`,
# pass it as the command:  scripts/bench-mapping-allocs.sh path/to/binary [args...]
#
# Usage: scripts/bench-mapping-allocs.sh [command...]    (SMALL=500 LARGE=2500 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
small=${SMALL:-500}
large=${LARGE:-2500}

if [ $# -gt 0 ]; then
    cmd=("$@")
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    flags=(-O -wmo -parse-as-library -I "$work")
    swiftc "${flags[@]}" -module-name SluiceSpec -emit-module -emit-module-path "$work/SluiceSpec.swiftmodule" \
        -emit-library -static -o "$work/libSluiceSpec.a" Sources/SluiceSpec/*.swift
    swiftc "${flags[@]}" -module-name SluiceDestinations -emit-module -emit-module-path "$work/SluiceDestinations.swiftmodule" \
        -emit-library -static -o "$work/libSluiceDestinations.a" $(find Sources/SluiceDestinations -name '*.swift' | sort)
    cat > "$work/main.swift" <<'SWIFT'
import Dispatch
import SluiceDestinations

let arguments = Array(CommandLine.arguments.dropFirst())
let finished = DispatchSemaphore(value: 0)
Task.detached {
    print(await MappingBenchmark.main(arguments: arguments))
    finished.signal()
}
finished.wait()
SWIFT
    swiftc -O -I "$work" "$work/main.swift" -L "$work" -lSluiceDestinations -lSluiceSpec -o "$work/mapping-bench"
    cmd=("$work/mapping-bench")
fi

allocs() {
    valgrind --tool=memcheck "${cmd[@]}" --case "$1" --iterations "$2" 2>&1 \
        | sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' | tr -d ,
}

instructions() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "${cmd[@]}" --case "$1" --iterations "$2" 2>&1 \
        | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

per_event() { awk -v a="$1" -v b="$2" -v s="$small" -v l="$large" 'BEGIN { printf "%.1f", (b - a) / (l - s) }'; }
ratio() { awk -v p="$1" -v q="$2" 'BEGIN { printf "%.2f", p / q }'; }

echo "valgrind counts per mapped event ($small vs $large iterations per case)"
printf '%-24s %12s %11s %14s %11s\n' case allocs "× baseline" instructions "× baseline"
base_allocs="" base_instructions=""
for name in $("${cmd[@]}" --list); do
    a=$(per_event "$(allocs "$name" "$small")" "$(allocs "$name" "$large")")
    i=$(per_event "$(instructions "$name" "$small")" "$(instructions "$name" "$large")")
    [ -z "$base_allocs" ] && base_allocs=$a && base_instructions=$i
    printf '%-24s %12s %11s %14.0f %11s\n' "$name" "$a" "$(ratio "$a" "$base_allocs")" "$i" "$(ratio "$i" "$base_instructions")"
done
