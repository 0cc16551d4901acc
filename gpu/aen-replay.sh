#!/usr/bin/env bash
# alphaedit-nearest (AlphaEdit's update in hooks under coachhook-nearest's scope) on a demo-d256x draw, on the GPU
# machine, from a kit made by `gpu/kit.sh KIT --pack`:
#   bash gpu/aen-replay.sh KIT OUTDIR tune MODEL        the dev sweep (AlphaEdit's budget: its null-space threshold at
#                                                        2e-2, 2e-1, 1; the scope at coachhook-nearest's dev choice
#                                                        0.3), dev stream, 500 edits, batch 100, no labels; the best
#                                                        mean of rel/gen/loc goes to OUTDIR/aen-choice (and
#                                                        /tmp/aen-choice); then the choice on the test stream
#   bash gpu/aen-replay.sh KIT OUTDIR test MODEL TAG     the choice (/tmp/aen-choice, waited for) on MODEL's test
#                                                        stream, 600 edits, batch 100 and 10
# MODEL is a pretrained demo-d256x directory (e.g. the one gpu/nearest-replay.sh leaves in /tmp).
set -uo pipefail
KIT="$(cd "${1:?usage: aen-replay.sh KIT OUTDIR tune|test MODEL [TAG]}" && pwd)"; OUT="${2:?OUTDIR}"; STAGE="${3:?}"
M="${4:?MODEL}"; TAG="${5:-m1}"; mkdir -p "$OUT"; export HOOKLINE_THREADS="${HOOKLINE_THREADS:-4}"
quiet() { grep -v ' INFO ' | grep -v '%|'; }
bench() { # DATA OUTNAME ARGS...
  local data="$1" name="$2"; shift 2
  "$KIT/run" hookline bench --model "$M" --data "$M/world/$data" --labels none --methods alphaedit-nearest \
      --nearest-alpha 0.3 "$@" --out "/tmp/$name" 2>&1 | quiet | tail -14 > "$OUT/$name.log"
  cp "/tmp/$name/report.json" "$OUT/$name.json" 2>/dev/null
}
if [[ "$STAGE" == tune ]]; then
  for t in 2e-2 2e-1 1; do
    bench counterfact-dev.json "aen-dev-$t" --alphaedit-threshold "$t" --edits 500 --batch 100 --curve-every 500
  done
  python3 - "$OUT" > "$OUT/aen-choice.log" <<'PY'
import json, sys
out = sys.argv[1]; best = None
for t in ["2e-2", "2e-1", "1"]:
    try:
        m = json.load(open(f"{out}/aen-dev-{t}.json"))["methods"][0]
    except Exception as e:
        print("dev", t, "missing", e); continue
    score = (m["reliability"] + m["generality"] + m["locality"]) / 3
    print(f"dev threshold {t}: {m['reliability']:.3f} {m['generality']:.3f} {m['locality']:.3f} mean {score:.3f}")
    if best is None or score > best[1]:
        best = (t, score)
print("choice", best[0])
open(f"{out}/aen-choice", "w").write(best[0])
PY
  cp "$OUT/aen-choice" /tmp/aen-choice
fi
for _ in $(seq 1 120); do [[ -f /tmp/aen-choice ]] && break; sleep 5; done
t="$(cat /tmp/aen-choice)"
for b in 100 10; do
  bench counterfact-test.json "aen-test-$TAG-b$b" --alphaedit-threshold "$t" --edits 600 --batch "$b" --curve-every 600
done
