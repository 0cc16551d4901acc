#!/usr/bin/env bash
# coachhook-nearest's dev choice on other draws (issue 29; docs/BENCHMARKS.md, seventeenth session), on the GPU
# machine, from a kit made by `gpu/kit.sh KIT --pack`:
#   bash gpu/nearest-replay.sh KIT OUTDIR PRETRAIN-ARGS...   e.g. "--seed 2", "--seed 3", "--world-seed 7 --seed 1"
# Pretrains demo-d256x with PRETRAIN-ARGS (about 75 s), then runs coachhook-nearest at its dev choice (lambda 5000,
# threshold 0.3, no labels) on the model's TEST stream, 600 edits, batch 100 and batch 10, and copies the reports.
# The other methods' figures on the same draws come from `gpu/science.sh KIT OUT replay gpu/selection.json ARGS`.
set -uo pipefail
KIT="$(cd "${1:?usage: nearest-replay.sh KIT OUTDIR PRETRAIN-ARGS...}" && pwd)"; OUT="${2:?OUTDIR}"; shift 2
mkdir -p "$OUT"; export HOOKLINE_THREADS="${HOOKLINE_THREADS:-8}"
tag="near$(echo "$*" | tr -cd 'a-z0-9')"; M="/tmp/$tag"
[[ -f "$M/model.safetensors" ]] || "$KIT/run" hookline pretrain --world demo --preset demo-d256x "$@" --out "$M" 2>&1 \
    | grep -v ' INFO ' | tail -4 | tee "$OUT/$tag-pretrain.log"
for b in 100 10; do
  "$KIT/run" hookline bench --model "$M" --data "$M/world/counterfact-test.json" --labels none \
      --methods coachhook-nearest --lambda 5000 --nearest-alpha 0.3 --edits 600 --batch "$b" --curve-every 600 \
      --out "/tmp/$tag-b$b" 2>&1 | grep -v ' INFO ' | grep -v '%|' | tail -12 | tee "$OUT/$tag-b$b.log"
  cp "/tmp/$tag-b$b/report.json" "$OUT/$tag-b$b.json" 2>/dev/null
done
