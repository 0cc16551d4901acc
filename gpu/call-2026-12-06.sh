#!/usr/bin/env bash
# The device call of docs/BENCHMARKS.md "Second GPU session" (2026-12-06), run from the repo root with
# the kit in .gpu/kit and the dev choice in gpu/selection.json: `timeout 540 bash gpu/call-2026-12-06.sh`
# Issue 28 tests and scale figures, issue 24 Llama bench, issue 29 seed 3; results under /tmp/res
# (and $OUT/res.tgz after each step).
set -uo pipefail
K=.gpu/kit; R=/tmp/res; mkdir -p "$R"; S=$(date +%s)
mark() { echo "T $1 $(( $(date +%s) - S )) s" | tee -a "$R/calls.log"; [[ -n "${OUT:-}" ]] && tar czf "$OUT/res.tgz" -C "$R" . ; }
nvidia-smi --query-gpu=name,memory.total --format=csv | tee -a "$R/calls.log"
timeout 100 "$K/run" tests dev.hookline.engine.device.MixedPrecisionTest dev.hookline.engine.model.ResumeForwardTest \
  dev.hookline.engine.device.DevicePiecesTest dev.hookline.engine.cli.ScaleCommandTest 2>&1 | grep -v ' INFO ' | tail -40 > "$R/tests.log"; mark tests
PRESET=demo-d256x-llama bash gpu/science.sh "$K" "$R/llama" replay gpu/selection.json --seed 1 > /dev/null 2>&1; mark llama
sc() { local tag="$1"; shift; timeout 150 "$K/run" hookline scale "$@" --statistics-lines 1000 --batches 2 --tokens 32 --out "/tmp/$tag" > "$R/$tag.log" 2>&1; cp "/tmp/$tag/scale.json" "$R/$tag.json" 2>/dev/null; mark "$tag"; }
sc scale-gpt2
sc scale-llama --arch llama
sc scale-gpt2-fp16 --precision fp16
bash gpu/science.sh "$K" "$R/s3" replay gpu/selection.json --seed 3 > /dev/null 2>&1; mark seed3
