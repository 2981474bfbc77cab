import itertools
from collections import defaultdict


def f(l,n):
    r=[]
    for i in range(0,len(l),n):
        r.append(l[i:i+n])
    return r


def flat(x): return [b for a in x for b in (flat(a) if isinstance(a,list) else [a])]


def dedupe(seq):
    s=set();o=[]
    for x in seq:
        if x not in s: s.add(x);o.append(x)
    return o


def rle(s):
    return [(k,len(list(g))) for k,g in itertools.groupby(s)]


def grp(pairs):
    d=defaultdict(list)
    for k,v in pairs: d[k].append(v)
    return dict(d)


def mx(a):
    m=a[0]
    for i in a:
        if i>m:m=i
    return m


def rot(a,k):
    k=k%len(a) if a else 0
    return a[-k:]+a[:-k] if k else a[:]


def win(xs, k):
    return [sum(xs[i:i+k])/k for i in range(len(xs)-k+1)]
