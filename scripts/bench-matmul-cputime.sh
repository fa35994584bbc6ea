#!/usr/bin/env bash
# Compares gkd4j SGEMM with OpenBLAS (numpy) in GFLOP per CPU-second, for a machine busy with other work, where
# wall-time GFLOP/s mostly measure the load. Both sides warm up, then report the best of 5 rounds of 0.5 CPU-seconds.
# CPU time cannot show stalls caused by other processes, so quote these as ratios next to a wall-time run
# (scripts/bench-matmul.sh) rather than as absolute speeds.
#
# Usage: scripts/bench-matmul-cputime.sh [--shapes LIST] [--layouts NN,NT,TN] [--threads 1,2] [--no-build]
#   defaults: --shapes 1024x1024x1024,4096x288x768,4096x768x288,2048x128x512 --layouts NN,NT,TN --threads 1
# Environment: PYTHON (default /usr/bin/python3) must import numpy; OPENBLAS_LIB_DIR (default
# /usr/lib/x86_64-linux-gnu/openblas-openmp) must hold the OpenMP build of OpenBLAS.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

shapes="1024x1024x1024,4096x288x768,4096x768x288,2048x128x512"
layouts="NN,NT,TN"
threads="1"
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --shapes) shapes="$2"; shift ;;
        --layouts) layouts="$2"; shift ;;
        --threads) threads="$2"; shift ;;
        --no-build) build=0 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "error: unknown option '$1'; see $0 --help" >&2; exit 2 ;;
    esac
    shift
done

PYTHON="${PYTHON:-/usr/bin/python3}"
OPENBLAS_LIB_DIR="${OPENBLAS_LIB_DIR:-/usr/lib/x86_64-linux-gnu/openblas-openmp}"
if ! "$PYTHON" -c 'import numpy' 2>/dev/null; then
    echo "error: $PYTHON cannot import numpy; install it with" \
         "'apt-get install -y python3-numpy libopenblas0-openmp' or set PYTHON" >&2
    exit 1
fi
if [ ! -d "$OPENBLAS_LIB_DIR" ]; then
    echo "error: $OPENBLAS_LIB_DIR is missing; install libopenblas0-openmp or set OPENBLAS_LIB_DIR" >&2
    exit 1
fi

. "$ROOT/scripts/find-jdk.sh"
if [ "$build" = 1 ] || [ ! -f bench/target/benchmarks.jar ]; then
    mvn -q -B -ntp -pl bench -am package -DskipTests
fi

echo "| shape MxKxN | layout | threads | gkd4j GFLOP/CPU-s | OpenBLAS GFLOP/CPU-s | gkd4j / OpenBLAS | load |"
echo "|---|---|---|---|---|---|---|"
for t in ${threads//,/ }; do
    for shape in ${shapes//,/ }; do
        for layout in ${layouts//,/ }; do
            ours=$("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar \
                org.gkd4j.bench.CpuTimeRates "$shape" "$layout" "$t" 2>/dev/null \
                | sed -n 's/.*"gflop_per_cpu_second": \([0-9.]*\).*/\1/p')
            peer=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t" \
                LD_LIBRARY_PATH="$OPENBLAS_LIB_DIR" "$PYTHON" - "$shape" "$layout" <<'PY'
import sys, time
import numpy as np
m, k, n = map(int, sys.argv[1].split("x"))
layout = sys.argv[2]
rng = np.random.default_rng(0)
a = rng.standard_normal((k, m) if layout == "TN" else (m, k), dtype=np.float32)
b = rng.standard_normal((n, k) if layout == "NT" else (k, n), dtype=np.float32)
product = {"NN": lambda: a @ b, "NT": lambda: a @ b.T, "TN": lambda: a.T @ b}[layout]
start = time.process_time()
while time.process_time() - start < 1.0:
    product()
best = 0.0
for _ in range(5):
    start, calls = time.process_time(), 0
    while time.process_time() - start < 0.5:
        product()
        calls += 1
    best = max(best, 2.0 * m * n * k * calls / (time.process_time() - start) / 1e9)
print(f"{best:.1f}")
PY
)
            ratio=$(awk -v o="$ours" -v p="$peer" 'BEGIN { if (o != "" && p > 0) printf "%.2f", o / p; else print "n/a" }')
            echo "| $shape | $layout | $t | ${ours:-failed} | $peer | $ratio | $(cut -d' ' -f1 /proc/loadavg) |"
        done
    done
done
