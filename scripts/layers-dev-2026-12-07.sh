#!/usr/bin/env bash
# Dev study (large world, DEV stream, model seed 1, 2000 edits, batch 100, no labels): alphaedit-nearest on
# layer 2 (its default) against layers 0,1,2 (residual spread over three layers), 2-core CPU.
# R holds large/: the GPU-trained `large` checkpoint (gpu/large-10k.sh pretrain), its world regenerated with
# `./hookline world --preset large --out $R/large/world`.
cd "$(dirname "$0")/.."; R="${R:-/work/runs32}"; export HOOKLINE_THREADS=2
for L in 2 0,1,2; do
  ./hookline bench --model $R/large --data $R/large/world/counterfact-dev.json --labels none --methods alphaedit-nearest \
      --layers $L --edits 2000 --batch 100 --curve-every 1000 --curve-sample 200 --out $R/dev-large-L${L//,/} > $R/dev-large-L${L//,/}.log 2>&1
done
