#!/usr/bin/env bash
# Runs on the lent GPU machine (no .NET there, nothing installable; CUDA 13 and cuDNN 9 only as the
# Python packages of its PyTorch). Run from the repository root of the copy the device tool made.
#
#   remote.sh stash      keep the chunk(s) this call carried (.gpu-proof/chunks/) in $GPU_PROOF_DIR,
#                        check each against the manifest, say which are still missing
#   remote.sh unpack     stash, reassemble, verify the checksum, unpack (skipped if already unpacked)
#   remote.sh preflight  find the CUDA libraries, print what is missing (ldd, ICU, SkiaSharp)
#   remote.sh run        preflight, then the measurements, each time-limited, JSON under $OUT
#   remote.sh all        unpack, then run
#
# Environment: GPU_PROOF_DIR (default /tmp/gpu-proof: outside the tree, so it stays while the machine
# is warm), OUT (default $GPU_PROOF_DIR/out), CHUNKS_SRC (default .gpu-proof/chunks),
# BUDGET_S (seconds for all the measurements, default 360), RUN_IMAGES (2000), BENCH_GPU_IMAGES (2000),
# BENCH_CPU_IMAGES (800), FORCE_CARRIED_ZSTD=1 (unpack with the carried zstd even if one is installed).
# $OUT gets at most 8 files (the device tool's limit): summary.json, log.txt and
# one JSON per step.
set -uo pipefail

MODE=${1:-all}
DIR=${GPU_PROOF_DIR:-/tmp/gpu-proof}
OUT=${OUT:-$DIR/out}
CHUNKS_SRC=${CHUNKS_SRC:-.gpu-proof/chunks}
BUDGET_S=${BUDGET_S:-360}
RUN_IMAGES=${RUN_IMAGES:-2000}
BENCH_GPU_IMAGES=${BENCH_GPU_IMAGES:-2000}
BENCH_CPU_IMAGES=${BENCH_CPU_IMAGES:-800}
BUNDLE=$DIR/bundle/learndl-gpu
APP=$BUNDLE/app
LOG=$OUT/log.txt
mkdir -p "$DIR/parts" "$OUT"

say() { printf '%s\n' "$*" | tee -a "$LOG" >&2; }
die() { say "remote.sh: $*"; exit 1; }

