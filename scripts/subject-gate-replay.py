#!/usr/bin/env python3
# Offline replay (issue 29, twenty-seventh session) of a subject-mention gate over diag.ScopeLeak output: an edit is a
# candidate for a prompt only if the prompt text contains the edit's subject; the best candidate scoring >= t (top five
# plus the own edit) is admitted. usage: scripts/subject-gate-replay.py SCOPELEAK.jsonl WORLD.json
import json, sys, collections
rows=[json.loads(l) for l in open(sys.argv[1])]
subj={r['edit']: r['nearestSubject'] for r in rows if r['kind']=='edit' and r['nearestEdit']==r['edit']}
w=json.load(open(sys.argv[2])); subs=sorted(w['subjects'], key=len, reverse=True)
for r in rows:
    if r['kind']=='edit': subj[r['edit']]=next(x for x in subs if x in r['prompt'])
def run(t, gate):
    res=collections.Counter()
    for r in rows:
        k=r['kind']
        if k.startswith('negative'): continue
        sc={x[0]:x[1] for x in r['top']}
        if k!='neighbour': sc[r['edit']]=r['own']
        cand=[(s,e) for e,s in sc.items() if (not gate or subj[e] in r['prompt'])]
        m,route=max(cand) if cand else (-1,-1)
        adm=m>=t; res[(k,'n')]+=1
        res[(k,'ok')]+= (not adm) if k=='neighbour' else (adm and route==r['edit'])
    return [round(res[(k,'ok')]/res[(k,'n')],3) for k in ('edit','paraphrase','neighbour')]
for t in (0.02,0.05,0.1,0.15,0.2,0.3):
    print(t, 'no gate', run(t,False), 'subject gate', run(t,True))
