#!/usr/bin/env bash
# Installs what the test suite needs when it is missing, and exports the environment it runs
# in. Source it (`. scripts/setup.sh`) so that the exports reach the caller; scripts/test.sh and
# .ci/run do. Needs root (or sudo) for apt-get, and PyPI for NVRTC.
#
# - Graphviz's `dot`: the `inspect --dot` tests render the graph.
# - Mesa's lavapipe (software Vulkan): the wgpu engine's tests run on it without a GPU.
# - NVRTC (CUDA's runtime compiler, from PyPI; no GPU needed): the CUDA renderer's compile tests.
# - The `nir` Python package (pinned as in models/requirements.txt; it brings numpy and h5py):
#   tests/nir_export.rs reads snnc's exported .nir files with `nir.read`.

snnc_setup() {
  local need_apt=() sudo=()
  command -v dot >/dev/null 2>&1 || need_apt+=(graphviz)
  local p
  for p in mesa-vulkan-drivers libvulkan1; do
    dpkg -s "$p" >/dev/null 2>&1 || need_apt+=("$p")
  done
  if [ ${#need_apt[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    echo "== installing ${need_apt[*]}" >&2
    "${sudo[@]}" apt-get update -qq || return 1
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${need_apt[@]}" >/dev/null \
      || return 1
  fi

  if ! python3 -c 'import nvidia.cuda_nvrtc' 2>/dev/null; then
    echo "== installing NVRTC from PyPI (nvidia-cuda-nvrtc-cu12)" >&2
    python3 -m pip install -q nvidia-cuda-nvrtc-cu12 || return 1
  fi
  if ! python3 -c 'import nir, h5py, numpy' 2>/dev/null; then
    echo "== installing nir==1.0.8 from PyPI" >&2
    python3 -m pip install -q nir==1.0.8 || return 1
  fi
  local nvrtc_lib
  nvrtc_lib=$(python3 -c 'import nvidia.cuda_nvrtc as m; print(m.__path__[0])')/lib || return 1
  case ":${LD_LIBRARY_PATH:-}:" in
    *":$nvrtc_lib:"*) ;;
    *) export LD_LIBRARY_PATH="$nvrtc_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ;;
  esac

  export WGPU_BACKEND="${WGPU_BACKEND:-vulkan}"
  export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
}

snnc_setup
