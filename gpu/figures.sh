#!/usr/bin/env bash
# The GPU figures of docs/BENCHMARKS.md ("GPU figures") in one device call, run from a kit made
# by `gpu/kit.sh KIT --tests --pack`: `bash KIT/figures.sh OUTDIR`. Each step is time-boxed so
# that the call ends inside the device's 10-minute limit; everything goes to OUTDIR/all.log.
set -uo pipefail
KIT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:?usage: figures.sh OUTDIR}"
mkdir -p "$OUT"
L="$OUT/all.log"; S=$(date +%s)
export HOOKLINE_THREADS="${HOOKLINE_THREADS:-8}"
RUN="$KIT/run"
left() { echo $(( ${BUDGET:-530} - $(date +%s) + S )); }
mark() { echo "T $1 $(( $(date +%s) - S )) s" | tee -a "$L"; }
quiet() { grep -v ' INFO ' | grep -v '%|'; }
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; date -u; } | tee "$L"
# 1. The device test class on the GPU, and the plots without a font manager.
timeout 120 "$RUN" tests dev.hookline.engine.device.DevicePiecesTest dev.hookline.engine.bench.PlotsTest 2>&1 | quiet | tail -32 | tee -a "$L"; mark tests
# 2. The worker's compute from local files: tiny model pretrained here, 20 edits, bundle back.
timeout 60 "$RUN" hookline pretrain --world tiny --out /tmp/tiny 2>&1 | quiet | tail -4 | tee -a "$L"
timeout 90 "$RUN" worker run-local --model /tmp/tiny --cases /tmp/tiny/world/counterfact.json --edits 20 --out /tmp/tb \
    > /tmp/tb-completion.json 2> >(quiet | tail -5 >> "$L"); cat /tmp/tb-completion.json | tee -a "$L"
tar cf "$OUT/local.tar" -C /tmp tiny tb tb-completion.json; mark run-local
# 3. GPT2-XL shape: statistics pass, a batch of 100 edits, evaluation, inference per token.
timeout 170 "$RUN" hookline scale --statistics-lines 1000 --batches 2 --tokens 16 --out /tmp/scale 2>&1 | quiet | tee -a "$L"
cp /tmp/scale/scale.json "$OUT/" 2>/dev/null; mark scale
# 4. demo-d256x pretrained here, then the 5-method 1000-edit bench at batch 100.
timeout 120 "$RUN" hookline pretrain --world demo --preset demo-d256x --out /tmp/d256x 2>&1 | quiet | tail -6 | tee -a "$L"; mark pretrain
timeout "$(left)" "$RUN" hookline bench --model /tmp/d256x --data /tmp/d256x/world/counterfact.json \
    --methods coachhook-span-relation,coachhook-nohook,memit,coachhook,ft --edits 1000 --batch 100 \
    --curve-every 250 --curve-sample 100 --out /tmp/b100 2>&1 | quiet | tail -40 | tee -a "$L"
for f in report.md report.json metrics.png; do cp /tmp/b100/$f "$OUT/b100-$f" 2>/dev/null; done; mark bench
