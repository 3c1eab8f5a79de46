#!/usr/bin/env bash
# Seeds the fuzz corpora from the shared test vectors (idempotent):
#   corpus/parse_plan/  every descriptor document (*.json but the expected
#                       .plan.json, .report.json and .options.json files)
#   corpus/decode/      every committed binary plan (*.wpl), twice: as it is
#                       (first byte 0) and as a body to get a fresh header
#                       (first byte 1; see `decode` in src/lib.rs)
#   corpus/yaml/, corpus/toml/  the CLI's YAML and TOML fixtures, and every
#                       descriptor document above as YAML (JSON is YAML)
# Usage: bash fuzz/seed.sh   (from anywhere)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
vectors="$here/../tests/vectors"
mkdir -p "$here/corpus/parse_plan" "$here/corpus/decode"
n=0
while IFS= read -r -d '' f; do
  case "$f" in *.plan.json|*.report.json|*.options.json) continue ;; esac
  name="$(echo "${f#"$vectors"/}" | tr '/' '_')"
  cp "$f" "$here/corpus/parse_plan/$name"
  n=$((n + 1))
done < <(find "$vectors" -name '*.json' -print0 | sort -z)
m=0
while IFS= read -r -d '' f; do
  name="$(echo "${f#"$vectors"/}" | tr '/' '_')"
  { printf '\x00'; cat "$f"; } > "$here/corpus/decode/raw_$name"
  { printf '\x01'; tail -c +49 "$f"; } > "$here/corpus/decode/body_$name"
  m=$((m + 1))
done < <(find "$vectors" -name '*.wpl' -print0 | sort -z)
fixtures="$here/../crates/planner-cli/tests/fixtures"
mkdir -p "$here/corpus/yaml" "$here/corpus/toml"
y=0
for f in "$fixtures"/*.yaml "$fixtures"/*.yml "$here"/corpus/parse_plan/*; do
  [ -f "$f" ] || continue
  cp "$f" "$here/corpus/yaml/$(basename "$f")"
  y=$((y + 1))
done
t=0
for f in "$fixtures"/*.toml; do
  [ -f "$f" ] || continue
  cp "$f" "$here/corpus/toml/$(basename "$f")"
  t=$((t + 1))
done
echo "seeded $n descriptor documents, $m binary plans ($((2 * m)) decode inputs), $y YAML and $t TOML files"
