#!/usr/bin/env bash
# Local-training throughput of Samples/Federated's setting: TrainingGen (the sample's --benchmark mode,
# Release build) against the plain PyTorch FedAvg loop of fedavg_throughput.py, run interleaved
# (A B A B ...) so that a load change on the machine hits both sides alike; prints every run and the
# medians. Development tool (needs Debian's python3-torch); nothing in the product or CI runs it.
# Debian's torch takes its BLAS from the libblas.so.3 alternative, by default the slow reference BLAS;
# when libopenblas0-pthread is installed, PyTorch runs with OpenBLAS (LD_LIBRARY_PATH, this process
# only, OPENBLAS_NUM_THREADS = threads), the fair peer. BLAS=reference keeps the default.
#   tests/Benchmarks/pytorch/compare.sh [rounds=5] [iterations=20] [threads=2]
set -euo pipefail
cd "$(dirname "$0")/../../.."
rounds="${1:-5}"; iterations="${2:-20}"; threads="${3:-$(nproc)}"
dotnet build -c Release Samples/Federated/Federated.csproj -v q -nologo >/dev/null
dll=Samples/Federated/bin/Release/net10.0/Federated.dll
openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread
torch_env=()
if [ "${BLAS:-openblas}" != reference ] && [ -e "$openblas/libblas.so.3" ]; then
  torch_env=(env "LD_LIBRARY_PATH=$openblas" "OPENBLAS_NUM_THREADS=$threads")
  echo "PyTorch with OpenBLAS ($openblas)"
else
  echo "PyTorch with the system libblas.so.3 ($(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3))"
fi
log="$(mktemp)"
for r in $(seq 1 "$rounds"); do
  dotnet "$dll" --benchmark "$iterations" --threads "$threads" | tee -a "$log"
  "${torch_env[@]}" /usr/bin/python3 tests/Benchmarks/pytorch/fedavg_throughput.py --iterations "$iterations" --threads "$threads" | tee -a "$log"
done
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
field() { grep "impl=$1 " "$log" | sed -E "s/.* $2=([0-9.]+).*/\1/" | median; }
tg_img=$(field traininggen images_per_s); pt_img=$(field pytorch images_per_s)
tg_usr=$(field traininggen users_per_s); pt_usr=$(field pytorch users_per_s)
echo "median traininggen images_per_s=$tg_img users_per_s=$tg_usr"
echo "median pytorch images_per_s=$pt_img users_per_s=$pt_usr"
awk -v a="$tg_img" -v b="$pt_img" 'BEGIN {printf "ratio images_per_s=%.2f\n", a / b}'
rm -f "$log"
