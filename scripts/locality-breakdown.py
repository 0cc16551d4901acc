#!/usr/bin/env python3
"""Per-edit locality of a bench run, broken down (docs/BENCHMARKS.md, seventeenth session).

  python3 scripts/locality-breakdown.py WORLD.json edits-METHOD.jsonl [...]

For every edits-<method>.jsonl (written by `hookline bench`): the pass rate of paraphrases and of
same-relation neighbours by where the subject stands in the prompt (first, or after the relation's
words), and of neighbour / attribute probes by whether their subject was itself edited somewhere in
the stream (on another relation: a probe whose own (subject, relation) pair was edited would be an
intended change, and is counted apart).
"""
import collections
import json
import re
import sys


def subject_first(prompt, subject_rx):
    core = prompt.split(". ")[-1]  # drop a context sentence before the fact
    m = subject_rx.search(core)
    return m is not None and m.start() == 0


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    world = json.load(open(sys.argv[1]))
    names = sorted(world["subjects"], key=len, reverse=True)
    subject_rx = re.compile("|".join(re.escape(s) for s in names))
    for path in sys.argv[2:]:
        rows = [json.loads(line) for line in open(path)]
        edited_pairs = {(r["subject"], r["relation"]) for r in rows}
        edited_subjects = {r["subject"] for r in rows}
        order = collections.defaultdict(lambda: [0, 0])
        edited = collections.defaultdict(lambda: [0, 0])
        for r in rows:
            for p in r["paraphrases"]:
                k = ("paraphrase", "subject first" if subject_first(p["prompt"], subject_rx) else "relation first")
                order[k][0] += p["passed"]
                order[k][1] += 1
            for p in r["locality"]:
                if p["kind"] not in ("neighbour", "other"):
                    continue
                m = subject_rx.search(p["prompt"])
                if not m:
                    continue
                s = m.group(0)
                if p["kind"] == "neighbour":
                    k = ("neighbour", "subject first" if subject_first(p["prompt"], subject_rx) else "relation first")
                    order[k][0] += p["passed"]
                    order[k][1] += 1
                state = ("pair edited" if (s, r["relation"]) in edited_pairs
                         else "subject edited" if s in edited_subjects else "never edited")
                edited[(p["kind"], state)][0] += p["passed"]
                edited[(p["kind"], state)][1] += 1
        print(path)
        for table in (order, edited):
            for k in sorted(table):
                ok, n = table[k]
                print(f"  {k[0]:10s} {k[1]:15s} pass {ok / n:.3f} of {n}")


if __name__ == "__main__":
    main()
