#!/usr/bin/env python3
"""Table of scripts/demo96-2026-12-07.sh's test runs: rel / gen / loc per method and draw, the locality kinds,
seconds per batch, and the worst draw.  python3 scripts/demo96-table.py R"""
import glob
import json
import os
import sys

R = sys.argv[1]
draws = ['demo96', 'demo96-s2', 'demo96-s3', 'demo96-w7']
rows = {}
for d in draws:
    for p in sorted(glob.glob(f'{R}/test-{d}-*/report.json')):
        tag = os.path.basename(os.path.dirname(p))[len(f'test-{d}-'):]
        if d == 'demo96' and any(tag.startswith(x[len('demo96-'):] + '-') for x in draws[1:]):
            continue
        m = json.load(open(p))['methods'][0]
        k = m['localityByKind']
        rows.setdefault(tag, {})[d] = (m['reliability'], m['generality'], m['locality'], k, m['secondsPerBatch'])
print('| method (options) | seed 1 | seed 2 | seed 3 | world 7 | worst draw (min of each) |')
print('| --- | --- | --- | --- | --- | --- |')
for tag, by in rows.items():
    cells = ['%.3f / %.3f / %.3f' % by[d][:3] if d in by else '-' for d in draws]
    worst = ' / '.join('%.3f' % min(by[d][i] for d in by) for i in range(3))
    print(f'| {tag} | ' + ' | '.join(cells) + f' | {worst} |')
print()
print('| method (options) | by kind seed 1 / 2 / 3 / world 7 (neighbours, subject, unrelated) | s/batch |')
print('| --- | --- | --- |')
for tag, by in rows.items():
    kinds = '; '.join('%.3f %.3f %.3f' % (by[d][3]['neighbours'], by[d][3]['subject'], by[d][3]['unrelated'])
                      for d in draws if d in by)
    print(f'| {tag} | {kinds} | ' + ' / '.join('%.2f' % by[d][4] for d in draws if d in by) + ' |')
