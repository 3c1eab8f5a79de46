#!/usr/bin/env bash
# The table of docs/limits.md: every hostile input of
# crates/planner/examples/hostile.rs planned under the default limits, with
# the planning time the example measures and the peak RSS /usr/bin/time
# reports (the generated input included). Not a test; about 2 minutes.
#
#   bash bench/limits.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release -q -p wireplan --example hostile
bin=target/release/examples/hostile
rss=$(mktemp)
trap 'rm -f "$rss"' EXIT
echo "$(date -u +%Y-%m-%d), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start; release build. Command: \`bash bench/limits.sh\`."
echo
echo "| case | input | outcome | planning time | peak RSS |"
echo "|---|---:|---|---:|---:|"
for case in $("$bin" --list); do
  row=$(/usr/bin/time -f %M -o "$rss" "$bin" --row "$case")
  printf '%s %s MB |\n' "$row" "$(( $(tail -1 "$rss") / 1024 ))"
done
