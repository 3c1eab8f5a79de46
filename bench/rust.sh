#!/usr/bin/env bash
# The core benchmark and the table of docs/rust.md: criterion runs
# crates/planner/benches/planner.rs (about 8 minutes), then
# bench/rust_table.py prints the table from criterion's estimates. Not a test.
#
#   bash bench/rust.sh            # every size
#   bash bench/rust.sh 10k        # only groups whose name matches
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
cargo bench -q -p wireplan --bench planner -- "${1:-}" >&2
python3 bench/rust_table.py --load "$load_before"
