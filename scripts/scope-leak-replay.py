#!/usr/bin/env python3
# Offline replay of a nearest-key scope over diag.ScopeLeak output (issue 29, twenty-sixth session): generality and
# neighbour locality at global thresholds and at per-edit thresholds max(t, c * best negative score), which facts the
# unedited model knew, where neighbours leak (position, token) and whether the edit they leak to shares their
# subject first name (fact-world subjects are "First Last"); with subject keys in the output (third value of each top
# entry), the subject-confirmed rule: an edit is a candidate only where its subject key also scores >= beta at some
# position up to the best one, and the best candidate at >= t is admitted.
# usage: scripts/scope-leak-replay.py SCOPELEAK.jsonl WORLD.json
import collections, json, statistics, sys
rows=[json.loads(l) for l in open(sys.argv[1])]
neg=collections.defaultdict(float)
neg_last=collections.defaultdict(float)
for r in rows:
    if r['kind']=='negative': neg[r['edit']]=max(neg[r['edit']], r['own'])
    if r['kind']=='negative-last': neg_last[r['edit']]=max(neg_last[r['edit']], r['own'])
def evaluate(tau):  # tau: edit -> threshold; t0 global (for scaling)
    res=collections.Counter()
    for r in rows:
        k=r['kind']
        if k.startswith('negative'): continue
        scaled=[(x[1]/tau(x[0]), x[0]) for x in r['top']]
        m,route=max(scaled)
        adm = m>=1.0
        res[(k,'n')]+=1
        if k=='neighbour':
            res[(k,'ok')]+= (not adm)
        else:
            res[(k,'ok')]+= (adm and route==r['edit'])
    return {k: res[(k,'ok')]/res[(k,'n')] for k in ('edit','paraphrase','neighbour')}
print('edits', len(neg), 'negative own score quantiles', [round(sorted(neg.values())[int(q*(len(neg)-1))],3) for q in (0.5,0.9,0.99,1.0)])
for t in (0.1,0.15,0.2,0.25,0.3,0.35,0.4,0.5):
    g=evaluate(lambda e:t)
    print(f"global t={t:.2f}: rel {g['edit']:.3f} gen {g['paraphrase']:.3f} loc {g['neighbour']:.3f}")
for t in (0.1,0.15,0.2,0.25,0.3):
    for c in (1.5,2,3):
        g=evaluate(lambda e,t=t,c=c:max(t, min(0.95, c*neg[e])))
        print(f"per-edit max(t={t:.2f}, {c}*neg): rel {g['edit']:.3f} gen {g['paraphrase']:.3f} loc {g['neighbour']:.3f}")
if neg_last:
    print('negative-last own score quantiles', [round(sorted(neg_last.values())[int(q*(len(neg_last)-1))],3) for q in (0.5,0.9,0.99,1.0)])
    for t in (0.1,0.15,0.2,0.25,0.3):
        for c in (1.0,1.25,1.5,2):
            g=evaluate(lambda e,t=t,c=c:max(t, min(0.95, c*neg_last.get(e,0))))
            print(f"per-edit max(t={t:.2f}, {c}*neg-last): rel {g['edit']:.3f} gen {g['paraphrase']:.3f} loc {g['neighbour']:.3f}")
def confirmed(t, beta):
    res=collections.Counter()
    for r in rows:
        k=r['kind']
        if k.startswith('negative'): continue
        cand=[(x[1], x[0]) for x in r['top'] if x[2]>=beta]
        m,route=max(cand) if cand else (-1,-1)
        adm=m>=t
        res[(k,'n')]+=1
        res[(k,'ok')]+= (not adm) if k=='neighbour' else (adm and route==r['edit'])
    return {k: res[(k,'ok')]/res[(k,'n')] for k in ('edit','paraphrase','neighbour')}
if rows and len(rows[0]['top'][0])>2:
    for kind in ('edit','paraphrase','neighbour','negative-last'):
        own=[r['subjOwn'] for r in rows if r['kind']==kind]
        if own: print(f'subject-key score against the own edit, {kind}: quantiles 0.01/0.1/0.5/0.9',
                      [round(sorted(own)[int(q*(len(own)-1))],3) for q in (0.01,0.1,0.5,0.9)])
    lk=[r['subjNearest'] for r in rows if r['kind']=='neighbour' and r['best']>=0.2]
    if lk: print('subject-key score of the edit a neighbour leaks to at 0.2: quantiles 0.1/0.5/0.9/0.99',
                 [round(sorted(lk)[int(q*(len(lk)-1))],3) for q in (0.1,0.5,0.9,0.99)])
    for t in (0.1,0.2,0.3,0.4,0.5):
        for beta in (0.2,0.3,0.4,0.5,0.6,0.7,0.8):
            g=confirmed(t,beta)
            print(f"subject-confirmed t={t:.2f} beta={beta:.2f}: rel {g['edit']:.3f} gen {g['paraphrase']:.3f} loc {g['neighbour']:.3f}")
known={r['edit']:r.get('known') for r in rows if r['kind']=='edit'}
print('known facts', sum(1 for v in known.values() if v), 'of', len(known))
t=0.2
for k in (True, False):
    es=[e for e,v in known.items() if v==k]
    if not es: continue
    print(f" known={k}: edits {len(es)}, negative score median {statistics.median(neg[e] for e in es):.3f}")
c=collections.Counter()
for r in rows:
    if r['kind']=='neighbour':
        e,s=r['top'][0][:2]
        if s>=t: c[('leak', known.get(e))]+=1
    if r['kind']=='paraphrase':
        c[('para', known.get(r['edit']))]+=1
        sc=max(r['top'])[::-1]
        if r['top'][0][1]>=t and r['top'][0][0]==r['edit']: c[('para_ok', known.get(r['edit']))]+=1
print('at t=0.2: neighbour leaks through known-fact edits', c[('leak',True)], 'unknown-fact edits', c[('leak',False)])
for k in (True,False):
    if c[('para',k)]: print(f"  generality of known={k}: {c[('para_ok',k)]/c[('para',k)]:.3f}")
pc=collections.Counter(); tk=collections.Counter()
for r in rows:
    if r['kind']=='neighbour' and r['top'][0][1]>=0.2:
        pc['last' if r['pos']==r['tokens']-1 else 'earlier']+=1; tk[r['token']]+=1
print('neighbour leaks at 0.2 by position:', dict(pc), 'tokens:', tk.most_common(8))

w=json.load(open(sys.argv[2]))
subs=sorted(w['subjects'], key=len, reverse=True)
subject_of={r['edit']: next((x for x in subs if x in r['prompt']), '') for r in rows if r['kind']=='edit'}
same=other=0
for r in rows:
    if r['kind']=='neighbour' and r['top'][0][1]>=0.2:
        ns=next((x for x in subs if x in r['prompt']), '')
        if ns and ns.split()[0]==subject_of[r['top'][0][0]].split()[:1][0]: same+=1
        else: other+=1
print(f"neighbour leaks at 0.2 through an edit of a subject with the same first name: {same} of {same+other}")
