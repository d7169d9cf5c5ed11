#!/usr/bin/env bash
# Checks every kind of Core ML package TrainingGen writes with Apple's coremltools loader.
# Samples/Federated writes the central model's training package (federated-dp-off/-on.mlpackage).
# The generator tests write the training and the inference package of each of their models
# (PackageRoundTripTests, with TRAININGGEN_PACKAGE_OUT set), and so do the ONNX import tests for the five
# imported fixture models (ImportFixtureTests); ../shared/tools/ctvalidator/ctvalidate
# then loads each one. Exit status: 0 all valid (inconclusive ones are listed, not failed) or
# skipped, 1 a package is invalid or could not be written.
# Skips (exit 0, with a message) when ctvalidate, /usr/bin/python3 or its Debian packages are missing.
set -uo pipefail
cd "$(dirname "$0")/.."

validator=../shared/tools/ctvalidator/ctvalidate
if [ ! -x "$validator" ]; then
  echo "validate-packages: skipped ($validator not found)"
  exit 0
fi
if [ ! -x /usr/bin/python3 ]; then
  echo "validate-packages: skipped (/usr/bin/python3 not found; ctvalidate runs with Debian's Python)"
  exit 0
fi
if ! /usr/bin/python3 -c 'import numpy, sympy, attr, tqdm, packaging, google.protobuf, yaml' >/dev/null 2>&1; then
  echo "validate-packages: skipped (ctvalidate's Python packages are missing; see $(dirname "$validator")/README.md)"
  exit 0
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "== Writing the packages of the generator test models to $out"
if ! TRAININGGEN_PACKAGE_OUT="$out" dotnet test tests/TrainingGen.Generator.Tests \
     --filter "FullyQualifiedName~PackageRoundTripTests.Every_tensor_of_both_packages" -v q >"$out/test.log" 2>&1; then
  cat "$out/test.log" >&2
  echo "validate-packages: writing the packages failed" >&2
  exit 1
fi
# The training packages of the imported ONNX fixtures (tests/TrainingGen.Import.Tests, same variable).
if ! TRAININGGEN_PACKAGE_OUT="$out" dotnet test tests/TrainingGen.Import.Tests \
     --filter "FullyQualifiedName~ImportFixtureTests.Training_package" -v q >"$out/import-test.log" 2>&1; then
  cat "$out/import-test.log" >&2
  echo "validate-packages: writing the imported models' packages failed" >&2
  exit 1
fi

# Samples/Federated's next training package for devices (one iteration of each run is enough: the
# package's structure does not depend on how long the central model trained).
echo "== Writing Samples/Federated's training packages to $out"
if ! dotnet run -c Release --project Samples/Federated -- --iterations 1 --no-plot --out "$out" >"$out/federated.log" 2>&1; then
  cat "$out/federated.log" >&2
  echo "validate-packages: the federated sample failed" >&2
  exit 1
fi

# ctvalidate takes one package and ~6 s (mostly loading coremltools): run two at a time, one per core.
validate_one() {
  "$1" "$2" --no-program-text >"$2.log" 2>&1
  echo $? >"$2.rc"
}
export -f validate_one
find "$out" -maxdepth 1 -name '*.mlpackage' -type d -print0 | xargs -0 -r -n 1 -P 2 bash -c 'validate_one "$0" "$1"' "$validator"

valid=0; invalid=0; inconclusive=0
for pkg in "$out"/*.mlpackage; do
  [ -d "$pkg" ] || continue
  name="$(basename "$pkg")"
  rc="$(cat "$pkg.rc" 2>/dev/null || echo 2)"
  case "$rc" in
    0) valid=$((valid + 1)) ;;
    3) inconclusive=$((inconclusive + 1)); echo "-- $name: inconclusive"; cat "$pkg.log" ;;
    *) invalid=$((invalid + 1)); echo "-- $name: INVALID (ctvalidate exit $rc)" >&2; cat "$pkg.log" >&2 ;;
  esac
done

echo "validate-packages: ${valid} valid, ${invalid} invalid, ${inconclusive} inconclusive"
if [ $((valid + invalid + inconclusive)) -eq 0 ]; then
  echo "validate-packages: no packages were written" >&2
  exit 1
fi
[ "$invalid" -eq 0 ]
