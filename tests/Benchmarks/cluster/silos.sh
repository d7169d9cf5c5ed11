#!/usr/bin/env bash
# Users/s of Samples/Federated's benchmark mode on an Orleans cluster of N silos on this machine
# (docs/benchmarks.md, "Federated simulation on a cluster"). Usage: silos.sh N [ITERATIONS] [THREADS_PER_SILO]
# Starts N silo processes on loopback ports 21111.. (gateways 41111..), runs the coordinator's
# --benchmark against their gateways, stops the silos. Needs the Release build of Samples/Federated.
set -euo pipefail
cd "$(dirname "$0")/../../.."
n="${1:?silos}"; iterations="${2:-10}"; threads="${3:-1}"
dll=Samples/Federated/bin/Release/net10.0/Federated.dll
[ -f "$dll" ] || { echo "build first: dotnet build -c Release Samples/Federated" >&2; exit 1; }
logs="$(mktemp -d)"; pids=(); gateways=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
for ((i = 0; i < n; i++)); do
  port=$((21111 + i)); gw=$((41111 + i)); gateways+=("localhost:$gw")
  seed=(); [ "$i" -gt 0 ] && seed=(--seed-node localhost:21111)
  # One kernel thread per training thread: several silos on one machine must not oversubscribe it.
  TRAININGGEN_THREADS=1 dotnet "$dll" silo --port "$port" --gateway-port "$gw" --threads "$threads" "${seed[@]}" >"$logs/silo$i.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 60); do grep -q "Silo up" "$logs/silo$i.log" && break; sleep 1; done
  grep -q "Silo up" "$logs/silo$i.log" || { cat "$logs/silo$i.log" >&2; exit 1; }
done
IFS=,; dotnet "$dll" --benchmark "$iterations" --cluster "${gateways[*]}" | tail -1
