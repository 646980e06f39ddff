#!/usr/bin/env bash
# For a GPU machine (H100/H200, PyTorch installed, no network): in one call, under 10 minutes,
#   1. builds snnc with `--features cuda` (release; `wgpu` too when that feature exists),
#   2. runs `snnc check --engine cuda` on every fixture (models/fixtures, models/family, the
#      leaky cells of models/leaky, SPEC §1.2, and the spiking CNNs of models/cnn),
#      models/text/where_reset.snn (ONNX Where,
#      broadcast) and models/text/lif.snn (current-based LIF, LI read-out) (and `--engine wgpu`
#      when built), the shared fixture suite (tests/fixtures.rs, modules cuda:: and wgpu::, the
#      leaky fixtures' leaky::cuda:: included) against the libraries' saved outputs and
#      gradients, and `snnc check` on three fixtures with
#      real-valued inputs, which take the dense kernels instead of the event ones,
#   3. times Linear(N, N) + IAF, T = 500, B = 16, N in {512, 4096, 16384}, forward and
#      forward+backward, snnc-cuda (crates/snnc-cuda/examples/bench_layer.rs) against PyTorch
#      eager on the same GPU (scripts/bench_torch.py), and prints one table.
# NVRTC and cuBLAS are loaded at run time; they are found in PyTorch's pip packages
# (nvidia/cuda_nvrtc/lib, nvidia/cublas/lib) when the system has none on its library path.
# With PREBUILT=DIR, DIR/snnc and DIR/bench_layer (built elsewhere with the same features,
# e.g. `cargo build --release -p snnc-cli --all-features` and `cargo build --release -p snnc-cuda
# --features cuda --example bench_layer`) are used and nothing is built.
# ENGINES (default: cuda, and wgpu when built) picks the engines checked; CHECK_TIMEOUT (120)
# bounds each fixture check in seconds.
# Exit status: non-zero when the build fails or any fixture check fails.
set -uo pipefail
cd "$(dirname "$0")/.."
T=${T:-500}
B=${B:-16}
NS=${NS:-"512 4096 16384"}
out=$(mktemp -d)
status=0

libs=$(python3 - <<'PY' 2>/dev/null
import importlib, os
dirs = []
for mod in ("nvidia.cuda_nvrtc", "nvidia.cublas", "nvidia.cuda_runtime"):
    try:
        m = importlib.import_module(mod)
        dirs += [os.path.join(p, "lib") for p in m.__path__]
    except ImportError:
        pass
print(":".join(d for d in dirs if os.path.isdir(d)))
PY
)
export LD_LIBRARY_PATH="${libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# Builds the tests that need a GPU (the fixture suite's cuda module); set for every build
# here, so that the binaries and the tests share one compilation.
export RUSTFLAGS="--cfg snnc_gpu"
echo "== LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true

if [ -n "${PREBUILT:-}" ]; then
  snnc=$PREBUILT/snnc
  bench_layer=$PREBUILT/bench_layer
else
  features=cuda
  if grep -q '^wgpu *=' crates/snnc-cli/Cargo.toml; then
    features="cuda wgpu"
  fi
  echo "== cargo build --release --features \"$features\""
  if ! cargo build --release -p snnc-cli --bin snnc --features "$features" 2>&1 | tail -3; then
    echo "build of snnc failed"; exit 1
  fi
  if ! cargo build --release -p snnc-cuda --features cuda --example bench_layer 2>&1 | tail -3; then
    echo "build of bench_layer failed"; exit 1
  fi
  snnc=target/release/snnc
  bench_layer=target/release/examples/bench_layer
fi
[ -x "$snnc" ] && [ -x "$bench_layer" ] || { echo "no $snnc or $bench_layer"; exit 1; }

engines=cuda
if "$snnc" check --help | grep -q wgpu; then engines="cuda wgpu"; fi
engines=${ENGINES:-$engines}
check_timeout=${CHECK_TIMEOUT:-120}
for engine in $engines; do
  echo "== snnc check --engine $engine on every fixture"
  for m in models/fixtures/*/model.onnx models/family/*/model.onnx models/leaky/*/model.onnx \
      models/cnn/*/model.onnx models/text/where_reset.snn models/text/lif.snn; do
    if ! timeout "$check_timeout" "$snnc" check "$m" --engine "$engine" 2>&1 | sed 's/^/  /'; then
      echo "  FAILED: $m ($engine)"; status=1
    fi
  done
