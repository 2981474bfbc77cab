import re

VOWELS = "aeiouAEIOU"


def cnt(s): return sum(1 for c in s if c in VOWELS)


def cap(t):
    return ' '.join([w[0].upper()+w[1:].lower() if w else w for w in t.split(' ')])


def pal(s):
    s=re.sub(r'[^a-z0-9]','',s.lower())
    return s==s[::-1]


def camel2snake(n):
    return re.sub(r'(?<!^)(?=[A-Z])','_',n).lower()


def wc(txt):
    d={}
    for w in txt.lower().split():
        w=w.strip('.,;:!?"\'')
        if w: d[w]=d.get(w,0)+1
    return d


def trunc(s,n,e='...'):
    if len(s)<=n:return s
    return s[:max(0,n-len(e))]+e


def caesar(s,k):
    o=''
    for c in s:
        if c.isalpha():
            b=ord('a') if c.islower() else ord('A')
            o+=chr((ord(c)-b+k)%26+b)
        else:o+=c
    return o
