#!/usr/bin/env python3
"""Tables of gpu/call-2026-12-07g.sh's reports: rel / gen / loc per method, draw and batch size, the worst draw, the
locality kinds, seconds per batch, and each nearest-key method served at the swept thresholds (min over draws).
  python3 scripts/d256-table.py DIR [TAG ...]      DIR holds TAG/test-b100/report.json and TAG/test-b10/report.json"""
import json
import os
import sys

R, tags = sys.argv[1], sys.argv[2:] or ['s1', 's2', 's3', 'w7']
f3 = lambda t: '%.3f / %.3f / %.3f' % t
for b in ('test-b100', 'test-b10'):
    by = {}
    for tag in tags:
        p = f'{R}/{tag}/{b}/report.json'
        if not os.path.exists(p):
            continue
        for m in json.load(open(p))['methods']:
            by.setdefault(m['method'], {})[tag] = m
    if not by:
        continue
    print(f'\n{b}\n')
    print('| method | ' + ' | '.join(tags) + ' | worst draw (min of each) | s/batch |')
    print('| --- ' * (len(tags) + 3) + '|')
    for meth, d in by.items():
        cells = [f3((d[t]['reliability'], d[t]['generality'], d[t]['locality'])) if t in d else '-' for t in tags]
        worst = f3(tuple(min(d[t][k] for t in d) for k in ('reliability', 'generality', 'locality')))
        sp = ' / '.join('%.2f' % d[t]['secondsPerBatch'] for t in tags if t in d and d[t].get('secondsPerBatch') is not None)
        print(f'| {meth} | ' + ' | '.join(cells) + f' | {worst} | {sp} |')
    print('\n| method | by kind per draw (neighbours, subject, unrelated) |\n| --- | --- |')
    for meth, d in by.items():
        if meth == 'unedited':
            continue
        print(f'| {meth} | ' + '; '.join('%s %.3f %.3f %.3f' % (t, d[t]['localityByKind']['neighbours'],
              d[t]['localityByKind']['subject'], d[t]['localityByKind']['unrelated']) for t in tags if t in d) + ' |')
    for meth, d in by.items():
        sw = {}
        for t, m in d.items():
            pts = m.get('thresholdSweep') or []
            last = max((s['edits'] for s in pts), default=None)
            for s in pts:
                if s['edits'] == last:
                    sw.setdefault(s['threshold'], {})[t] = (s['reliability'], s['generality'], s['locality'])
        if sw:
            print(f'\n{meth} served at swept thresholds, worst draw (min of each over {len(d)} draws)\n')
            print('| threshold | worst draw | mean of the three |\n| --- | --- | --- |')
            for th in sorted(sw):
                w = tuple(min(v[k] for v in sw[th].values()) for k in range(3))
                print(f'| {th:g} | {f3(w)} | %.3f |' % (sum(w) / 3))
