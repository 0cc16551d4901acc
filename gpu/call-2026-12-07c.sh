#!/usr/bin/env bash
# Device call 3 of the fourth GPU session (2026-12-07), issue 29, with the last ~300 s of device time: pretrain
# demo-d256x model seed 3 alone (a third draw; about 75 s on an H100) and send the checkpoint back (15 MB parts,
# without its world, which the seeds regenerate); it is edited on the CPU. Full log to $OUT/seed3-pretrain.log.
#   timeout 250 bash gpu/call-2026-12-07c.sh
set -uo pipefail
K=.gpu/kit; S=$(date +%s); export HOOKLINE_THREADS=8
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader > "$OUT/smi.log"
"$K/run" hookline pretrain --world demo --preset demo-d256x --seed 3 --out /tmp/seed3 > "$OUT/seed3-pretrain.log" 2>&1
echo "pretrain rc=$? $(( $(date +%s) - S )) s" >> "$OUT/smi.log"
cp /tmp/seed3/pretrain-report.json "$OUT/" 2>/dev/null
tar czf - -C /tmp --exclude=seed3/world --exclude=seed3/hookline-stats seed3 | split -b 15M - "$OUT/seed3.tgz.part-"
echo "packed $(( $(date +%s) - S )) s" >> "$OUT/smi.log"
