#!/usr/bin/env python3
"""Compare two `hookline bench` outputs of the same command on two devices (issue 28).

usage: device-compare.py A_DIR B_DIR   (each holds report.json and edits-<method>.jsonl, the
                                        bench's --out folder; or A.json with an A-edits/ folder)
Prints, per method, the aggregate metrics on both sides, their largest absolute difference, the
number of per-edit decisions (edit prompt, each paraphrase, each locality prompt) that differ, the
largest difference in a probability after the edit, and s/batch and evaluation seconds.
"""
import json, os, sys

KEYS = ["reliability", "generality", "locality", "efficacy", "paraphrase", "neighborhood", "meanProbabilityNew"]


def load(path):
    if os.path.isdir(path):
        rep, edits = os.path.join(path, "report.json"), path
    else:
        rep, edits = path, path[:-len(".json")] + "-edits"
    return json.load(open(rep)), edits


def prompts(rec):
    """(kind, index, passed, probabilityAfter) of every scored prompt of one per-edit record."""
    out = []
    def walk(kind, v):
        if isinstance(v, dict) and "passed" in v:
            out.append((kind, len(out), v["passed"], v.get("probabilityAfter")))
        elif isinstance(v, dict):
            for k, w in v.items():
                walk(kind + "." + k, w)
        elif isinstance(v, list):
            for w in v:
                walk(kind, w)
    for k, v in rec.items():
        if isinstance(v, (dict, list)):
            walk(k, v)
    return out


def per_edit(folder, method):
    f = os.path.join(folder, f"edits-{method}.jsonl")
    if not os.path.exists(f):
        return None
    return {r["caseId"]: prompts(r) for r in map(json.loads, open(f))}


def main(a_path, b_path):
    a, a_edits = load(a_path)
    b, b_edits = load(b_path)
    bm = {m["method"]: m for m in b["methods"]}
    worst = 0.0
    print(f"A: {a.get('command', '')[:150]}\nB: {b.get('command', '')[:150]}")
    print("| method | A rel / gen / loc | B rel / gen / loc | largest metric diff | decisions differ | max |dP after| | s/batch A / B | eval s A / B |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for m in a["methods"]:
        name = m["method"]
        if name not in bm:
            continue
        n = bm[name]
        num = lambda x: isinstance(x, (int, float))
        diffs = [abs(m[k] - n[k]) for k in KEYS if num(m.get(k)) and num(n.get(k))]
        for kind, v in (m.get("localityByKind") or {}).items():
            w = (n.get("localityByKind") or {}).get(kind)
            if isinstance(v, (int, float)) and isinstance(w, (int, float)):
                diffs.append(abs(v - w))
        d = max(diffs) if diffs else float("nan")
        worst = max(worst, d)
        pa, pb = per_edit(a_edits, name), per_edit(b_edits, name)
        flips, total, dp = "-", 0, 0.0
        if pa is not None and pb is not None:
            f = 0
            for cid, ps in pa.items():
                qs = pb.get(cid, [])
                for (ka, _, okA, pA), (kb, _, okB, pB) in zip(ps, qs):
                    total += 1
                    f += okA != okB
                    if pA is not None and pB is not None:
                        dp = max(dp, abs(pA - pB))
            flips = f"{f} of {total}"
        trip = lambda r: f"{r['reliability']:.3f} / {r['generality']:.3f} / {r['locality']:.3f}"
        print(f"| {name} | {trip(m)} | {trip(n)} | {d:.4f} | {flips} | {dp:.2e} | "
              f"{m.get('secondsPerBatch', 0):.2f} / {n.get('secondsPerBatch', 0):.2f} | "
              f"{m.get('evaluationSeconds', 0):.1f} / {n.get('evaluationSeconds', 0):.1f} |")
    print(f"largest aggregate metric difference over all methods: {worst:.4f}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
