#!/usr/bin/env bash
# Builds the GPU-proof bundle: a self-contained linux-x64 publish of `learndl` with the GPU build of
# ONNX Runtime (-p:RuntimeBuild=gpu), the ResNet18 ONNX files (the publish copies them under
# DnnImageModels/), Fashion-MNIST's two training IDX files when installed, and remote.sh; then
# tar | zstd -19, split into chunks that each fit in one device call, with a SHA-256 manifest.
#
# Everything goes under .gpu-proof/ (git-ignored); the checkout's own bin/ and obj/ (the CPU build)
# are not touched: the publish uses its own artifacts path.
#
#   tools/gpu-proof/pack.sh            publish, stage, compress, split
#   SKIP_PUBLISH=1 tools/gpu-proof/pack.sh   reuse .gpu-proof/publish from an earlier run
#
# Environment: CHUNK_MIB (default 56: a device call carries 64 MiB with the working tree),
# ZSTD_LEVEL (default 19), FASHION_MNIST (default /usr/share/datasets/fashion-mnist).
set -euo pipefail

ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$ROOT"
WORK=.gpu-proof
PUBLISH=$WORK/publish
STAGE=$WORK/stage
BUNDLE_NAME=learndl-gpu
CHUNKS=$WORK/chunks
CHUNK_MIB=${CHUNK_MIB:-56}
ZSTD_LEVEL=${ZSTD_LEVEL:-19}
FASHION_MNIST=${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
CALL_LIMIT_MIB=64

started=$(date +%s)
step() { printf '\n== %s (%ds)\n' "$*" $(( $(date +%s) - started )); }
die() { echo "pack.sh: $*" >&2; exit 1; }

for tool in dotnet zstd tar sha256sum split git; do command -v "$tool" >/dev/null || die "needs $tool"; done
git check-ignore -q "$WORK/x" || die "$WORK/ must be git-ignored (see .gitignore) so the bundle is never committed"
(( CHUNK_MIB < 60 )) || die "CHUNK_MIB must be under 60"
mkdir -p "$WORK"

step "disk space"
df -h "$ROOT" /tmp | sed 's/^/  /'
avail_kb=$(df -Pk "$ROOT" | awk 'NR==2 {print $4}')
(( avail_kb > 3 * 1024 * 1024 )) || die "needs about 3 GB free under $ROOT (publish ~0.5 GB, stage, tar, chunks)"

if [[ "${SKIP_PUBLISH:-}" != 1 || ! -x $PUBLISH/learndl ]]; then
  step "dotnet publish (Release, linux-x64, self-contained, RuntimeBuild=gpu)"
  rm -rf "$PUBLISH"
  # --artifacts-path keeps this build's obj/ (restored with the GPU package) away from the checkout's
  # src/*/obj, which hold the CPU build's restore.
  dotnet publish src/LearnDL.Cli/LearnDL.Cli.csproj -c Release -r linux-x64 --self-contained true \
    -p:RuntimeBuild=gpu --artifacts-path "$WORK/build" -o "$PUBLISH" -nologo -v quiet
else
  step "reusing $PUBLISH (SKIP_PUBLISH=1)"
fi

for f in learndl libonnxruntime.so libonnxruntime_providers_cuda.so libonnxruntime_providers_shared.so libSkiaSharp.so \
         DnnImageModels/ResNet18Onnx/ResNet18.onnx DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx; do
  [[ -e $PUBLISH/$f ]] || die "the publish has no $f"
done
[[ -e $PUBLISH/libonnxruntime_providers_cuda.so ]] || die "not the GPU build: no CUDA provider in $PUBLISH"

step "stage"
rm -rf "$STAGE"
mkdir -p "$STAGE/$BUNDLE_NAME/data/fashion-mnist"
cp -a "$PUBLISH" "$STAGE/$BUNDLE_NAME/app"
fashion=none
if [[ -f $FASHION_MNIST/train-images-idx3-ubyte.gz && -f $FASHION_MNIST/train-labels-idx1-ubyte.gz ]]; then
  cp "$FASHION_MNIST"/train-{images-idx3,labels-idx1}-ubyte.gz "$STAGE/$BUNDLE_NAME/data/fashion-mnist/"
  fashion=$FASHION_MNIST
else
  echo "  Fashion-MNIST is not installed at $FASHION_MNIST: the bundle has no real photos (runs on it will fail with exit 2)" >&2
fi
cp tools/gpu-proof/remote.sh "$STAGE/$BUNDLE_NAME/"
{
  echo "commit=$(git rev-parse HEAD)"
  echo "dirty=$(git status --porcelain -- src tools/gpu-proof Directory.Build.props Directory.Packages.props | wc -l)"
  echo "packed_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "packed_on=$(hostname)"
  echo "dotnet_sdk=$(dotnet --version)"
  echo "runtime_build=gpu"
  echo "onnxruntime=Microsoft.ML.OnnxRuntime.Gpu.Linux $(grep -o 'OnnxRuntime.Gpu.Linux" Version="[^"]*' Directory.Packages.props | sed 's/.*Version="//')"
  echo "fashion_mnist=$fashion"
} > "$STAGE/$BUNDLE_NAME/BUILD-INFO"
du -sh "$STAGE/$BUNDLE_NAME" "$STAGE/$BUNDLE_NAME"/* | sed 's/^/  /'

step "tar | zstd -$ZSTD_LEVEL -T0"
rm -f "$WORK/bundle.tar.zst"
tar -C "$STAGE" -cf - "$BUNDLE_NAME" | zstd -q "-$ZSTD_LEVEL" -T0 -o "$WORK/bundle.tar.zst"
raw_bytes=$(du -sb "$STAGE/$BUNDLE_NAME" | cut -f1)
rm -rf "$STAGE"  # half a gigabyte, and the publish folder holds the same

# As few chunks as CHUNK_MIB allows, all of about the same size (the most room left for the tree).
bundle_bytes=$(stat -c %s "$WORK/bundle.tar.zst")
count=$(( (bundle_bytes + CHUNK_MIB * 1048576 - 1) / (CHUNK_MIB * 1048576) ))
step "split into $count chunks of at most ${CHUNK_MIB} MiB"
rm -rf "$CHUNKS"
mkdir -p "$CHUNKS"
split -n "$count" -d -a 2 "$WORK/bundle.tar.zst" "$CHUNKS/bundle.tar.zst.part-"
(cd "$CHUNKS" && sha256sum bundle.tar.zst.part-* > SHA256SUMS)
(cd "$WORK" && sha256sum bundle.tar.zst) >> "$CHUNKS/SHA256SUMS"

# A zstd for the far side, in case its image has none: this machine's binary with the libraries it
# needs besides glibc (it needs nothing newer than glibc 2.34).
mkdir -p "$CHUNKS/unzstd"
cp -L "$(command -v zstd)" "$CHUNKS/unzstd/zstd"
ldd "$(command -v zstd)" | awk '$3 ~ /^\// {print $3}' | grep -Ev '/(libc|libm|libpthread|libdl|ld-linux[^/]*)\.so' \
  | while read -r lib; do cp -L "$lib" "$CHUNKS/unzstd/"; done
(cd "$CHUNKS" && sha256sum unzstd/* >> SHA256SUMS)

step "sizes"
tree_bytes=$(git ls-files -z -co --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
shared_bytes=0; [[ -d shared ]] && shared_bytes=$(du -sb shared | cut -f1)
kit_bytes=$(du -cb "$CHUNKS/unzstd" "$CHUNKS/SHA256SUMS" | tail -1 | cut -f1)
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
echo "  uncompressed bundle      $(mib "$raw_bytes")"
echo "  bundle.tar.zst           $(mib "$bundle_bytes")"
echo "  working tree that travels $(mib $(( tree_bytes + shared_bytes ))) (tracked + untracked-not-ignored + shared/)"
echo "  unzstd kit + manifest    $(mib "$kit_bytes")"
n=0
for part in "$CHUNKS"/bundle.tar.zst.part-*; do
  size=$(stat -c %s "$part")
  extra=$kit_bytes  # SHA256SUMS travels with every call; the kit only with the first, counted for all to be safe
  total=$(( size + tree_bytes + shared_bytes + extra ))
  printf '  %-32s %s  (call carries about %s)\n' "$(basename "$part")" "$(mib "$size")" "$(mib "$total")"
  (( total < CALL_LIMIT_MIB * 1048576 )) || die "$(basename "$part") with the working tree is over ${CALL_LIMIT_MIB} MiB: lower CHUNK_MIB"
  n=$((n + 1))
done
echo "  $n chunks; pack took $(( $(date +%s) - started )) s"

step "device calls, in order (issue them one after another, no pause: the machine stays warm 30 s)"
i=0
for part in "$CHUNKS"/bundle.tar.zst.part-*; do
  kit=""; [[ $i == 0 ]] && kit=', ".gpu-proof/chunks/unzstd"'
  if (( i < n - 1 )); then
    printf '  %d. run(command="bash tools/gpu-proof/remote.sh stash", timeout_s=120,\n         carry=[".gpu-proof/chunks/SHA256SUMS", "%s"%s])\n' $((i + 1)) "$part" "$kit"
  else
    printf '  %d. run(command="bash tools/gpu-proof/remote.sh all", timeout_s=450,\n         carry=[".gpu-proof/chunks/SHA256SUMS", "%s"%s])\n' $((i + 1)) "$part" "$kit"
  fi
  i=$((i + 1))
done
echo "  (again, if the machine is still warm: run(command=\"bash tools/gpu-proof/remote.sh run\", timeout_s=420))"
