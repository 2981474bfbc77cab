# Python 2 only: the file does not parse as Python 3, so collect or prefilter rejects it with the line.


def old_style(x):
    print "value", x
    return x


def ok_in_both(a, b):
    return a + b
