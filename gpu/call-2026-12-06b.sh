#!/usr/bin/env bash
# Device call 1 of the third GPU session (2026-12-06), issue 28: one demo-d256x checkpoint (model seed 1)
# pretrained there and sent back (for the same runs on the CPU), every method at its defaults on
# the first 100 edits at batch 10 and 100 (run alone: the s/batch figures), all 1000 edits at batch 100
# (alone), then all 1000 edits at batch 10 in three concurrent processes (metrics; their s/batch is
# shared); beside them issue 29's label study on this model's test stream (span-relation with given
# and 20 % wrong labels) and its batch-10 test runs. Run from the repo root with the kit in .gpu/kit: `timeout 575 bash gpu/call-2026-12-06b.sh`.
set -uo pipefail
K=.gpu/kit; R=/tmp/res; mkdir -p "$R"; S=$(date +%s)
ALL=coachhook-span-relation,coachhook,coachhook-nohook,memit,alphaedit,ultraedit,ft
mark() { echo "T $1 $(( $(date +%s) - S )) s" | tee -a "$R/calls.log"
          [[ -n "${OUT:-}" ]] && flock /tmp/res.lock sh -c "tar czf /tmp/res.tgz -C $R . && mv /tmp/res.tgz $OUT/res.tgz"; }
q() { grep -v ' INFO ' | grep -v '%|'; }
export HOOKLINE_THREADS=8
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee -a "$R/calls.log"
"$K/run" hookline pretrain --world demo --preset demo-d256x --seed 1 --out /tmp/m1 2>&1 | q | tail -8 > "$R/pretrain.log"
cp /tmp/m1/pretrain-report.json "$R/" 2>/dev/null
[[ -n "${OUT:-}" ]] && tar czf - -C /tmp --exclude=hookline-stats m1 | split -b 15M - "$OUT/m1.tgz.part-"
mark pretrain
b() { local tag="$1"; shift; "$K/run" hookline bench --model /tmp/m1 --data /tmp/m1/world/counterfact.json "$@" --out "/tmp/$tag" 2>&1 | q | tail -30 > "$R/$tag.log"
      cp "/tmp/$tag/report.json" "$R/$tag.json" 2>/dev/null; cp "/tmp/$tag/report.md" "$R/$tag.md" 2>/dev/null
      mkdir -p "$R/$tag-edits"; cp /tmp/$tag/edits-*.jsonl "$R/$tag-edits/" 2>/dev/null; }
b e100-b10 --methods $ALL --edits 100 --batch 10 --curve-every 100; mark e100-b10
b e100-b100 --methods $ALL --edits 100 --batch 100 --curve-every 100; mark e100-b100
b e1000-b100 --methods $ALL --edits 1000 --batch 100 --curve-every 1000; mark e1000-b100
export HOOKLINE_THREADS=5
( b e1000-b10-a --methods coachhook-span-relation --edits 1000 --batch 10 --curve-every 1000; mark b10-a
  b e1000-b10-d --methods ultraedit,ft --edits 1000 --batch 10 --curve-every 1000; mark b10-d ) &
( b e1000-b10-b --methods alphaedit --edits 1000 --batch 10 --curve-every 1000; mark b10-b
  b e1000-b10-e --methods coachhook-nohook --edits 1000 --batch 10 --curve-every 1000; mark b10-e ) &
( b e1000-b10-c --methods coachhook --edits 1000 --batch 10 --curve-every 1000; mark b10-c
  b e1000-b10-f --methods memit --edits 1000 --batch 10 --curve-every 1000; mark b10-f ) &
( LABELS=given ONLY=coachhook-span-relation bash gpu/science.sh "$K" "$R/m1-given" test gpu/selection.json /tmp/m1 m1given > /dev/null 2>&1; mark m1-given
  LABELS=wrong:0.2 ONLY=coachhook-span-relation bash gpu/science.sh "$K" "$R/m1-wrong" test gpu/selection.json /tmp/m1 m1wrong > /dev/null 2>&1; mark m1-wrong
  BATCH=10 ONLY=coachhook-span-relation,alphaedit bash gpu/science.sh "$K" "$R/m1-b10" test gpu/selection.json /tmp/m1 m1b10 > /dev/null 2>&1; mark m1-b10 ) &
( while sleep 30; do mark tick > /dev/null; done ) & TICK=$!
wait -n; wait -n; wait -n; wait -n; kill $TICK; mark done
