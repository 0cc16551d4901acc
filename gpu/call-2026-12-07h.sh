#!/usr/bin/env bash
# Device call of the twenty-fifth session (2026-12-07), issue 29: the nearest-key methods' threshold on the issue's
# model (demo-d256x) below the range swept before (0.45-0.8). The DEV stream of the first draw (500 edits, batch
# 100, curve every 100 on 200 sampled: the budget of every earlier dev choice) sweeps codebook-nearest and
# alphaedit-shards over DEV_SWEEP; every draw's TEST stream (600 edits, no labels, batch 100) is edited once per
# method and served at each threshold of SWEEP after the fact (codebook-nearest's rows and keys do not depend on the
# threshold). Only the threshold the dev rule (scripts/sweep-choice.py) picks is a reported figure; the others show
# the trade. Carry the kit (KIT, default .gpu/kit4: gpu/kit.sh .gpu/kit4 --pack).
#   bash gpu/call-2026-12-07h.sh 'TAG:PRETRAIN-OPTIONS' ...     e.g. 's1:--seed 1' 'w7:--world-seed 7 --seed 1'
# AE_DEV / AE_TEST: AlphaEdit null-space thresholds benched on the dev stream of DEV / on every test stream.
# STATS: corpus lines of the key statistics C0 (default 1000, the engine's default); METHODS: the methods benched.
# Each draw pretrains demo-d256x into /tmp/TAG (the next draw's pretraining runs beside this draw's benches).
# Reports (JSON, markdown) to $OUT/TAG.tar.
set -uo pipefail
KIT="${KIT:-.gpu/kit4}"; export HOOKLINE_THREADS=8; S=$(date +%s)
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
M=(--methods "${METHODS:-codebook-nearest,alphaedit-shards}" --stats-lines "${STATS:-1000}" --ultraedit-lr 1e-3)
SWEEP=(--sweep-thresholds "${SWEEP:-0.25,0.3,0.35,0.4,0.45}")
draws=("$@")
first="${draws[0]}"; pretrain "${first%%:*}" "${first#*:}"
for i in "${!draws[@]}"; do
  tag="${draws[$i]%%:*}"; mkdir -p "/tmp/r/$tag"; cp "/tmp/$tag/pretrain-report.json" "/tmp/r/$tag/pretrain.log" 2>/dev/null
  cat "/tmp/pre-$tag.log" >> "/tmp/r/$tag/pretrain.log" 2>/dev/null
  next=""; if (( i + 1 < ${#draws[@]} )); then n="${draws[$((i+1))]}"; pretrain "${n%%:*}" "${n#*:}" & next=$!; fi
  if [[ "${DEV:-}" == "$tag" ]]; then
    bench "$tag" dev counterfact-dev.json "${M[@]}" --sweep-thresholds "${DEV_SWEEP:-0.2,0.25,0.3,0.35,0.4,0.45,0.5}" \
        --edits 500 --batch 100 --curve-every 100 --curve-sample 200
  fi
  for ae in ${AE_DEV:-}; do # AlphaEdit's null-space threshold, three values on the dev stream (the budget it had)
    [[ "${DEV:-}" == "$tag" ]] && bench "$tag" dev-alphaedit-$ae counterfact-dev.json --methods alphaedit \
        --stats-lines "${STATS:-1000}" --alphaedit-threshold "$ae" --edits 500 --batch 100 --curve-every 100 --curve-sample 200
  done
  bench "$tag" test-b100 counterfact-test.json "${M[@]}" "${SWEEP[@]}" --edits 600 --batch 100 --curve-every 600
  for ae in ${AE_TEST:-}; do # AlphaEdit on the test stream at each dev value (the dev rule picks one after the call)
    bench "$tag" test-alphaedit-$ae counterfact-test.json --methods alphaedit --stats-lines "${STATS:-1000}" \
        --alphaedit-threshold "$ae" --edits 600 --batch 100 --curve-every 600
  done
  [[ -n "$next" ]] && wait "$next"
done
cp /tmp/pre-*.log "$OUT/" 2>/dev/null; t done
