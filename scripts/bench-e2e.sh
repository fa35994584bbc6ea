#!/usr/bin/env bash
# Runs the end-to-end benchmarks and their peers back to back, in one run on one machine:
#   generation  gkd4j GenerationThroughput vs llama2.c run.c (batch 1) with stories260K
#   training    gkd4j TrainingThroughput vs PyTorch train_bench.py (tiny, student, small)
#   gkd step    gkd4j GkdStepBench vs PyTorch gkd_bench.py (tiny -> student, small -> student)
# Usage: scripts/bench-e2e.sh [generation] [training] [gkd]   (default: all three)
# Environment:
#   PEERS_DIR  folder with train_bench.py and gkd_bench.py (default ../shared/peers from the repository root)
#   RUNC       a llama2.c run.c binary built with gcc -Ofast -march=native -fopenmp; generation skips the peer
#              when it is unset
#   PYTHON     interpreter with torch and numpy (default /usr/bin/python3)
# Output: each tool's own lines, copied to bench/target/e2e-<time>/log.txt.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
source scripts/find-jdk.sh

PEERS_DIR="${PEERS_DIR:-$ROOT/../shared/peers}"
PYTHON="${PYTHON:-/usr/bin/python3}"
parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(generation training gkd)

out="bench/target/e2e-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
exec > >(tee "$out/log.txt") 2>&1

mvn -q -B -ntp -pl bench -am package -DskipTests
cp="bench/target/benchmarks.jar"
java_run() {
    # the launcher's flags (see ./gkd4j)
    "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -XX:+UseParallelGC -XX:+UseCountedLoopSafepoints \
        -XX:LoopStripMiningIter=1000 -Xss8m -cp "$cp" "$@" 2>&1 \
        | grep -v "incubator modules"
}
peer_env() {
    # The OpenMP OpenBLAS build and no core-type override, for the peer processes only.
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS="$1" OPENBLAS_NUM_THREADS="$1" \
        LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp "${@:2}"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "jdk: $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
date -u

for part in "${parts[@]}"; do
    case "$part" in
    generation)
        echo "== generation: gkd4j"
        java_run org.gkd4j.bench.e2e.GenerationThroughput 5 1,16 1,2 255
        if [ -n "${RUNC:-}" ]; then
            model_dir="model/src/main/resources/org/gkd4j/model/stories260K"
            for threads in 1 2; do
                echo "== generation: llama2.c run.c, batch 1, $threads thread(s), 256 steps, 5 runs"
                for run in 1 2 3 4 5; do
                    OMP_NUM_THREADS=$threads "$RUNC" "$model_dir/stories260K.bin" -z "$model_dir/tok512.bin" \
                        -t 0 -n 256 2>&1 | grep "achieved"
                done
            done
        else
            echo "== generation: RUNC is unset, llama2.c peer skipped"
        fi
        ;;
    training)
        echo "== training: gkd4j (2 threads)"
        java_run org.gkd4j.bench.e2e.TrainingThroughput tiny student small --threads 2
        for config in tiny student small; do
            echo "== training: PyTorch $config (2 threads)"
            peer_env 2 "$PYTHON" "$PEERS_DIR/train_bench.py" --config "$config" --threads 2
        done
        ;;
    gkd)
        echo "== gkd step: gkd4j (2 threads)"
        # 20 measured steps on both sides: with 5, the median still moved by a quarter between runs
        java_run org.gkd4j.bench.e2e.GkdStepBench tiny small --threads 2 --steps 20
        echo "== gkd step: PyTorch tiny -> student (2 threads)"
        peer_env 2 "$PYTHON" "$PEERS_DIR/gkd_bench.py" --teacher tiny --student student --threads 2 --steps 20
        echo "== gkd step: PyTorch small -> student (2 threads)"
        peer_env 2 "$PYTHON" "$PEERS_DIR/gkd_bench.py" --teacher small --student student --student-vocab 32000 \
            --threads 2 --steps 20
        ;;
    *)
        echo "error: unknown part '$part'; choose generation, training or gkd" >&2
        exit 2
        ;;
    esac
done
date -u
