#!/usr/bin/env bash
# Device calls of the twenty-fourth session (2026-12-07), issue 29: codebook-nearest on the issue's own model
# (demo-d256x) against alphaedit-shards, AlphaEdit and UltraEdit, on the demo world's TEST stream (600 edits, no labels)
# at batch 100 and batch 10, every method at its dev choice (AlphaEdit 2e-2 and UltraEdit 1e-3: gpu/selection.json;
# alphaedit-shards 0.45 and codebook-nearest 0.5: their defaults), at batch 100 both nearest-key methods also served at
# other thresholds after the fact (SWEEP, default 0.45,0.55,0.6). Carry the kit (KIT, default .gpu/kit3: gpu/kit.sh .gpu/kit3 --pack).
#   bash gpu/call-2026-12-07g.sh 'TAG:PRETRAIN-OPTIONS' ...     e.g. 's1:--seed 1' 'w7:--world-seed 7 --seed 1'
# Each draw: pretrain demo-d256x into /tmp/TAG (the next draw's pretraining runs beside this draw's benches); DEV=TAG
# also runs the DEV stream (500 edits, batch 100, curve every 100 on 200 sampled: the budget of the demo96 dev choice)
# with both nearest-key methods swept over 0.45-0.8 on that draw first. Reports (JSON, markdown) to $OUT/TAG.tar.
set -uo pipefail
KIT="${KIT:-.gpu/kit3}"; export HOOKLINE_THREADS=8; S=$(date +%s)
quiet() { tr '\r' '\n' | grep -v -e ' INFO ' -e '%|' -e '^pretrain \['; }
t() { echo "$1 $(( $(date +%s) - S )) s" >> "$OUT/times.log"; }
pretrain() { # TAG OPTIONS
  [[ -f "/tmp/$1/pretrain-report.json" ]] && return
  # shellcheck disable=SC2086
  "$KIT/run" hookline pretrain --world demo --preset demo-d256x $2 --out "/tmp/$1" 2>&1 | quiet > "/tmp/pre-$1.log"
  t "pretrain $1 rc=${PIPESTATUS[0]}"
}
bench() { # TAG NAME DATA ARGS...
  local tag="$1" name="$2" data="$3"; shift 3
  "$KIT/run" hookline bench --model "/tmp/$tag" --data "/tmp/$tag/world/$data" --labels none "$@" --out "/tmp/r/$tag/$name" \
      2>&1 | quiet > "/tmp/r/$tag/$name.log"
  t "bench $tag $name rc=${PIPESTATUS[0]}"
  (cd /tmp/r && tar cf "$OUT/$tag.tar" "$tag"/*.log "$tag"/*/report.json "$tag"/*/report.md 2>/dev/null)
}
M=(--methods codebook-nearest,alphaedit-shards,alphaedit,ultraedit --alphaedit-threshold 2e-2 --ultraedit-lr 1e-3)
SWEEP=(--sweep-thresholds "${SWEEP:-0.45,0.55,0.6}") # batch 100 only
draws=("$@")
first="${draws[0]}"; pretrain "${first%%:*}" "${first#*:}"
for i in "${!draws[@]}"; do
  tag="${draws[$i]%%:*}"; mkdir -p "/tmp/r/$tag"; cp "/tmp/$tag/pretrain-report.json" "/tmp/r/$tag/pretrain.log" 2>/dev/null
  cat "/tmp/pre-$tag.log" >> "/tmp/r/$tag/pretrain.log" 2>/dev/null
  next=""; if (( i + 1 < ${#draws[@]} )); then n="${draws[$((i+1))]}"; pretrain "${n%%:*}" "${n#*:}" & next=$!; fi
  if [[ "${DEV:-}" == "$tag" ]]; then
    bench "$tag" dev counterfact-dev.json --methods codebook-nearest,alphaedit-shards \
        --sweep-thresholds 0.45,0.5,0.55,0.6,0.65,0.7,0.75,0.8 --edits 500 --batch 100 --curve-every 100 --curve-sample 200
  fi
  bench "$tag" test-b100 counterfact-test.json "${M[@]}" "${SWEEP[@]}" --edits 600 --batch 100 --curve-every 600
  bench "$tag" test-b10 counterfact-test.json "${M[@]}" --edits 600 --batch 10 --curve-every 600
  [[ -n "$next" ]] && wait "$next"
done
cp /tmp/pre-*.log "$OUT/" 2>/dev/null; t done
