#!/usr/bin/env bash
# Local-training throughput of Samples/Federated's setting: TrainingGen (the sample's --benchmark mode,
# Release build) against the plain PyTorch FedAvg loop of fedavg_throughput.py, run interleaved
# (for each round and each thread count: TrainingGen, then PyTorch) so that a load change on the
# machine hits both sides alike; prints every run, the medians and ratios per thread count, and best
# against best (each side's best median over the thread counts). Development tool (needs Debian's
# python3-torch); nothing in the product or CI runs it.
# Debian's torch takes its BLAS from the libblas.so.3 alternative, by default the slow reference BLAS;
# when libopenblas0-pthread is installed, PyTorch runs with OpenBLAS (LD_LIBRARY_PATH, this process
# only, OPENBLAS_NUM_THREADS = threads), the fair peer. BLAS=reference keeps the default.
#   tests/Benchmarks/pytorch/compare.sh [rounds=3] [iterations=10] [threads="1 2"]
set -euo pipefail
cd "$(dirname "$0")/../../.."
rounds="${1:-3}"; iterations="${2:-10}"; thread_counts="${3:-1 $(nproc)}"
dotnet build -c Release Samples/Federated/Federated.csproj -v q -nologo >/dev/null
dll=Samples/Federated/bin/Release/net10.0/Federated.dll
openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread
use_openblas=0
if [ "${BLAS:-openblas}" != reference ] && [ -e "$openblas/libblas.so.3" ]; then
  use_openblas=1; echo "PyTorch with OpenBLAS ($openblas)"
else
  echo "PyTorch with the system libblas.so.3 ($(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3))"
fi
echo "start: $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
log="$(mktemp)"
for r in $(seq 1 "$rounds"); do
  for t in $thread_counts; do
    dotnet "$dll" --benchmark "$iterations" --threads "$t" | tee -a "$log"
    if [ "$use_openblas" = 1 ]; then
      env "LD_LIBRARY_PATH=$openblas" "OPENBLAS_NUM_THREADS=$t" /usr/bin/python3 tests/Benchmarks/pytorch/fedavg_throughput.py --iterations "$iterations" --threads "$t" | tee -a "$log"
    else
      /usr/bin/python3 tests/Benchmarks/pytorch/fedavg_throughput.py --iterations "$iterations" --threads "$t" | tee -a "$log"
    fi
  done
done
echo "end: $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
field() { grep "impl=$1 " "$log" | grep " threads=$2 " | sed -E "s/.* $3=([0-9.]+).*/\1/" | median; }
best_tg=0; best_pt=0; best_tg_t=; best_pt_t=
for t in $thread_counts; do
  tg_img=$(field traininggen "$t" images_per_s); pt_img=$(field pytorch "$t" images_per_s)
  tg_usr=$(field traininggen "$t" users_per_s); pt_usr=$(field pytorch "$t" users_per_s)
  echo "threads=$t median traininggen images_per_s=$tg_img users_per_s=$tg_usr"
  echo "threads=$t median pytorch images_per_s=$pt_img users_per_s=$pt_usr"
  awk -v t="$t" -v a="$tg_img" -v b="$pt_img" 'BEGIN {printf "threads=%s ratio images_per_s=%.2f\n", t, a / b}'
  if awk -v a="$tg_img" -v b="$best_tg" 'BEGIN {exit !(a > b)}'; then best_tg=$tg_img; best_tg_t=$t; fi
  if awk -v a="$pt_img" -v b="$best_pt" 'BEGIN {exit !(a > b)}'; then best_pt=$pt_img; best_pt_t=$t; fi
done
awk -v a="$best_tg" -v b="$best_pt" -v ta="$best_tg_t" -v tb="$best_pt_t" \
  'BEGIN {printf "best vs best: traininggen %s images_per_s (threads=%s) / pytorch %s images_per_s (threads=%s) = ratio %.2f\n", a, ta, b, tb, a / b}'
rm -f "$log"
