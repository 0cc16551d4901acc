#!/usr/bin/env bash
# Device calls of the twenty-sixth session (2026-12-07), issue 29. Carry the kit (KIT, default .gpu/kit6: kit5 plus
# the engine's diagnostics as test classes and `run main`).
#   bash gpu/call-2026-12-07i.sh large WORLD_SEED SPLIT 'OPTIONS'
#       the `large` preset's model of that world (model seed 1) pretrained into /tmp/large-WORLD_SEED unless a warm
#       machine has it, then codebook-nearest on 10,000 edits of SPLIT (dev or test), batch 100, no labels, curve
#       every 2000 on 200 sampled, C0 over the default lines (10,240 at d_ff 4096), OPTIONS appended (e.g. the
#       threshold sweep); report, markdown and per-edit results (gzip) to $OUT as large-WORLD_SEED-SPLIT.*
#       (METHOD=codebook-subject runs that method instead, its files tagged large-WORLD_SEED-SPLIT-codebook-subject.*)
#   bash gpu/call-2026-12-07i.sh diag TAG 'PRETRAIN-OPTIONS'
#       demo-d256x pretrained into /tmp/TAG; the test stream's first 600 edits at batch 100, no labels: the bench at
#       threshold 0.2 (the preset's dev choice) with the after-the-fact sweep and per-edit results, then the same
#       edits as a bundle (`hookline edit`) and diag.ScopeLeak on it (every prompt's best score, position, nearest
#       edit and top five; negatives from each edit's template); to $OUT as TAG-*.
# Several modes may run in one call as separate background jobs; each appends to $OUT/times.log.
set -uo pipefail
KIT="${KIT:-.gpu/kit6}"; export HOOKLINE_THREADS="${HOOKLINE_THREADS:-8}"; S=$(date +%s)
t() { echo "$1 $(( $(date +%s) - S )) s" >> "$OUT/times.log"; }
quiet() { tr '\r' '\n' | grep -v -e ' INFO ' -e '%|' -e '^pretrain \[' -e '^bench .*\[' | tail -40; }
case "${1:?usage: call-2026-12-07i.sh large WORLD_SEED SPLIT 'OPTIONS' | diag TAG 'PRETRAIN-OPTIONS'}" in
  large)
    w="$2"; split="$3"; opts="${4:-}"; m="/tmp/large-$w"; method="${METHOD:-codebook-nearest}"
    tag="large-$w-$split"; [[ $method == codebook-nearest ]] || tag="$tag-$method"
    if [[ ! -f "$m/pretrain-report.json" ]]; then
      "$KIT/run" hookline pretrain --world large --world-seed "$w" --preset large --seed 1 --out "$m" 2>&1 | quiet \
          > "$OUT/pretrain-large-$w.log"
      t "pretrain large $w rc=${PIPESTATUS[0]}"
    fi
    # shellcheck disable=SC2086 # opts are options
    "$KIT/run" hookline bench --model "$m" --data "$m/world/counterfact-$split.json" --labels none \
        --methods "$method" $opts --edits 10000 --batch 100 --curve-every 2000 --curve-sample 200 \
        --out "/tmp/$tag" 2>&1 | quiet > "/tmp/$tag.log"
    t "bench $tag rc=${PIPESTATUS[0]}"
    cp "/tmp/$tag/report.json" "$OUT/$tag.json"; cat "/tmp/$tag/report.md" "/tmp/$tag.log" > "$OUT/$tag.md"
    gzip -c "/tmp/$tag"/edits-*.jsonl > "$OUT/$tag-edits.jsonl.gz" ;;
  diag)
    tag="$2"; m="/tmp/$tag"
    if [[ ! -f "$m/pretrain-report.json" ]]; then
      # shellcheck disable=SC2086
      "$KIT/run" hookline pretrain --world demo --preset demo-d256x $3 --out "$m" 2>&1 | quiet > "$OUT/$tag-pretrain.log"
      t "pretrain $tag rc=${PIPESTATUS[0]}"
      cp "$m/pretrain-report.json" "$OUT/$tag-pretrain.json"
    fi
    "$KIT/run" hookline bench --model "$m" --data "$m/world/counterfact-test.json" --labels none \
        --methods codebook-nearest --nearest-alpha 0.2 --sweep-thresholds 0.1,0.15,0.2,0.25,0.3,0.35,0.4,0.5 \
        --edits 600 --batch 100 --curve-every 600 --out "/tmp/$tag-test" 2>&1 | quiet > "/tmp/$tag-test.log"
    t "bench $tag rc=${PIPESTATUS[0]}"
    cp "/tmp/$tag-test/report.json" "$OUT/$tag-test.json"; cat "/tmp/$tag-test/report.md" "/tmp/$tag-test.log" > "$OUT/$tag-test.md"
    gzip -c "/tmp/$tag-test"/edits-*.jsonl > "$OUT/$tag-test-edits.jsonl.gz"
    "$KIT/run" hookline edit --model "$m" --data "$m/world/counterfact-test.json" --method codebook-nearest \
        --nearest-alpha 0.2 --edits 600 --batch 100 --out "/tmp/$tag-b" 2>&1 | quiet > "/tmp/$tag-edit.log"
    t "edit $tag rc=${PIPESTATUS[0]}"
    "$KIT/run" main dev.hookline.engine.diag.ScopeLeak "$m" "$m/world/counterfact-test.json" 600 100 0 2 \
        "/tmp/$tag-b" "/tmp/$tag-leak.jsonl" 2>&1 | quiet > "$OUT/$tag-leak.log"
    t "leak $tag rc=${PIPESTATUS[0]}"
    gzip -c "/tmp/$tag-leak.jsonl" > "$OUT/$tag-leak.jsonl.gz" ;;
  *) echo "unknown mode $1" >&2; exit 2 ;;
esac
