#!/usr/bin/env bash
# Device calls of the twenty-seventh session (2026-12-07), issue 29: codebook-subject on the GPU draws of demo-d256x.
# Carry the kit (KIT, default .gpu/kit8: the engine with codebook-subject, test classes, `run main`).
#   [DRAWS='g3 g1'] bash gpu/call-2026-12-07j.sh draws ALPHA
#       pretrains the same four draws (or those DRAWS names) in parallel and benches each draw's TEST stream at ALPHA as soon as that draw is
#       pretrained (600 edits, batch 100, no labels, all scored); ALPHA is a dev choice made elsewhere (the CPU seed-1
#       draw's dev stream, scripts/sweep-choice.py). Then, if under 300 s have passed, seed 1's dev sweep as in
#       `subject` (a check of the choice on a GPU draw, not used for the test runs).
#   bash gpu/call-2026-12-07j.sh subject
#       pretrains (in parallel, unless a warm machine has them) demo-d256x model seeds 1, 2, 3 of the demo world and
#       model seed 1 of world seed 7 into /tmp/g1 /tmp/g2 /tmp/g3 /tmp/w7; chooses codebook-subject's threshold on
#       seed 1's DEV stream with the budget and rule of codebook-nearest's 0.2 (500 edits, batch 100, curve every 100
#       on 200 sampled, edited at 0.1 and served at each swept threshold; scripts/sweep-choice.py); then the TEST
#       stream of every draw at that threshold, 600 edits, all scored. Reports, markdown and per-edit results to
#       $OUT; the choice to $OUT/choice.txt.
set -uo pipefail
KIT="${KIT:-.gpu/kit8}"; S=$(date +%s)
t() { echo "$1 $(( $(date +%s) - S )) s" >> "$OUT/times.log"; }
quiet() { tr '\r' '\n' | grep -v -e ' INFO ' -e '%|' -e '^pretrain \[' -e '^bench .*\[' | tail -40; }
pretrain() { # TAG OPTIONS
  local m="/tmp/$1"
  [[ -f "$m/pretrain-report.json" ]] && return 0
  # shellcheck disable=SC2086
  HOOKLINE_THREADS=4 "$KIT/run" hookline pretrain --world demo --preset demo-d256x $2 --out "$m" 2>&1 | quiet > "$OUT/pretrain-$1.log"
  t "pretrain $1 rc=${PIPESTATUS[0]}"; cp "$m/pretrain-report.json" "$OUT/pretrain-$1.json"
}
bench() { # TAG SPLIT ALPHA OPTIONS
  local m="/tmp/$1" tag="$1-$2"
  # shellcheck disable=SC2086
  HOOKLINE_THREADS=4 "$KIT/run" hookline bench --model "$m" --data "$m/world/counterfact-$2.json" --labels none \
      --methods codebook-subject --nearest-alpha "$3" $4 --batch 100 --out "/tmp/$tag" 2>&1 | quiet > "/tmp/$tag.log"
  t "bench $tag rc=${PIPESTATUS[0]}"
  cp "/tmp/$tag/report.json" "$OUT/$tag.json"; cat "/tmp/$tag/report.md" "/tmp/$tag.log" > "$OUT/$tag.md"
  gzip -c "/tmp/$tag"/edits-*.jsonl > "$OUT/$tag-edits.jsonl.gz"
}
draw() { # TAG PRETRAIN-OPTIONS ALPHA
  pretrain "$1" "$2"; bench "$1" test "$3" "--edits 600 --curve-every 600 --curve-sample 600"
}
case "${1:?usage: call-2026-12-07j.sh draws ALPHA | subject}" in
  draws)
    declare -A opts=([g1]="--seed 1" [g2]="--seed 2" [g3]="--seed 3" [w7]="--world-seed 7 --seed 1")
    for g in ${DRAWS:-g3 g1 g2 w7}; do draw "$g" "${opts[$g]}" "$2" & done
    wait
    if (( $(date +%s) - S < 300 )); then
      bench g1 dev 0.1 "--sweep-thresholds 0.02,0.05,0.1,0.15,0.2,0.3,0.4 --edits 500 --curve-every 100 --curve-sample 200"
      python3 scripts/sweep-choice.py codebook-subject "$OUT/g1-dev.json" > "$OUT/choice.txt"
    fi ;;
  subject)
    pretrain g1 "--seed 1" & p1=$!; pretrain g2 "--seed 2" & pretrain g3 "--seed 3" & pretrain w7 "--world-seed 7 --seed 1" &
    wait "$p1"
    bench g1 dev 0.1 "--sweep-thresholds 0.02,0.05,0.1,0.15,0.2,0.3,0.4 --edits 500 --curve-every 100 --curve-sample 200"
    python3 scripts/sweep-choice.py codebook-subject "$OUT/g1-dev.json" > "$OUT/choice.txt"
    choice=$(awk '/^choice/ {print $2}' "$OUT/choice.txt")
    wait
    for g in g1 g2 g3 w7; do bench "$g" test "$choice" "--edits 600 --curve-every 600 --curve-sample 600" & done
    wait ;;
  *) echo "unknown mode $1" >&2; exit 2 ;;
esac
