#!/usr/bin/env bash
# The 10,000-edit run of issue 29 on the `large` world, in device calls of at most ~575 s each. Run from the
# repo root with the kit in .gpu/kit (gpu/kit.sh .gpu/kit --pack: 31 MB without --tests). `call` is the stage
# that works (KIT=DIR picks another kit than .gpu/kit): the checkpoint does not travel beside the kit (31 + 31 MB and the 11 MB tree are over a call's
# 64 MiB), so `pretrain` then `bench` with .gpu carried does not fit either.
#   bash gpu/large-10k.sh pretrain          (call 1) pretrain --world large --preset large --seed 1 into
#                                           /tmp/large; the checkpoint without its world (regenerated from
#                                           the seed) to $OUT as large.tgz.part-* (15 MB parts)
#   then here: mkdir -p .gpu/large && cp FILES_AT/large.tgz.part-* .gpu/large/
#   bash gpu/large-10k.sh bench METHOD [OPTIONS...]
#                                           (calls 2..) carry [".gpu"]; unpack the checkpoint, regenerate its
#                                           world, run METHOD on 10,000 test-stream edits at batch 100, no
#                                           labels, curve every 2000 edits (200 sampled), report to $OUT
#   bash gpu/large-10k.sh call 'METHOD [OPTIONS...]' ...
#                                           one call, nothing carried but the kit: pretrain into /tmp/large
#                                           (206-237 s on an H100), then each quoted method's bench ONE AFTER
#                                           THE OTHER (about 150 s each; two at once ran past a call's limit on
#                                           2026-12-07 and returned nothing), each report to $OUT as soon as it
#                                           ends. The checkpoint (31 MB) and the kit (31 MB) do not fit one
#                                           call's 64 MiB beside the tree, so every call pretrains again (same
#                                           seed, same weights: loss 0.8646 both times). Two benches per call.
#                                           A call that follows within the machine's idle time finds /tmp/large
#                                           (pretrain-report.json) and skips the pretraining.
# SPLIT=dev runs the dev stream instead (files named large-dev-METHOD...); CURVE_EVERY and CURVE_SAMPLE
# (default 2000 and 200) set the curve; a threshold sweep goes in the method's options (--sweep-thresholds).
# Each bench returns large-METHOD.json, large-METHOD.md (the report, then the bench's log) and
# edits-METHOD.jsonl.gz (per-edit results).
# The options of each method are its dev choice (gpu/selection.json; e.g. coachhook-span-relation
# "--lambda 5000 --span-relation-alpha 0.8", alphaedit "--alphaedit-threshold 2e-2"; coachhook-nearest
# "--lambda 5000 --nearest-alpha 0.3"; alphaedit-nearest its defaults).
set -euo pipefail
K="${KIT:-.gpu/kit}"; OUT="${OUT:-/tmp/out}"; mkdir -p "$OUT"
export HOOKLINE_THREADS="${HOOKLINE_THREADS:-8}"
case "${1:?usage: large-10k.sh pretrain | bench METHOD [OPTIONS...] | call 'METHOD [OPTIONS...]'...}" in
  call)
    shift; S=$(date +%s)
    if [[ -f /tmp/large/pretrain-report.json ]]; then # a warm machine keeps /tmp: the same seed's checkpoint
      echo "pretrain skipped: /tmp/large from an earlier call on this machine" >> "$OUT/times.log"
    else
      rc=0; "$K/run" hookline pretrain --world large --preset large --seed 1 --out /tmp/large > "$OUT/pretrain.log" 2>&1 || rc=$?
      echo "pretrain rc=$rc $(( $(date +%s) - S )) s" >> "$OUT/times.log"
    fi
    for spec in "$@"; do
      # shellcheck disable=SC2086 # spec is a method followed by its options
      rc=0; bash "$0" bench $spec > /dev/null 2>&1 || rc=$? # one failed bench does not stop the next
      echo "bench $spec rc=$rc $(( $(date +%s) - S )) s" >> "$OUT/times.log"
    done ;;
  pretrain)
    "$K/run" hookline pretrain --world large --preset large --seed 1 --out /tmp/large 2>&1 | grep -v ' INFO ' | tail -4 \
        | tee "$OUT/pretrain.log"
    cp /tmp/large/pretrain-report.json "$OUT/"
    tar czf - -C /tmp --exclude=large/world --exclude=large/hookline-stats large | split -b 15M - "$OUT/large.tgz.part-" ;;
  bench)
    method="${2:?METHOD}"; shift 2
    # $OUT's file names take letters, digits, ".", "_" and "-"; the options name the run too, so two runs of
    # one method with other options in one call do not overwrite each other (2026-12-07 they did).
    name="$(printf '%s' "$method$*" | tr -c 'A-Za-z0-9._-' '_')"
    split="${SPLIT:-test}"; [[ "$split" == test ]] || name="$split-$name"
    [[ -d /tmp/large ]] || cat .gpu/large/large.tgz.part-* | tar xzf - -C /tmp
    [[ -f /tmp/large/world/counterfact-test.json ]] || "$K/run" hookline world --preset large --out /tmp/large/world
    "$K/run" hookline bench --model /tmp/large --data "/tmp/large/world/counterfact-$split.json" --labels none \
        --methods "$method" "$@" --edits 10000 --batch 100 --curve-every "${CURVE_EVERY:-2000}" \
        --curve-sample "${CURVE_SAMPLE:-200}" --out "/tmp/large-$name" 2>&1 \
        | { grep -v -e ' INFO ' -e '%|' || true; } | tail -30 > "/tmp/bench-$name.log"
    cp "/tmp/large-$name/report.json" "$OUT/large-$name.json"
    # Three files per bench ($OUT takes 8: two benches, times.log, pretrain.log): the report with the bench's
    # log after it, the JSON report, and the per-edit results (gzip), from which columns can be recomputed here.
    cat "/tmp/large-$name/report.md" "/tmp/bench-$name.log" > "$OUT/large-$name.md"
    gzip -c /tmp/large-"$name"/edits-*.jsonl > "$OUT/edits-$name.jsonl.gz" ;;
  *) echo "large-10k: unknown stage $1" >&2; exit 2 ;;
esac
