#!/usr/bin/env bash
# Compares gkd4j SGEMM with OpenBLAS in one JVM, in alternating slices of 0.1 s (org.gkd4j.bench.InterleavedSgemm),
# for a machine whose speed drifts during a run. Each ratio is taken between neighbouring slices, so the drift that
# moves a JMH run and a separate peer run apart cancels out. OpenBLAS runs in the same layout as gkd4j.
#
# Usage: scripts/bench-matmul-interleaved.sh [--shapes LIST] [--layouts NN,NT,TN] [--threads 1,2] [--rounds N]
#                                            [--slice SECONDS] [--out FILE] [--no-build]
#   defaults: 1024³ and the four training shapes, all three layouts, 1 and 2 threads, 15 rounds of 0.1 s slices
#   (about 9 minutes on 2 cores). Each cell also warms up for 1.5 s per side, whatever the slice.
# Environment: OPENBLAS_LIB (default /usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0), the OpenBLAS
# library to load; install it with 'apt-get install -y libopenblas0-openmp'.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CALLER_DIR="$PWD"
cd "$ROOT"

runner_args=()
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --shapes|--layouts|--threads|--rounds|--slice|--out)
            if [ $# -lt 2 ]; then
                echo "error: option '$1' is missing its value; see $0 --help" >&2
                exit 2
            fi
            value="$2"
            # a relative --out is relative to the caller's folder, not to the repository root this script runs in
            if [ "$1" = --out ] && [ "${value#/}" = "$value" ]; then
                value="$CALLER_DIR/$value"
            fi
            runner_args+=("$1" "$value"); shift ;;
        --no-build) build=0 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "error: unknown option '$1'; see $0 --help" >&2; exit 2 ;;
    esac
    shift
done

OPENBLAS_LIB="${OPENBLAS_LIB:-/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0}"
if [ ! -f "$OPENBLAS_LIB" ]; then
    echo "error: OpenBLAS not found at $OPENBLAS_LIB; install libopenblas0-openmp or set OPENBLAS_LIB" >&2
    exit 1
fi

. "$ROOT/scripts/find-jdk.sh"
if [ "$build" = 1 ] || [ ! -f bench/target/benchmarks.jar ]; then
    mvn -q -B -ntp -pl bench -am package -DskipTests
fi

# OpenBLAS reads these when it loads. Unset them, because a leftover value could pin it to another core type or
# thread count.
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE -u OPENBLAS_NUM_THREADS -u OMP_NUM_THREADS \
    "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx4g \
    -cp bench/target/benchmarks.jar org.gkd4j.bench.InterleavedSgemm --blas "$OPENBLAS_LIB" "${runner_args[@]}" \
    2> >(grep -v 'incubator' >&2)
