#!/usr/bin/env bash
# Device call 2 of the fourth GPU session (2026-12-07), issue 29: pretraining only, one process at a time
# (call 1 ran five pretrainings at once and none finished in 575 s: small kernels from five processes
# time-slice the GPU). The checkpoints come back (15 MB parts) and are edited on the 2-core CPU:
#   1. demo-d256x, model seed 3 (a third draw)           -> $OUT/seed3.tgz.part-*
#   2. demo-d256x, world seed 7, model seed 1             -> $OUT/w7.tgz.part-*
#   3. the large preset, model seed 1 (10,000-edit world) -> $OUT/large.tgz.part-*, if it ends in time
# Full logs (INFO included) and nvidia-smi every 30 s go to $OUT/log.tgz. Run from the repo root with the kit
# in .gpu/kit: timeout 585 bash gpu/call-2026-12-07b.sh
set -uo pipefail
K=.gpu/kit; R=/tmp/res; mkdir -p "$R"; S=$(date +%s)
export HOOKLINE_THREADS=8
pack() { [[ -n "${OUT:-}" ]] && tar czf /tmp/log.tgz -C $R . && mv /tmp/log.tgz $OUT/log.tgz; }
mark() { echo "T $1 $(( $(date +%s) - S )) s" | tee -a "$R/calls.log"; pack; }
( while sleep 30; do nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader >> "$R/smi.log"; pack; done ) & PACKER=$!
pre() { # NAME ARGS...: pretrain into /tmp/NAME, send the checkpoint without its world (regenerated from the seeds)
  local name="$1"; shift
  "$K/run" hookline pretrain "$@" --out "/tmp/$name" > "$R/$name-pretrain.log" 2>&1
  cp "/tmp/$name/pretrain-report.json" "$R/$name-pretrain.json" 2>/dev/null
  [[ -f "/tmp/$name/model.safetensors" ]] && tar czf - -C /tmp --exclude="$name/world" --exclude="$name/hookline-stats" "$name" \
      | split -b 15M - "$OUT/$name.tgz.part-"
  mark "$name"
}
mark start
pre seed3 --world demo --preset demo-d256x --seed 3
pre w7 --world demo --preset demo-d256x --world-seed 7 --seed 1
pre large --world large --preset large --seed 1
kill $PACKER 2>/dev/null; mark done