# ---------------------------------------------------------------- chunks
stash() {
  [[ -f $CHUNKS_SRC/SHA256SUMS ]] && cp "$CHUNKS_SRC/SHA256SUMS" "$DIR/parts/SHA256SUMS"
  [[ -f $DIR/parts/SHA256SUMS ]] || die "no manifest: carry .gpu-proof/chunks/SHA256SUMS with every call"
  local f
  for f in "$CHUNKS_SRC"/bundle.tar.zst.part-*; do
    [[ -f $f ]] && cp "$f" "$DIR/parts/" && say "stashed $(basename "$f") ($(stat -c %s "$f") bytes)"
  done
  if [[ -d $CHUNKS_SRC/unzstd ]]; then mkdir -p "$DIR/parts/unzstd" && cp "$CHUNKS_SRC"/unzstd/* "$DIR/parts/unzstd/"; fi
  local have=() missing=() bad=() sum name
  while read -r sum name; do
    [[ $name == bundle.tar.zst.part-* ]] || continue
    if [[ ! -f $DIR/parts/$name ]]; then missing+=("$name")
    elif [[ $(sha256sum "$DIR/parts/$name" | cut -d' ' -f1) == "$sum" ]]; then have+=("$name")
    else bad+=("$name"); rm -f "$DIR/parts/$name"
    fi
  done < "$DIR/parts/SHA256SUMS"
  STASH_MISSING=$(( ${#missing[@]} + ${#bad[@]} ))
  say "chunks in $DIR/parts: ${#have[@]} good${have:+ (${have[*]##*-})}; missing: ${missing[*]:-none}; bad (removed, send again): ${bad[*]:-none}"
  [[ ${#bad[@]} == 0 ]]
}

zstd_cmd() {
  if [[ ${FORCE_CARRIED_ZSTD:-} != 1 ]] && command -v zstd >/dev/null; then echo zstd
  elif [[ -x $DIR/parts/unzstd/zstd ]]; then echo "env LD_LIBRARY_PATH=$DIR/parts/unzstd $DIR/parts/unzstd/zstd"
  else return 1
  fi
}

unpack() {
  stash || die "a chunk is damaged: send it again"
  local whole; whole=$(awk '$2 == "bundle.tar.zst" {print $1}' "$DIR/parts/SHA256SUMS")
  if [[ -f $DIR/bundle/.unpacked && $(cat "$DIR/bundle/.unpacked") == "$whole" && -x $APP/learndl ]]; then
    say "already unpacked ($whole)"; return 0
  fi
  (( STASH_MISSING == 0 )) || die "chunks are missing (above): send them first"
  say "reassembling"
  cat "$DIR"/parts/bundle.tar.zst.part-* > "$DIR/bundle.tar.zst"
  local got; got=$(sha256sum "$DIR/bundle.tar.zst" | cut -d' ' -f1)
  [[ $got == "$whole" ]] || die "bundle.tar.zst: checksum $got, expected $whole"
  say "checksum ok: $got"
  local z; z=$(zstd_cmd) || die "no zstd here and no carried one (.gpu-proof/chunks/unzstd): carry it with a call"
  rm -rf "$DIR/bundle"; mkdir -p "$DIR/bundle"
  $z -dc "$DIR/bundle.tar.zst" | tar -C "$DIR/bundle" -xf - || die "unpacking failed"
  rm -f "$DIR/bundle.tar.zst"
  echo "$whole" > "$DIR/bundle/.unpacked"
  say "unpacked into $BUNDLE ($(du -sh "$BUNDLE" | cut -f1)) with $z"
  cat "$BUNDLE/BUILD-INFO" | tee -a "$LOG" >&2
}

# ---------------------------------------------------------------- environment
cuda_dirs() {
  # Every folder under a site-packages' nvidia/ that holds shared libraries (nvidia/*/lib: cuBLAS,
  # the CUDA runtime, cuRAND, cuDNN ...), then the usual system places, as a fallback.
  local sp
  python3 - 2>/dev/null <<'PY' | while read -r sp; do [[ -d $sp/nvidia ]] && find "$sp/nvidia" -maxdepth 4 -name 'lib*.so*' -printf '%h\n'; done | sort -u
import site, sys, sysconfig
paths = set(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
try: paths.update(site.getsitepackages())
except Exception: pass
for key in ("purelib", "platlib"): paths.add(sysconfig.get_paths()[key])
print("\n".join(sorted(paths)))
PY
  local d
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
    [[ -d $d ]] && echo "$d"
  done
}

setup_env() {
  local dirs; dirs=$(cuda_dirs | awk '!seen[$0]++' | paste -sd: -)
  export LD_LIBRARY_PATH=$dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  # A self-contained .NET app needs ICU unless told to run without it; the machine may have none.
  export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
  export DOTNET_CLI_TELEMETRY_OPTOUT=1
  export LearnDL__DataFolder=$DIR/data
  export LearnDL__FashionMnistFolder=$BUNDLE/data/fashion-mnist
  mkdir -p "$DIR/data"
}

preflight() {
  [[ -x $APP/learndl ]] || die "not unpacked: run 'remote.sh unpack' first"
  setup_env
  {
    echo "== machine"
    uname -a; nproc; (grep -m1 'model name' /proc/cpuinfo || true); (grep -E 'MemTotal' /proc/meminfo || true)
    (. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"); ldd --version 2>&1 | head -1
    timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used --format=csv 2>&1 || echo "nvidia-smi: not usable"
    echo "python3: $(command -v python3) $(python3 -c 'import sys; print(sys.version.split()[0])' 2>&1)"
    echo "== LD_LIBRARY_PATH (every nvidia/*/lib found, then system CUDA folders)"
    tr ':' '\n' <<< "$LD_LIBRARY_PATH"
    echo "== libraries the CUDA provider loads (found where?)"
    local lib d found
    for lib in libcuda.so.1 libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcudnn.so.9 libnvrtc.so.13 libstdc++.so.6; do
      found=""
      for d in ${LD_LIBRARY_PATH//:/ }; do [[ -e $d/$lib ]] && { found=$d/$lib; break; }; done
      [[ -z $found ]] && found=$(ldconfig -p 2>/dev/null | awk -v l="$lib" '$1 == l {print $NF; exit}')
      printf '  %-20s %s\n' "$lib" "${found:-MISSING}"
    done
    echo "== ldd: what is not found"
    for lib in libonnxruntime_providers_cuda.so libonnxruntime.so libonnxruntime_providers_shared.so libSkiaSharp.so \
               libSystem.Native.so libSystem.Globalization.Native.so libcoreclr.so libclrjit.so learndl; do
      local nf; nf=$(ldd "$APP/$lib" 2>&1 | grep -E 'not found|not a dynamic' | awk '{print $1}' | paste -sd' ' - || true)
      [[ -n $nf ]] && nf="NOT FOUND: $nf"
      printf '  %-36s %s\n' "$lib" "${nf:-all found}"
    done
    echo "== ICU (DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 is set, so none is needed)"
    ldconfig -p 2>/dev/null | grep -E 'libicuuc\.so' | head -2 || true
    ldconfig -p 2>/dev/null | grep -q libicuuc || echo "  no ICU here"
    echo "== GPU memory"
    timeout 10 nvidia-smi --query-gpu=memory.used,memory.total --format=csv,noheader 2>&1 || true
  } 2>&1 | tee -a "$LOG" >&2
}

# ---------------------------------------------------------------- measurements
RUN_STARTED=$(date +%s)
STEPS_JSON=$DIR/steps.jsonl

# step NAME LIMIT_S ARGS...: runs learndl with a time limit, stdout to $OUT/NAME.json, stderr to the log.
step() {
  local name=$1 limit=$2; shift 2
  local left=$(( BUDGET_S - ($(date +%s) - RUN_STARTED) ))
  if (( left < 15 )); then
    say "== $name: skipped, ${left}s of the budget left"
    printf '{"step":"%s","args":"%s","skipped":true}\n' "$name" "$*" >> "$STEPS_JSON"; summarize; return
  fi
  (( limit > left )) && limit=$left
  say "== $name (limit ${limit}s): learndl $*"
  local t0; t0=$(date +%s.%N)
  timeout -k 10 "$limit" "$APP/learndl" "$@" > "$OUT/$name.json" 2> "$DIR/$name.err"
  local rc=$?
  tail -c 200000 "$DIR/$name.err" >> "$LOG"
  tail -n 8 "$DIR/$name.err" | sed 's/^/   | /' >&2
  local secs; secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
  say "   exit $rc after ${secs}s$( ((rc == 124 || rc == 137)) && echo ' (TIMED OUT)')"
  printf '{"step":"%s","args":"%s","exitCode":%d,"seconds":%s,"timedOut":%s}\n' "$name" "$*" "$rc" "$secs" \
    "$( ((rc == 124 || rc == 137)) && echo true || echo false)" >> "$STEPS_JSON"
  summarize
}

# summary.json: the machine, the bundle, and every step with its exit code, time and parsed JSON output.
summarize() {
  python3 - "$STEPS_JSON" "$OUT" "$BUNDLE/BUILD-INFO" "${LD_LIBRARY_PATH:-}" "$DIR" > "$OUT/summary.json.tmp" <<'PY' && mv "$OUT/summary.json.tmp" "$OUT/summary.json"
import json, os, subprocess, sys, datetime
steps_file, out, info_file, ld, work = sys.argv[1:6]
def sh(cmd):
    try: return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception as e: return f"({e})"
steps = []
if os.path.exists(steps_file):
    for line in open(steps_file):
        s = json.loads(line)
        path = os.path.join(out, s["step"] + ".json")
        if os.path.exists(path):
            text = open(path).read()
            try: s["output"] = json.loads(text)
            except ValueError: s["outputText"] = text[-4000:]
        err = os.path.join(work, s["step"] + ".err")
        if os.path.exists(err): s["stderrTail"] = open(err, errors="replace").read()[-3000:]
        steps.append(s)
info = dict(l.strip().split("=", 1) for l in open(info_file) if "=" in l) if os.path.exists(info_file) else {}
print(json.dumps({
    "writtenAt": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    "machine": {
        "gpu": sh("nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader"),
        "cpu": sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"),
        "logicalCores": os.cpu_count(),
        "os": sh(". /etc/os-release && echo $PRETTY_NAME"),
        "glibc": sh("ldd --version | head -1"),
        "python": sys.version.split()[0],
    },
    "bundle": info,
    "ldLibraryPath": ld.split(":"),
    "steps": steps,
}, indent=2))
PY
}

run_all() {
  preflight
  rm -f "$STEPS_JSON"
  RUN_STARTED=$(date +%s)
  say "== measurements, ${BUDGET_S}s in all"
  # Most telling first, so a slow step cuts off the least important ones.
  step doctor          45  doctor --json
  step run-gpu        150  run --dataset fashion-mnist --images "$RUN_IMAGES" --epochs 1 --device gpu --json
  step run-cpu        150  run --dataset fashion-mnist --images "$RUN_IMAGES" --epochs 1 --device cpu --json
  step bench-gpu      120  bench --images "$BENCH_GPU_IMAGES" --device gpu --json
  step parallel-gpu    90  parallel --gpu --json
  step bench-cpu       90  bench --images "$BENCH_CPU_IMAGES" --device cpu --json
  summarize
  if [[ -f $LOG ]] && (( $(stat -c %s "$LOG") > 8000000 )); then tail -c 8000000 "$LOG" > "$LOG.tmp" && mv "$LOG.tmp" "$LOG"; fi
  say "== done in $(( $(date +%s) - RUN_STARTED ))s; results in $OUT:"
  ls -l "$OUT" >&2
  python3 - "$OUT/summary.json" <<'PY' >&2
import json, sys
s = json.load(open(sys.argv[1]))
for st in s["steps"]:
    o = st.get("output")
    brief = ""
    if isinstance(o, dict):
        if "cudaUsable" in o: brief = f"build={o.get('runtimeBuild')} cudaUsable={o.get('cudaUsable')} missing={o.get('missingLibraries')} status={o.get('cudaStatus')}"
        elif "featurizeImagesPerSecond" in o: brief = f"device={o.get('device')} featurize={o.get('featurizeImagesPerSecond'):.1f} img/s total={o.get('totalSeconds'):.1f}s accuracy={o.get('microAccuracy'):.3f}"
        elif "runtimeOnlyImagesPerSecond" in o: brief = f"device={o.get('device')} batch={o.get('batchSize')} runtime-only={o.get('runtimeOnlyImagesPerSecond'):.1f} pipeline={o.get('pipelineImagesPerSecond'):.1f} img/s"
    elif isinstance(o, list): brief = f"{len(o)} timings"
    print(f"  {st['step']:<13} exit={st.get('exitCode', 'skipped')} {st.get('seconds', '')}s {brief}")
PY
}

case $MODE in
  stash) stash ;;
  unpack) unpack ;;
  preflight) preflight ;;
  run) run_all ;;
  all) unpack && run_all ;;
  *) die "usage: remote.sh stash|unpack|preflight|run|all" ;;
esac
