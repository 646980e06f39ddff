#!/usr/bin/env bash
# The test command of the README: installs what the tests need when it is missing
# (scripts/setup.sh), then runs every test with all features (the wgpu engine on lavapipe, the
# CUDA renderer's NVRTC compiles). Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
exec cargo test --workspace --all-features "$@"
