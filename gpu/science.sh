#!/usr/bin/env bash
# Held-out science on the GPU (issue 29), run from a kit made by `gpu/kit.sh KIT --tests --pack`:
#   bash gpu/science.sh KIT OUTDIR tune     device tests; demo-d256x (model seed 1); a 3-point sweep of
#                                           every method's own knob on the DEV stream; the chosen
#                                           options on the TEST stream
#   bash gpu/science.sh KIT OUTDIR replay SELECTION MODEL-ARGS...
#                                           pretrain another model (MODEL-ARGS: pretrain options, e.g.
#                                           "--seed 2" or "--world-seed 7 --seed 1") and run the chosen
#                                           options on its TEST stream
#   bash gpu/science.sh KIT OUTDIR test SELECTION MODEL TAG
#                                           the chosen options on the TEST stream of an existing model
# Environment: PRESET [demo-d256x] the pretraining preset of replay (demo-d256x-llama: the Llama
# architecture); LABELS [none] given|none|wrong:0.2; BATCH [100]; ONLY [all] a comma list of methods.
# Every method gets the same budget on dev: three values of its main knob (below), the same edits,
# batch 100, no relation labels. The choice per method is the value with the best mean of
# reliability, generality and locality on dev; the test stream is never read before it is made.
set -uo pipefail
KIT="$(cd "${1:?usage: science.sh KIT OUTDIR tune|replay ...}" && pwd)"; OUT="${2:?OUTDIR}"; STAGE="${3:?tune|replay}"
shift 3
mkdir -p "$OUT"; L="$OUT/science.log"; S=$(date +%s)
RUN="$KIT/run"
export HOOKLINE_THREADS="${HOOKLINE_THREADS:-8}"
METHODS=(coachhook-span-relation coachhook coachhook-nohook memit alphaedit ultraedit ft)
# run i of the sweep uses value i of every knob
KNOBS=("--lambda 400 --span-relation-alpha 0.5 --alphaedit-threshold 2e-2 --ultraedit-lr 1e-3 --ft-bound 1e-3"
       "--lambda 1500 --span-relation-alpha 0.65 --alphaedit-threshold 2e-1 --ultraedit-lr 1e-2 --ft-bound 5e-3"
       "--lambda 5000 --span-relation-alpha 0.8 --alphaedit-threshold 1 --ultraedit-lr 1e-1 --ft-bound 2e-2")
DEV_EDITS="${DEV_EDITS:-500}"; TEST_EDITS="${TEST_EDITS:-600}"
PRESET="${PRESET:-demo-d256x}"; LABELS="${LABELS:-none}"; BATCH="${BATCH:-100}"; ONLY="${ONLY:-}"
mark() { echo "T $1 $(( $(date +%s) - S )) s" | tee -a "$L"; }
quiet() { grep -v ' INFO ' | grep -v '%|'; }
csv() { local IFS=,; echo "$*"; }

test_runs() { # MODEL TAG SELECTION: the chosen options per method on the model's test stream
  local model="$1" tag="$2" sel="$3"
  for i in 0 1 2; do
    ms=$(python3 -c "import json,sys; s=json.load(open(sys.argv[1])); only=[m for m in sys.argv[3].split(',') if m]; print(','.join(m for m,v in s.items() if v==int(sys.argv[2]) and (not only or m in only)))" "$sel" "$i" "$ONLY")
    [[ -n "$ms" ]] || continue
    "$RUN" hookline bench --model "$model" --data "$model/world/counterfact-test.json" --labels "$LABELS" \
        --methods "$ms" ${KNOBS[$i]} --edits "$TEST_EDITS" --batch "$BATCH" --curve-every "$TEST_EDITS" \
        --out "/tmp/test-$tag-$i" 2>&1 | quiet | tail -25 | tee -a "$L"
    cp "/tmp/test-$tag-$i/report.json" "$OUT/test-$tag-$i.json" 2>/dev/null
    cp "/tmp/test-$tag-$i/report.md" "$OUT/test-$tag-$i.md" 2>/dev/null
    mark "test-$tag-$i"
  done
}

{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; date -u; } | tee "$L"
case "$STAGE" in
  tune)
    timeout 150 "$RUN" tests dev.hookline.engine.device.DevicePiecesTest dev.hookline.engine.model.HfArchitecturesTest \
        2>&1 | quiet | tail -30 | tee -a "$L"; mark tests
    "$RUN" hookline pretrain --world demo --preset demo-d256x --seed 1 --out /tmp/m1 2>&1 | quiet | tail -6 | tee -a "$L"
    cp /tmp/m1/pretrain-report.json "$OUT/pretrain-m1.json" 2>/dev/null; mark pretrain
    for i in 0 1 2; do
      "$RUN" hookline bench --model /tmp/m1 --data /tmp/m1/world/counterfact-dev.json --labels none \
          --methods "$(csv "${METHODS[@]}")" ${KNOBS[$i]} --edits "$DEV_EDITS" --batch 100 --curve-every "$DEV_EDITS" \
          --out "/tmp/dev-$i" 2>&1 | quiet | tail -25 | tee -a "$L"
      cp "/tmp/dev-$i/report.json" "$OUT/dev-$i.json"; mark "dev-$i"
    done
    python3 - "$OUT" <<'PY' | tee -a "$L"
import json, sys
out = sys.argv[1]
best = {}
for i in range(3):
    for m in json.load(open(f"{out}/dev-{i}.json"))["methods"]:
        score = (m["reliability"] + m["generality"] + m["locality"]) / 3
        print(f"dev run {i} {m['method']:26s} {m['reliability']:.3f} {m['generality']:.3f} {m['locality']:.3f} mean {score:.3f}")
        if m["method"] not in best or score > best[m["method"]][1]:
            best[m["method"]] = (i, score)
json.dump({m: v[0] for m, v in best.items()}, open(f"{out}/selection.json", "w"), indent=1)
print("selection", {m: v[0] for m, v in best.items()})
PY
    test_runs /tmp/m1 m1 "$OUT/selection.json" ;;
  replay)
    SEL="${1:?selection.json}"; shift
    tag="$(echo "$PRESET$*" | tr -cd 'a-z0-9')"
    "$RUN" hookline pretrain --world demo --preset "$PRESET" "$@" --out "/tmp/$tag" 2>&1 | quiet | tail -6 | tee -a "$L"
    cp "/tmp/$tag/pretrain-report.json" "$OUT/pretrain-$tag.json" 2>/dev/null; mark "pretrain-$tag"
    test_runs "/tmp/$tag" "$tag" "$SEL" ;;
  test)
    SEL="${1:?selection.json}"; model="${2:?MODEL}"; tag="${3:?TAG}"
    test_runs "$model" "$tag" "$SEL" ;;
  *) echo "science: unknown stage $STAGE" >&2; exit 2 ;;
esac
mark done
