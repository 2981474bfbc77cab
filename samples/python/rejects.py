# Code that parses but must not become data: each function should be rejected with a named reason.
import random
import time


def uses_undefined(xs):
    return [helper_that_does_not_exist(x) for x in xs]


def coin(n):
    return [random.random() < 0.5 for _ in range(n)]


def stamp(tag):
    return "%s-%f" % (tag, time.time())


BLOB = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def blob_len():
    return len(BLOB)


def spin(n):
    while True:
        n += 1