done

# The shared fixture suite (tests/fixtures.rs) on the GPU engines: every fixture's outputs and
# gradients against the library's own, through the engines' common interface.
if [ -z "${PREBUILT:-}" ]; then
  filters=""
  for engine in $engines; do filters="$filters $engine::"; done
  echo "== cargo test --test fixtures --$filters"
  # shellcheck disable=SC2086
  timeout 480 cargo test --release -p snnc-cli --features "$features" --test fixtures -- \
    $filters > "$out/suite.log" 2>&1
  suite=$?
  grep -E "^test |test result|panicked" "$out/suite.log" | sed 's/^/  /'
  if [ $suite -ne 0 ]; then
    echo "  FAILED: the fixture suite (exit $suite)"; status=1
  fi
fi

# The fixtures' inputs are spikes, so the checks above take the event-driven kernels; these
# take the dense alternatives (real-valued input to the first Linear: dense GEMM and dW).
if [[ " $engines " == *" cuda "* ]]; then
  echo "== snnc check --engine cuda with real-valued inputs (dense paths)"
  python3 - "$out" <<'PY'
# .npy files of f32[T, 2, 6] in [0, 0.8), written without numpy.
import array, random, sys
random.seed(7)
for t in (8, 32):
    head = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, 2, 6), }" % t
    head += " " * (63 - (10 + len(head)) % 64) + "\n"
    data = array.array("f", (0.8 * random.random() for _ in range(t * 12)))
    with open(f"{sys.argv[1]}/x_{t}.npy", "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + len(head).to_bytes(2, "little") + head.encode())
        f.write(data.tobytes())
PY
  for case in ff_t8:8 ff_t32:32 seed_order_t8:8; do
    m=${case%%:*}; t=${case##*:}
    for sg in super:100 tanh:2; do
      if ! timeout "$check_timeout" "$snnc" check "models/fixtures/$m/model.onnx" --input "x=$out/x_$t.npy" \
          --engine cuda --surrogate "$sg" 2>&1 | sed 's/^/  /'; then
        echo "  FAILED: $m with real-valued x ($sg)"; status=1
      fi
    done
  done
fi

echo "== benchmark: Linear(N,N) + IAF, T=$T B=$B"
# shellcheck disable=SC2086
timeout 240 "$bench_layer" "$T" "$B" $NS | tee "$out/snnc.jsonl" || status=1
# shellcheck disable=SC2086
timeout 240 python3 scripts/bench_torch.py "$T" "$B" $NS | tee "$out/torch.jsonl" || status=1
python3 - "$out/snnc.jsonl" "$out/torch.jsonl" <<'PY'
import json, sys
rows = {}
for path in sys.argv[1:]:
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            r = json.loads(line)
            rows.setdefault(r["n"], {})[r["impl"]] = r
print()
print(f"{'N':>6} | {'snnc fwd ms':>11} {'torch fwd ms':>12} {'speedup':>7} | "
      f"{'snnc f+b ms':>11} {'torch f+b ms':>12} {'speedup':>7}")
for n in sorted(rows):
    s, t = rows[n].get("snnc-cuda", {}), rows[n].get("torch-eager", {})
    def cell(r, k):
        return f"{r[k]:.3f}" if k in r else "-"
    def ratio(k):
        return f"{t[k] / s[k]:.1f}x" if k in s and k in t and s[k] > 0 else "-"
    print(f"{n:>6} | {cell(s, 'fwd_ms'):>11} {cell(t, 'fwd_ms'):>12} {ratio('fwd_ms'):>7} | "
          f"{cell(s, 'fwdbwd_ms'):>11} {cell(t, 'fwdbwd_ms'):>12} {ratio('fwdbwd_ms'):>7}")
PY
rm -rf "$out"
exit $status
