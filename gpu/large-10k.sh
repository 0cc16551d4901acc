#!/usr/bin/env bash
# The 10,000-edit run of issue 29 on the `large` world, in device calls of at most ~575 s each (pretraining
# the large preset and one method's 10,000-edit bench do not fit one call together). Run from the repo root
# with the kit in .gpu/kit (gpu/kit.sh .gpu/kit --pack: 31 MB without --tests, so a 30 MB checkpoint fits
# beside it in the 64 MiB a call carries).
#   bash gpu/large-10k.sh pretrain          (call 1) pretrain --world large --preset large --seed 1 into
#                                           /tmp/large; the checkpoint without its world (regenerated from
#                                           the seed) to $OUT as large.tgz.part-* (15 MB parts)
#   then here: mkdir -p .gpu/large && cp FILES_AT/large.tgz.part-* .gpu/large/
#   bash gpu/large-10k.sh bench METHOD [OPTIONS...]
#                                           (calls 2..) carry [".gpu"]; unpack the checkpoint, regenerate its
#                                           world, run METHOD on 10,000 test-stream edits at batch 100, no
#                                           labels, curve every 2000 edits (200 sampled), report to $OUT
# The options of each method are its dev choice (gpu/selection.json; e.g. coachhook-span-relation
# "--lambda 5000 --span-relation-alpha 0.8", alphaedit "--alphaedit-threshold 2e-2").
set -euo pipefail
K=.gpu/kit; OUT="${OUT:-/tmp/out}"; mkdir -p "$OUT"
export HOOKLINE_THREADS="${HOOKLINE_THREADS:-8}"
case "${1:?usage: large-10k.sh pretrain | bench METHOD [OPTIONS...]}" in
  pretrain)
    "$K/run" hookline pretrain --world large --preset large --seed 1 --out /tmp/large 2>&1 | grep -v ' INFO ' | tail -4 \
        | tee "$OUT/pretrain.log"
    cp /tmp/large/pretrain-report.json "$OUT/"
    tar czf - -C /tmp --exclude=large/world --exclude=large/hookline-stats large | split -b 15M - "$OUT/large.tgz.part-" ;;
  bench)
    method="${2:?METHOD}"; shift 2
    [[ -d /tmp/large ]] || cat .gpu/large/large.tgz.part-* | tar xzf - -C /tmp
    [[ -f /tmp/large/world/counterfact-test.json ]] || "$K/run" hookline world --preset large --out /tmp/large/world
    "$K/run" hookline bench --model /tmp/large --data /tmp/large/world/counterfact-test.json --labels none \
        --methods "$method" "$@" --edits 10000 --batch 100 --curve-every 2000 --curve-sample 200 \
        --out "/tmp/large-$method" 2>&1 | grep -v ' INFO ' | grep -v '%|' | tail -30 | tee "$OUT/bench-$method.log"
    cp "/tmp/large-$method/report.json" "$OUT/large-$method.json"
    cp "/tmp/large-$method/report.md" "$OUT/large-$method.md" ;;
  *) echo "large-10k: unknown stage $1" >&2; exit 2 ;;
esac
