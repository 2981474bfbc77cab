LIMIT = 100


class Tally:
    """A running total that remembers what was added."""

    def __init__(self, start=0):
        self.total = start
        self.history = []

    def add(self, amount):
        if self.total + amount > LIMIT:
            raise ValueError("over the limit")
        self.total += amount
        self.history.append(amount)
        return self.total

    def undo(self):
        if not self.history:
            return None
        last = self.history.pop()
        self.total -= last
        return last

    def mean(self):
        return self.total / len(self.history) if self.history else 0.0


class Stack:
    def __init__(self):
        self.items = []

    def push(self, item):
        self.items.append(item)
        return len(self.items)

    def pop(self):
        return self.items.pop() if self.items else None


class Lonely:
    def __init__(self, x):
        self.x = x

    def get(self):
        return self.x


def helper(x):
    return x + 1
