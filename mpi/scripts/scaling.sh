#!/usr/bin/env bash
# The scaling table of mpi/README.md ("Scaling on this machine"): a Laplacian time step
# (periodic 3-D grid, halo exchange then Laplacian and update) on 1, 2 and 4 ranks; strong
# (256³ in all) and weak (192³ per rank). Usage: mpi/scripts/scaling.sh [STRONG_N] [WEAK_N] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/../.."
strong=${1:-256} weak=${2:-192} steps=${3:-10}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cargo build --release -p ndarray-gradient-mpi --example scaling
bin="${CARGO_TARGET_DIR:-target}/release/examples/scaling"
echo "| scaling | ranks | process grid | grid | computation ms | halo exchange ms | step ms | halo received per rank, MB | computation ns per point per rank |"
echo "|---|---:|---|---|---:|---:|---:|---:|---:|"
for ranks in 1 2 4; do mpirun --oversubscribe -n "$ranks" "$bin" strong "$strong" "$steps"; done
for ranks in 1 2 4; do mpirun --oversubscribe -n "$ranks" "$bin" weak "$weak" "$steps"; done
