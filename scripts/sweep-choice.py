#!/usr/bin/env python3
"""The dev choice of a fixed scope threshold from bench reports with a threshold sweep (hookline bench
--sweep-thresholds): per method and swept threshold, the mean of reliability, generality and locality at every
curve point, averaged over the curve points (the rule alphaedit-shards' 0.45 was chosen by, twenty-second
session). Several reports (e.g. two worlds) are averaged with equal weight per report, each threshold over the
reports that swept it.
  python3 scripts/sweep-choice.py METHOD report.json [report.json ...]"""
import json
import sys
from collections import defaultdict

method, paths = sys.argv[1], sys.argv[2:]
per_report = []
for p in paths:
    m = [x for x in json.load(open(p))['methods'] if x['method'] == method]
    if not m or not m[0].get('thresholdSweep'):
        sys.exit(f'{p}: no threshold sweep of {method}')
    points = defaultdict(list)
    for s in m[0]['thresholdSweep']:
        points[s['threshold']].append((s['reliability'] + s['generality'] + s['locality']) / 3)
    per_report.append({t: sum(v) / len(v) for t, v in points.items()})
    print(p, ' '.join(f'{t:g}: {v:.4f}' for t, v in sorted(per_report[-1].items())))
# Reports that swept other thresholds of one run (the same state) are merged: a threshold's figure is the mean
# over the reports that have it.
swept = set().union(*(set(r) for r in per_report))
mean = {t: sum(r[t] for r in per_report if t in r) / sum(1 for r in per_report if t in r) for t in swept}
best = max(sorted(mean), key=lambda t: mean[t])
print('mean', ' '.join(f'{t:g}: {mean[t]:.4f}' for t in sorted(mean)))
print(f'choice {best:g} ({mean[best]:.4f})')
