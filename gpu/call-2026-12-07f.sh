#!/usr/bin/env bash
# Device calls of the twenty-third session (2026-12-07), issue 29: the fair tuning of AlphaEdit and UltraEdit at
# 10,000 edits on the large world's DEV stream (world seed 20261206, model seed 1, batch 100, no labels, curve every
# 1,000 edits on 500 sampled edits: the budget and rule alphaedit-shards' threshold was chosen with), three values of
# each method's knob as at 500 demo edits (gpu/science.sh): ultraedit --ultraedit-lr 1e-3 / 1e-2 / 1e-1, alphaedit
# --alphaedit-threshold 2e-2 / 2e-1 / 1; and codebook-nearest (new this session) with a threshold sweep. Carry the kit
# (KIT=.gpu/kit2: made by `gpu/kit.sh .gpu/kit2 --pack` at the commit that adds codebook-nearest).
#   PACK=1 bash gpu/call-2026-12-07f.sh NAME 'METHOD OPTIONS' ...
# pretrains /tmp/large unless a warm machine has it (gpu/large-10k.sh call), with PACK=1 also returns the checkpoint
# (without its world) as large.tgz.part-*, then runs each quoted bench one after the other; the reports (JSON and
# markdown, no per-edit files: $OUT takes 8 files) go to $OUT/NAME.tar. SPLIT (default dev) picks the stream.
set -uo pipefail
name="${1:?NAME}"; shift
export SPLIT="${SPLIT:-dev}" CURVE_EVERY="${CURVE_EVERY:-1000}" CURVE_SAMPLE="${CURVE_SAMPLE:-500}" KIT="${KIT:-.gpu/kit}"
mkdir -p /tmp/runs
if [[ -n "${PACK:-}" && ! -f /tmp/large/pretrain-report.json ]]; then
  S=$(date +%s)
  "$KIT/run" hookline pretrain --world large --preset large --seed 1 --out /tmp/large > "$OUT/pretrain.log" 2>&1
  echo "pretrain rc=$? $(( $(date +%s) - S )) s" >> "$OUT/times.log"
  cp /tmp/large/pretrain-report.json "$OUT/"
  tar czf - -C /tmp --exclude=large/world --exclude=large/hookline-stats large | split -b 16000000 - "$OUT/large.tgz.part-"
fi
for spec in "$@"; do
  OUT=/tmp/runs bash gpu/large-10k.sh call "$spec"
  cat /tmp/runs/times.log >> "$OUT/times.log"; rm -f /tmp/runs/times.log /tmp/runs/edits-*.jsonl.gz
  (cd /tmp/runs && tar cf "$OUT/$name.tar" ./*.json ./*.md 2>/dev/null) # after every bench: a cut call keeps the finished ones
done
