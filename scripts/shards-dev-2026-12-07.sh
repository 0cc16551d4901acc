#!/usr/bin/env bash
# Dev check of alphaedit-shards (large world, DEV stream, model seed 1, 2000 edits, batch 100, no labels, layer 2,
# default 1000 edits per shard: two shards), against alphaedit-nearest's one delta on the same stream
# (scripts/layers-dev-2026-12-07.sh: 0.990 / 0.902 / 0.934 after 1,000 edits, 0.852 / 0.728 / 0.880 after 2,000).
# R holds large/: the GPU-trained `large` checkpoint, its world regenerated with `./hookline world --preset large`.
cd "$(dirname "$0")/.."; R="${R:-/work/runs32}"; OUT="${OUT:-/work/runs33}"; export HOOKLINE_THREADS=2
HL="${HL:-./hookline}"
$HL bench --model $R/large --data $R/large/world/counterfact-dev.json --labels none --methods alphaedit-shards \
    --edits 2000 --batch 100 --curve-every 1000 --curve-sample 200 --out $OUT/dev-large-shards > $OUT/dev-large-shards.log 2>&1
