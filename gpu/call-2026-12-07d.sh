#!/usr/bin/env bash
# Device call 1 of the fifth GPU session (2026-12-07), issue 29: the third model draw (demo-d256x, model seed 3)
# and the second world seed (world seed 7, model seed 1), each pretrained on the GPU and benched there on its
# TEST stream (600 edits, no labels, every option the dev choice): alphaedit-nearest, alphaedit and ultraedit in one
# bench (their defaults are their dev choices), coachhook-nearest in another (its dev choice --lambda 5000,
# --nearest-alpha 0.3), batch 100 then batch 10. At most two processes at a time (one pretraining beside one bench;
# gpu/call-2026-12-07b.sh says why). Reports and logs go to $OUT/log.tgz (repacked after every step), the two
# checkpoints (without their worlds, which the seeds regenerate) to $OUT/NAME.tgz.part-* (15 MB parts; 8 files
# come back at most). Run from the repo root with the kit in .gpu/kit: timeout 585 bash gpu/call-2026-12-07d.sh
set -uo pipefail
K=.gpu/kit; R=/tmp/res; mkdir -p "$R"; S=$(date +%s)
export HOOKLINE_THREADS=8
pack() { tar czf /tmp/log.tgz -C $R . && mv /tmp/log.tgz "$OUT/log.tgz"; }
mark() { echo "T $1 $(( $(date +%s) - S )) s" | tee -a "$R/calls.log"; pack; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$R/smi.log"
pre() { # NAME ARGS...: pretrain demo-d256x into /tmp/NAME, then send the checkpoint without its world
  local name="$1"; shift
  "$K/run" hookline pretrain --world demo --preset demo-d256x "$@" --out "/tmp/$name" > "$R/$name-pretrain.log" 2>&1
  cp "/tmp/$name/pretrain-report.json" "$R/$name-pretrain.json" 2>/dev/null
  mark "pretrain-$name"
  [[ -f "/tmp/$name/model.safetensors" ]] && tar czf - -C /tmp --exclude="$name/world" --exclude="$name/hookline-stats" "$name" \
      | split -b 15M - "$OUT/$name.tgz.part-"
}
bench() { # MODEL BATCH TAG ARGS...: the model's test stream, 600 edits, no labels
  local m="$1" b="$2" tag="$3"; shift 3
  "$K/run" hookline bench --model "/tmp/$m" --data "/tmp/$m/world/counterfact-test.json" --labels none "$@" \
      --edits 600 --batch "$b" --curve-every 600 --out "/tmp/t-$m-$tag-b$b" 2>&1 | grep -v ' INFO ' | grep -v '%|' \
      > "$R/t-$m-$tag-b$b.log"
  for f in report.json report.md; do cp "/tmp/t-$m-$tag-b$b/$f" "$R/t-$m-$tag-b$b.${f#report.}" 2>/dev/null; done
  mark "t-$m-$tag-b$b"
}
AEN=(--methods alphaedit-nearest,alphaedit,ultraedit)
CHN=(--methods coachhook-nearest --lambda 5000 --nearest-alpha 0.3)
mark start
pre seed3 --seed 3
( pre w7 --world-seed 7 --seed 1 ) & P=$!
bench seed3 100 aen "${AEN[@]}"
bench seed3 100 chn "${CHN[@]}"
wait $P
bench w7 100 aen "${AEN[@]}"
bench w7 100 chn "${CHN[@]}"
bench seed3 10 aen --methods alphaedit-nearest
bench w7 10 aen --methods alphaedit-nearest
bench seed3 10 chn "${CHN[@]}"
bench w7 10 chn "${CHN[@]}"
mark done
