#!/usr/bin/env bash
# Tests the GPU-proof bundle on this machine (no GPU, no CUDA): packs it (tools/gpu-proof/pack.sh),
# then plays the device calls locally: each call's tree holds only the manifest and its one chunk
# (the first also the carried zstd), remote.sh stashes it in a folder outside the tree; a damaged chunk
# must be refused; the last call reassembles, verifies the checksum and unpacks with the carried zstd;
# then remote.sh's measurements run from the unpacked bundle with small sizes. doctor must say it is the
# GPU build and name the missing CUDA libraries; every --device gpu step must exit 3; the CPU steps 0.
#
#   tools/gpu-proof/selftest.sh                 full pack (publish + zstd -19), a few minutes
#   SKIP_PUBLISH=1 ZSTD_LEVEL=3 tools/gpu-proof/selftest.sh   quicker, reusing the publish
#   SKIP_PACK=1 tools/gpu-proof/selftest.sh     test the chunks already in .gpu-proof/chunks
set -euo pipefail

ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
REMOTE=$ROOT/tools/gpu-proof/remote.sh
CHUNKS=$ROOT/.gpu-proof/chunks
T=$(mktemp -d /tmp/gpu-proof-selftest.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "SELFTEST FAILED: $*" >&2; exit 1; }

if [[ ${SKIP_PACK:-} != 1 ]]; then
  echo "== pack"
  t0=$(date +%s)
  bash "$ROOT/tools/gpu-proof/pack.sh" 2>&1 | sed -n '/== sizes/,/chunks; pack took/p'
  echo "pack: $(( $(date +%s) - t0 )) s"
fi

parts=("$CHUNKS"/bundle.tar.zst.part-*)
(( ${#parts[@]} > 0 )) || fail "no chunks in $CHUNKS"
export GPU_PROOF_DIR=$T/remote

# call TREE MODE: remote.sh as a device call runs it, from the root of a tree, with a fresh $OUT.
call() { (cd "$1" && OUT=$T/out-$(basename "$1") bash "$REMOTE" "$2"); }
tree() { local d=$T/call-$1; mkdir -p "$d/.gpu-proof/chunks"; cp "$CHUNKS/SHA256SUMS" "$d/.gpu-proof/chunks/"; echo "$d"; }

echo "== the device calls, played here"
t0=$(date +%s)
for i in "${!parts[@]}"; do
  d=$(tree "$i")
  cp "${parts[$i]}" "$d/.gpu-proof/chunks/"
  (( i == 0 )) && cp -r "$CHUNKS/unzstd" "$d/.gpu-proof/chunks/"
  if (( i == 1 )); then
    # A chunk damaged on the way is refused and removed, so the call can be repeated.
    bad=$(tree bad); cp "${parts[1]}" "$bad/.gpu-proof/chunks/"
    printf 'x' | dd of="$bad/.gpu-proof/chunks/$(basename "${parts[1]}")" bs=1 seek=1000 conv=notrunc status=none
    if call "$bad" stash 2>&1 | tail -n 1; then fail "a damaged chunk was accepted"; fi
    echo "   (damaged chunk refused, as it should be)"
  fi
  if (( i == ${#parts[@]} - 2 )); then
    # One chunk still missing: unpack must refuse.
    if call "$d" unpack > /dev/null 2>&1; then fail "unpack went ahead with a chunk missing"; fi
    echo "   (unpack with a chunk missing refused, as it should be)"
  fi
  if (( i < ${#parts[@]} - 1 )); then call "$d" stash 2>&1 | tail -n 1
  else FORCE_CARRIED_ZSTD=1 call "$d" unpack 2>&1
  fi
done
echo "calls: $(( $(date +%s) - t0 )) s"
call "$(tree again)" unpack 2>&1 | grep -q 'already unpacked' || fail "a second unpack did not see the bundle already unpacked"

echo "== remote.sh run (small sizes; this machine has no CUDA)"
t0=$(date +%s)
d=$(tree run)
(cd "$d" && OUT=$T/out-run RUN_IMAGES=200 BENCH_GPU_IMAGES=16 BENCH_CPU_IMAGES=16 BUDGET_S=300 bash "$REMOTE" run) > "$T/run.log" 2>&1 \
  || { tail -n 40 "$T/run.log"; fail "remote.sh run failed"; }
sed -n '/== ldd/,/== GPU memory/p' "$T/run.log"
sed -n '/== done/,$p' "$T/run.log"
echo "run: $(( $(date +%s) - t0 )) s"

python3 - "$T/out-run" <<'PY' || fail "the results are not what this machine should give"
import json, os, sys
out = sys.argv[1]
files = sorted(os.listdir(out))
assert len(files) <= 8, f"{len(files)} files in $OUT; the device tool returns at most 8: {files}"
doctor = json.load(open(os.path.join(out, "doctor.json")))
assert doctor["runtimeBuild"] == "gpu", doctor["runtimeBuild"]
assert "GPU build" in doctor["runtimeBuildDescription"]
assert "CUDAExecutionProvider" in doctor["providersCompiledIn"], doctor["providersCompiledIn"]
assert doctor["cudaUsable"] is False
missing = " ".join(doctor["missingLibraries"])
for lib in ("libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcudnn.so.9"):
    assert lib in missing, f"doctor does not name {lib}: {missing}"
summary = json.load(open(os.path.join(out, "summary.json")))
codes = {s["step"]: s.get("exitCode") for s in summary["steps"]}
expected = {"doctor": 0, "run-gpu": 3, "run-cpu": 0, "bench-gpu": 3, "parallel-gpu": 3, "bench-cpu": 0}
assert codes == expected, f"exit codes {codes}, expected {expected}"
run_cpu = next(s for s in summary["steps"] if s["step"] == "run-cpu")["output"]
assert run_cpu["device"] == "cpu" and run_cpu["runtimeBuild"] == "gpu" and run_cpu["microAccuracy"] > 0.3, run_cpu["microAccuracy"]
print("doctor: build", doctor["runtimeBuild"], "| CUDA usable:", doctor["cudaUsable"])
print("doctor: missing", ", ".join(doctor["missingLibraries"]))
print("doctor:", doctor["cudaStatus"])
print(f"run-cpu from the GPU build: {run_cpu['images']} Fashion-MNIST images, featurize {run_cpu['featurizeImagesPerSecond']:.1f} img/s, accuracy {run_cpu['microAccuracy']:.3f}")
print("$OUT:", ", ".join(files))
PY
echo "SELFTEST PASSED"
