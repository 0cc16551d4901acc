#!/usr/bin/env bash
# Device call with the fifth GPU session's last ~300 s (2026-12-07), issue 29: a fourth demo-d256x draw (model seed 4),
# to see whether seed 3's low recall (0.81 after the preset's 10 epochs) is typical of the preset; then
# alphaedit-nearest (its defaults, the dev choice) on its test stream, 600 edits, batch 100, no labels. Reports to $OUT.
#   timeout 190 bash gpu/call-2026-12-07e.sh
set -uo pipefail
K=.gpu/kit; S=$(date +%s); export HOOKLINE_THREADS=8
"$K/run" hookline pretrain --world demo --preset demo-d256x --seed 4 --out /tmp/seed4 2>&1 | tr '\r' '\n' \
    | grep -v -e ' INFO ' -e '^pretrain \[' > "$OUT/seed4-pretrain.log"
cp /tmp/seed4/pretrain-report.json "$OUT/seed4-pretrain.json"; echo "pretrain $(( $(date +%s) - S )) s" >> "$OUT/times.log"
"$K/run" hookline bench --model /tmp/seed4 --data /tmp/seed4/world/counterfact-test.json --labels none \
    --methods alphaedit-nearest --edits 600 --batch 100 --curve-every 600 --out /tmp/t-seed4 2>&1 \
    | grep -v -e ' INFO ' -e '%|' > "$OUT/t-seed4-aen-b100.log"
cp /tmp/t-seed4/report.json "$OUT/t-seed4-aen-b100.json"; cp /tmp/t-seed4/report.md "$OUT/t-seed4-aen-b100.md"
echo "bench $(( $(date +%s) - S )) s" >> "$OUT/times.log"
