#!/usr/bin/env bash
# The CPU side of issue 28's same-checkpoint comparison: the demo-d256x checkpoint pretrained on the GPU
# by gpu/call-2026-12-06b.sh (sent back as m1.tgz.part-*), the same two bench commands on this machine.
#   bash scripts/device-compare-cpu-2026-12-06.sh PARTS_DIR WORK_DIR
# then: python3 scripts/device-compare.py GPU_RES/e100-b10.json WORK_DIR/e100-b10 (and b100).
set -euo pipefail
PARTS="${1:?PARTS_DIR}"; W="${2:?WORK_DIR}"; mkdir -p "$W"
[[ -d "$W/m1" ]] || cat "$PARTS"/m1.tgz.part-* | tar xzf - -C "$W"
ALL=coachhook-span-relation,coachhook,coachhook-nohook,memit,alphaedit,ultraedit,ft
for b in 10 100; do
  ./hookline bench --device cpu --model "$W/m1" --data "$W/m1/world/counterfact.json" --methods $ALL \
      --edits 100 --batch $b --curve-every 100 --out "$W/e100-b$b" 2>&1 | grep -v ' INFO ' | tail -30
done
