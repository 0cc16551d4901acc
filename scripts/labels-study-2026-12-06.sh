#!/bin/bash
# The CPU label study of docs/BENCHMARKS.md "Relation labels" (2026-12-06): tiny GPT-2 and tiny-llama,
# the tiny test stream, span-relation with given / none / 20 % wrong labels, the other scopes once.
cd /work/main
D=/tmp/cpu24/tiny-llama/world/counterfact-test.json
for m in gpt2:$HOME/.cache/hookline/models/tiny-41d6b7d9d86e7c62 llama:/tmp/cpu24/tiny-llama; do
  tag=${m%%:*}; dir=${m#*:}
  for L in given none wrong:0.2; do
    t=$(echo "$tag-$L" | tr ':' '_')
    ./hookline bench --model $dir --data $D --labels $L --methods coachhook-span-relation --edits 59 --batch 10 --curve-every 59 --out /tmp/labels/$t > /tmp/labels/$t.log 2>&1
  done
  ./hookline bench --model $dir --data $D --labels none --methods coachhook,coachhook-span,coachhook-corpus,alphaedit,memit --edits 59 --batch 10 --curve-every 59 --out /tmp/labels/$tag-others > /tmp/labels/$tag-others.log 2>&1
done
echo done > /tmp/labels/DONE
