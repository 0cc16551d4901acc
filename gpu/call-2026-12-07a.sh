#!/usr/bin/env bash
# Device call 1 of the fourth GPU session (2026-12-07), issue 29, four concurrent processes:
#   L:  pretrain the `large` preset (model seed 1) for the 10,000-edit run; the checkpoint (without its
#       world, regenerated from the seed) to $OUT as large.tgz.part-* (gpu/large-10k.sh pretrain)
#   s2, s3, w7: coachhook-nearest at its dev choice on demo-d256x model seeds 2 and 3 and on world seed 7
#       (model seed 1), batch 100 and 10 (gpu/nearest-replay.sh); on seed 3 also span-relation again (its
#       scope never fired there before the whitening fix)
#   alphaedit-nearest (new): its dev sweep on model seed 1 (pretrained here), then its dev choice on the test
#       streams of seed 1, 2, 3 and world 7 (gpu/aen-replay.sh)
#   after the large pretraining: coachhook-nearest on 10,000 test edits of the large world, batch 100
# Quality figures only (the processes share the GPU). Run from the repo root with the kit in .gpu/kit:
#   timeout 575 bash gpu/call-2026-12-07a.sh
set -uo pipefail
K=.gpu/kit; R=/tmp/res; mkdir -p "$R"; S=$(date +%s)
export HOOKLINE_THREADS=3
pack() { [[ -n "${OUT:-}" ]] && flock /tmp/res.lock sh -c "tar czf /tmp/res.tgz -C $R . && mv /tmp/res.tgz $OUT/res.tgz"; }
mark() { echo "T $1 $(( $(date +%s) - S )) s" | tee -a "$R/calls.log"; pack; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee -a "$R/calls.log"
( while sleep 30; do pack; done ) & PACKER=$!
( OUT=/tmp/largeout bash gpu/large-10k.sh pretrain > "$R/large.out" 2>&1
  mkdir -p "$R/large" "$OUT/large"; cp /tmp/largeout/*.log /tmp/largeout/*.json "$R/large/" 2>/dev/null
  mv /tmp/largeout/large.tgz.part-* "$OUT/large/" 2>/dev/null; mark large
  OUT=$R/l10k bash gpu/large-10k.sh bench coachhook-nearest --lambda 5000 --nearest-alpha 0.3 > "$R/l10k.out" 2>&1
  mark large-10k-nearest ) &
( "$K/run" hookline pretrain --world demo --preset demo-d256x --seed 1 --out /tmp/m1 2>&1 | grep -v ' INFO ' | tail -4 > "$R/m1-pretrain.log"
  cp /tmp/m1/pretrain-report.json "$R/m1-pretrain.json"; mark m1
  bash gpu/aen-replay.sh "$K" "$R/aen-m1" tune /tmp/m1 m1 > "$R/aen-m1.out" 2>&1; mark aen-m1 ) &
( bash gpu/nearest-replay.sh "$K" "$R/s2" --seed 2 > "$R/s2.out" 2>&1; mark s2
  bash gpu/aen-replay.sh "$K" "$R/aen-s2" test /tmp/nearseed2 s2 > "$R/aen-s2.out" 2>&1; mark aen-s2 ) &
( bash gpu/nearest-replay.sh "$K" "$R/s3" --seed 3 > "$R/s3.out" 2>&1; mark s3
  ONLY=coachhook-span-relation bash gpu/science.sh "$K" "$R/s3sr" test gpu/selection.json /tmp/nearseed3 s3sr > /dev/null 2>&1
  mark s3-span-relation
  bash gpu/aen-replay.sh "$K" "$R/aen-s3" test /tmp/nearseed3 s3 > "$R/aen-s3.out" 2>&1; mark aen-s3 ) &
( bash gpu/nearest-replay.sh "$K" "$R/w7" --world-seed 7 --seed 1 > "$R/w7.out" 2>&1; mark w7
  bash gpu/aen-replay.sh "$K" "$R/aen-w7" test /tmp/nearworldseed7seed1 w7 > "$R/aen-w7.out" 2>&1; mark aen-w7 ) &
wait -n; wait -n; wait -n; wait -n; wait -n; kill $PACKER 2>/dev/null; mark done
