#!/usr/bin/env bash
# Runs the gkd4j SGEMM benchmark (JMH MatmulBench) and the OpenBLAS peer (numpy) in the same run, then prints a
# table of GFLOP/s and the ratio gkd4j / OpenBLAS per shape, layout and thread count.
#
# Usage: scripts/bench-matmul.sh [--quick | --full] [--shapes LIST] [--threads 1,2] [--out DIR] [--no-build]
#   --quick     1024³ and the training shapes, about 9 minutes on 2 cores (default)
#   --full      adds 512³, 2048³ and the decoding shapes (8 and 1 rows), about 20 minutes
#   --shapes    comma-separated MxKxN list that replaces the mode's shapes (the mode still sets the run lengths)
#   --threads   comma-separated thread counts for both gkd4j and OpenBLAS (default 1,2)
#   --out       directory for the JMH JSON, the peer's JSON lines and summary.md (default bench/target/matmul-<time>)
#   --no-build  use the existing bench/target/benchmarks.jar
# Environment: PEERS_DIR (default: ../shared/peers or ../../shared/peers from the repository root) must contain
# sgemm_bench.py;
# PYTHON (default /usr/bin/python3) must import numpy; OPENBLAS_LIB_DIR (default
# /usr/lib/x86_64-linux-gnu/openblas-openmp) must hold the OpenMP build of OpenBLAS.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

mode=quick
threads=1,2
custom_shapes=""
out=""
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) mode=quick ;;
        --full) mode=full ;;
        --threads) threads="$2"; shift ;;
        --shapes) custom_shapes="$2"; shift ;;
        --out) out="$2"; shift ;;
        --no-build) build=0 ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "error: unknown option '$1'; see $0 --help" >&2; exit 2 ;;
    esac
    shift
done

if [ "$mode" = quick ]; then
    shapes="1024x1024x1024,4096x288x768,4096x768x288,4096x288x32000,2048x128x512"
    jmh_time=(-f 1 -wi 2 -w 2 -i 3 -r 2)
    peer_reps=5
else
    shapes="512x512x512,1024x1024x1024,2048x2048x2048,4096x288x768,4096x768x288,4096x288x32000,2048x128x512,8x288x32000,1x288x768"
    jmh_time=(-f 1 -wi 3 -w 2 -i 5 -r 2)
    peer_reps=7
fi
shapes="${custom_shapes:-$shapes}"
out="${out:-bench/target/matmul-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"

# the peer must be present: fail before spending minutes on JMH
if [ -z "${PEERS_DIR:-}" ]; then
    PEERS_DIR="$ROOT/../shared/peers"
    [ -d "$PEERS_DIR" ] || PEERS_DIR="$ROOT/../../shared/peers"
fi
PYTHON="${PYTHON:-/usr/bin/python3}"
OPENBLAS_LIB_DIR="${OPENBLAS_LIB_DIR:-/usr/lib/x86_64-linux-gnu/openblas-openmp}"
if [ ! -f "$PEERS_DIR/sgemm_bench.py" ]; then
    echo "error: OpenBLAS peer not found: $PEERS_DIR/sgemm_bench.py is missing; set PEERS_DIR to the folder" \
         "that holds sgemm_bench.py" >&2
    exit 1
fi
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
    echo "building bench/target/benchmarks.jar"
    mvn -q -B -ntp -pl bench -am package -DskipTests
fi

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
    echo "jdk: $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/machine.txt"

# OpenBLAS through numpy, one process per thread count so the thread variables take effect; it runs before and
# after JMH, so a change of load during the run shows as a gap between the two figures
run_peer() {
    : > "$out/peer-sgemm-$1.jsonl"
    for t in ${threads//,/ }; do
        echo "running OpenBLAS peer on $t thread(s), $1 JMH"
        env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t" \
            LD_LIBRARY_PATH="$OPENBLAS_LIB_DIR" \
            "$PYTHON" "$PEERS_DIR/sgemm_bench.py" --lib numpy --threads "$t" --reps "$peer_reps" \
            --shapes "$shapes" >> "$out/peer-sgemm-$1.jsonl"
    done
}
run_peer before

# gkd4j: one JMH fork per shape, layout and thread count
echo "running JMH MatmulBench ($mode): shapes $shapes, threads $threads"
"$JAVA_HOME/bin/java" ${JMH_HOST_OPTS:-} -jar bench/target/benchmarks.jar 'MatmulBench' \
    -p shape="$shapes" -p layout=NN,NT,TN -p threads="$threads" "${jmh_time[@]}" \
    -rf json -rff "$out/jmh-matmul.json" > "$out/jmh-matmul.log" 2>&1 || true
grep -E '^(Benchmark|MatmulBench)' "$out/jmh-matmul.log" || true
if [ ! -s "$out/jmh-matmul.json" ]; then
    echo "error: JMH produced no results; see the end of $out/jmh-matmul.log:" >&2
    tail -5 "$out/jmh-matmul.log" >&2
    exit 1
fi
run_peer after

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/machine.txt"

# join both into one Markdown table; the peer measures only A·B, so every layout is compared with OpenBLAS A·B
"$PYTHON" - "$out/jmh-matmul.json" "$out/peer-sgemm-before.jsonl" "$out/peer-sgemm-after.jsonl" <<'PY' \
    | tee "$out/summary.md"
"""Joins JMH MatmulBench results with the OpenBLAS peer's JSON lines into a Markdown table of GFLOP/s.

Arguments: JMH_JSON PEER_BEFORE_JSONL PEER_AFTER_JSONL. The ratio uses the mean of the peer's medians before and
after JMH. The peer (sgemm_bench.py) measures only A·B, so every layout of gkd4j is compared with OpenBLAS A·B.
"""
import json
import sys


def main():
    with open(sys.argv[1]) as f:
        runs = json.load(f)
    before = read_peer(sys.argv[2])
    after = read_peer(sys.argv[3])

    print("| shape MxKxN | layout | threads | gkd4j GFLOP/s | OpenBLAS A·B GFLOP/s (before / after) "
          "| gkd4j / OpenBLAS |")
    print("|---|---|---|---|---|---|")
    rows = []
    for run in runs:
        params = run["params"]
        gflops = run["secondaryMetrics"]["gflops"]["score"]
        rows.append((params["shape"], params["layout"], int(params["threads"]), gflops))
    for shape, layout, threads, gflops in sorted(rows, key=lambda r: (r[2], r[0], r[1])):
        key = (shape, threads)
        if key in before and key in after:
            reference = (before[key] + after[key]) / 2
            shown = f"{reference:.1f} ({before[key]:.1f} / {after[key]:.1f})"
            ratio = f"{gflops / reference:.2f}"
        else:
            shown = "n/a"
            ratio = "n/a"
        print(f"| {shape} | {layout} | {threads} | {gflops:.1f} | {shown} | {ratio} |")


def read_peer(path):
    """Returns {(shape, threads): median GFLOP/s} from sgemm_bench.py's JSON lines."""
    peer = {}
    with open(path) as f:
        for line in f:
            record = json.loads(line)
            if "M" in record:
                peer[(f"{record['M']}x{record['K']}x{record['N']}", record["threads"])] = record["gflops_median"]
    return peer


if __name__ == "__main__":
    main()
PY
