#!/usr/bin/env bash
# Seed-2 draw pretrained on this CPU: every method at the dev choice of seed 1 (gpu/selection.json +
# gpu/science.sh KNOBS; coachhook-nearest lambda 5000, threshold 0.3) on the test stream, 600 edits,
# batch 100, no labels. Mirrors gpu/science.sh test_runs. Paths of this machine (docs/BENCHMARKS.md,
# eighteenth session): /work/runs30/cp is the engine's runtime classpath, m2 the checkpoint of
#   hookline pretrain --device cpu --world demo --preset demo-d256x --seed 2 --out /work/runs30/m2
# (HOOKLINE_THREADS=2), whose PID pretrain.pid holds; the script waits for it to end.
cd /work/runs30
while kill -0 "$(cat pretrain.pid)" 2>/dev/null; do sleep 20; done
M=/work/runs30/m2; CP="$(cat /work/runs30/cp)"
export MALLOC_ARENA_MAX=2
bench() { # TAG ARGS...
  local tag="$1"; shift
  echo "T start $tag $(date -u +%T)" >> replay.log
  java -Xmx10g -Dai.djl.pytorch.num_threads=2 -Dai.djl.pytorch.num_interop_threads=1 -Dai.djl.offline=true -cp "$CP" \
    dev.hookline.engine.cli.HooklineCli bench --device cpu --model $M --data $M/world/counterfact-test.json --labels none \
    --edits 600 --batch 100 --curve-every 600 --out /work/runs30/test-m2-$tag "$@" > /work/runs30/test-m2-$tag.log 2>&1
  echo "T end $tag rc=$? $(date -u +%T)" >> replay.log
}
bench nearest --methods coachhook-nearest --lambda 5000 --nearest-alpha 0.3
bench 0 --methods alphaedit,ultraedit --lambda 400 --span-relation-alpha 0.5 --alphaedit-threshold 2e-2 --ultraedit-lr 1e-3 --ft-bound 1e-3
bench 2 --methods coachhook-span-relation,coachhook,coachhook-nohook,ft --lambda 5000 --span-relation-alpha 0.8 --alphaedit-threshold 1 --ultraedit-lr 1e-1 --ft-bound 2e-2
bench 1 --methods memit --lambda 1500 --span-relation-alpha 0.65 --alphaedit-threshold 2e-1 --ultraedit-lr 1e-2 --ft-bound 5e-3
echo "T all done $(date -u +%T)" >> replay.log
