#!/usr/bin/env bash
# Device call 2 of the third GPU session (2026-12-06), issue 29, three concurrent processes:
#   s3: model seed 3 again (the whitened span-relation scope and Cholesky preserve inverses), the dev
#       choice on its test stream; then the Llama-1B scale run again (its reliability was 0.01)
#   w7: a second world (world seed 7, model seed 1), the same
#   m1: model seed 1; span-relation with given and 20 % wrong labels, then span-relation and alphaedit
#       at batch 10, then the other methods at batch 10
# Quality figures only (the processes share the GPU, so s/batch is not a clean figure here).
# Run from the repo root with the kit in .gpu/kit: `timeout 575 bash gpu/call-2026-12-06c.sh`.
set -uo pipefail
K=.gpu/kit; R=/tmp/res; mkdir -p "$R"; S=$(date +%s)
export HOOKLINE_THREADS=5
pack() { [[ -n "${OUT:-}" ]] && flock /tmp/res.lock sh -c "tar czf /tmp/res.tgz -C $R . && mv /tmp/res.tgz $OUT/res.tgz"; }
mark() { echo "T $1 $(( $(date +%s) - S )) s" | tee -a "$R/calls.log"; pack; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee -a "$R/calls.log"
( while sleep 30; do pack; done ) & PACKER=$!
( bash gpu/science.sh "$K" "$R/s3" replay gpu/selection.json --seed 3 > "$R/s3.out" 2>&1; mark s3
  timeout 150 "$K/run" hookline scale --arch llama --statistics-lines 1000 --batches 2 --tokens 32 --out /tmp/scale-llama > "$R/scale-llama.log" 2>&1
  cp /tmp/scale-llama/scale.json "$R/scale-llama.json" 2>/dev/null; mark scale-llama ) &
( bash gpu/science.sh "$K" "$R/w7" replay gpu/selection.json --world-seed 7 --seed 1 > "$R/w7.out" 2>&1; mark w7 ) &
( "$K/run" hookline pretrain --world demo --preset demo-d256x --seed 1 --out /tmp/m1 2>&1 | grep -v ' INFO ' | tail -6 > "$R/m1-pretrain.log"
  cp /tmp/m1/pretrain-report.json "$R/m1-pretrain.json"; mark m1
  for lab in given wrong:0.2; do
    LABELS=$lab ONLY=coachhook-span-relation bash gpu/science.sh "$K" "$R/m1-${lab/:/-}" test gpu/selection.json /tmp/m1 "m1${lab/:/}" > /dev/null 2>&1; mark "m1-$lab"
  done
  BATCH=10 ONLY=coachhook-span-relation,alphaedit bash gpu/science.sh "$K" "$R/m1-b10" test gpu/selection.json /tmp/m1 m1b10 > /dev/null 2>&1; mark m1-b10
  BATCH=10 ONLY=coachhook,coachhook-nohook,memit,ultraedit,ft bash gpu/science.sh "$K" "$R/m1-b10r" test gpu/selection.json /tmp/m1 m1b10r > /dev/null 2>&1; mark m1-b10r ) &
wait -n; wait -n; wait -n; kill $PACKER 2>/dev/null; mark done
