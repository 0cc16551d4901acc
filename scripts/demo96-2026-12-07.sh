#!/usr/bin/env bash
# Twenty-third session (2026-12-07), issue 29, on the 2-core CPU while no GPU machine could be started:
# codebook-nearest against alphaedit-shards, AlphaEdit and UltraEdit on the demo world with the `demo` preset
# (d 96, d_ff 384: a model the CPU pretrains in 6 min), every method given the same dev budget.
#   bash scripts/demo96-2026-12-07.sh dev      on model seed 1's DEV stream (500 edits, batch 100, no labels, curve
#                                              every 100 on 200 sampled): AlphaEdit's three null-space thresholds and
#                                              UltraEdit's three learning rates (their values at 500 demo-d256x edits),
#                                              alphaedit-shards' threshold sweep (codebook-nearest's: run separately)
#   bash scripts/demo96-2026-12-07.sh models   pretrains model seeds 2 and 3 and world seed 7 (model seed 1)
#   bash scripts/demo96-2026-12-07.sh test 'METHOD OPTIONS' ...   each on the TEST streams of the four draws,
#                                              600 edits, batch 100 (BATCH=10: batch 10), no labels
# R holds the checkpoints (demo96 = seed 1, made by `hookline pretrain --world demo --preset demo --seed 1`).
set -uo pipefail
cd "$(dirname "$0")/.."; R="${R:-/work/runs35}"; export HOOKLINE_THREADS=2
bench() { # model data name args...
  local model="$1" data="$2" name="$3"; shift 3
  ./hookline bench --model "$R/$model" --data "$R/$model/world/$data" --labels none "$@" --out "$R/$name" \
      > "$R/$name.log" 2>&1; echo "$name rc=$? $(date -u +%H:%M:%S)" >> "$R/demo96.times"
}
case "$1" in
  dev)
    D=(demo96 counterfact-dev.json); C=(--edits 500 --batch 100 --curve-every 100 --curve-sample 200)
    for t in 2e-2 2e-1 1; do bench "${D[@]}" "dev-alphaedit-$t" --methods alphaedit --alphaedit-threshold $t "${C[@]}"; done
    for lr in 1e-3 1e-2 1e-1; do bench "${D[@]}" "dev-ultraedit-$lr" --methods ultraedit --ultraedit-lr $lr "${C[@]}"; done
    bench "${D[@]}" dev-shards --methods alphaedit-shards "${C[@]}" --sweep-thresholds 0.5,0.55,0.6,0.65,0.7,0.75,0.8 ;;
  models)
    for s in 2 3; do
      ./hookline pretrain --world demo --preset demo --seed $s --out "$R/demo96-s$s" > "$R/demo96-s$s.log" 2>&1
      echo "pretrain seed $s rc=$? $(date -u +%H:%M:%S)" >> "$R/demo96.times"
    done
    ./hookline pretrain --world demo --world-seed 7 --preset demo --seed 1 --out "$R/demo96-w7" > "$R/demo96-w7.log" 2>&1
    echo "pretrain world 7 rc=$? $(date -u +%H:%M:%S)" >> "$R/demo96.times" ;;
  test)
    shift
    for spec in "$@"; do
      read -r method rest <<< "$spec"; tag="$(printf '%s' "$spec" | tr -c 'A-Za-z0-9._-' '_')"
      for m in demo96 demo96-s2 demo96-s3 demo96-w7; do
        # shellcheck disable=SC2086 # rest is the method's options
        bench "$m" counterfact-test.json "test-$m-$tag${BATCH:+-b$BATCH}" --methods "$method" $rest --edits 600 \
            --batch "${BATCH:-100}" --curve-every 600
      done
    done ;;
esac
