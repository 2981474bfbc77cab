import math


def isp(n):
    if n<2:return False
    for i in range(2,int(n**.5)+1):
        if n%i==0:return False
    return True


def fib(n):
    a,b=0,1
    for _ in range(n):a,b=b,a+b
    return a


def g(a,b):
    while b:a,b=b,a%b
    return abs(a)


def digits(n): return [int(c) for c in str(abs(n))]


def avg(xs):
    return sum(xs)/len(xs)


def clamp(x,lo,hi): return lo if x<lo else hi if x>hi else x


def stdev(xs):
    m=sum(xs)/len(xs)
    return math.sqrt(sum((x-m)**2 for x in xs)/len(xs))


def tobin(n):
    if n==0:return '0'
    s=''
    neg=n<0;n=abs(n)
    while n:s=str(n%2)+s;n//=2
    return '-'+s if neg else s
