// The Python supervisor that runs inside the sandbox: forks one child per call, enforces per-call limits,
// serializes results canonically and reports JSON lines. Runs only under Debian's /usr/bin/python3 (stdlib only).
enum SupervisorScript {
    /// The whole script: the prelude and canonical form here, the child side and the supervisor loop in extensions.
    static let source = prelude + childSide + supervisorSide

    static let prelude = #"""
# semi-instruct sandbox supervisor: runs inside the sandbox, forks one child per input, reports JSON lines.
# argv: [-c, tag, mode, budget] with mode "isolated" (bubblewrap), "dedicated-uid" (no namespaces, but a uid no other
# process uses) or "shared-uid" (no namespaces, the caller's uid). Requests arrive on stdin, one JSON object per
# line; events leave on stdout, one JSON object per line: {"ready"}, then per request {"start": i},
# {"result": {...}}, {"done"}.
import ast, builtins, importlib, json, opcode, os, re, resource, select, signal, sys, time, types
# Pre-imported so that every forked child finds them loaded (the common imports of generated code).
import bisect, cmath, collections, copy, datetime, decimal, fractions, functools, hashlib, heapq  # noqa
import itertools, math, operator, random, statistics, string, typing  # noqa

# Emptying /tmp is only safe inside a fresh PID namespace, where we are PID 1 (bwrap --as-pid-1); kill(-1)
# also under a uid of our own (the executor gives each sandbox one when it runs as root).
MODE = sys.argv[2] if len(sys.argv) > 2 else "shared-uid"
# MiB that all processes of the sandbox share (its cgroup), 0 where only per-process limits hold.
SANDBOX_BUDGET = int(sys.argv[3]) if len(sys.argv) > 3 else 0
ISOLATED = MODE == "isolated"
if ISOLATED and os.getpid() != 1:
    sys.stderr.write("supervisor: told it is isolated but runs as PID %d, not 1 in a new PID namespace\n" % os.getpid())
    sys.exit(3)
if MODE == "dedicated-uid" and os.getuid() < 100000:
    sys.stderr.write("supervisor: told its uid is its own but runs as uid %d\n" % os.getuid())
    sys.exit(3)
KILL_ALL = ISOLATED or MODE == "dedicated-uid"
# Not dumpable: code under test runs as the same uid, and could otherwise trace this process or open its /proc files
# (its memory, its descriptors, among them the channel to the host) and write results of its own. Children turn it back on.
import ctypes
PR_SET_DUMPABLE = 4
LIBC = ctypes.CDLL(None, use_errno=True)
# As PID 1 only signals it handles reach it from inside; Python handles SIGINT, so it is ignored here (children restore it).
signal.signal(signal.SIGINT, signal.SIG_IGN)
if LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
    sys.stderr.write("supervisor: cannot make itself undumpable (errno %d)\n" % ctypes.get_errno())
    sys.exit(3)
# Text streams on fds 1 and 2 made once here: each child points those fds at its own pipes and uses them.
CHILD_STREAMS = tuple(open(fd, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False) for fd in (1, 2))
MAX_DEPTH = 200
ADDRESS = re.compile(r" at 0x[0-9A-Fa-f]+")
sys.set_int_max_str_digits(0)


class ValueTooLarge(Exception):
    pass


class Unserializable(Exception):
    pass


# --- canonical form ---------------------------------------------------------------------------
# JSON where every value has exactly one spelling, so equal values serialize equally:
#   None, bool, str -> JSON null/true/false/string; int -> JSON number below 2**53, else
#   {"int": decimal} (or {"int": "0x..."} past 16384 bits, where decimal conversion is quadratic);
#   float -> {"float": repr} with -0.0 as "0.0", "nan", "inf", "-inf"; complex -> {"complex": [re, im]};
#   list -> JSON array; tuple -> {"tuple": [...]}; dict -> {"dict": [[k, v], ...]} sorted by the key's
#   canonical text; set/frozenset -> {"set"|"frozenset": [...]} sorted likewise; bytes/bytearray ->
#   {"bytes"|"bytearray": hex}; a container met again inside itself -> {"cycle": "list"|...};
#   a str with unpaired surrogates -> {"unpaired": backslash-escaped}; anything else ->
#   {"object": "module.Type", "repr": repr without " at 0x..." addresses}.
# Subclasses of int/float/str/list/tuple/dict/set serialize as their base type (Python compares them equal).

def canonical_text(tree):
    return json.dumps(tree, ensure_ascii=True, separators=(",", ":"))


def float_text(number):
    if number != number:
        return "nan"
    if number == 0:
        return "0.0"
    return repr(number)  # "inf", "-inf" or the shortest round-trip digits


def canonical(value, limit):
    budget = [limit]
    active = set()

    def spend(size):
        budget[0] -= size
        if budget[0] < 0:
            raise ValueTooLarge()

    def walk(item, depth):
        if depth > MAX_DEPTH:
            raise Unserializable("the value is nested deeper than %d levels" % MAX_DEPTH)
        if item is None or isinstance(item, bool):
            spend(5)
            return item
        if isinstance(item, int):
            item = int(item)
            bits = item.bit_length()
            spend(bits // 3 + 12)
            if bits < 53:
                return item
            if bits <= 16384:
                return {"int": str(item)}
            return {"int": ("-" if item < 0 else "") + "0x" + format(abs(item), "x")}
        if isinstance(item, float):
            spend(32)
            return {"float": float_text(float(item))}
        if isinstance(item, complex):
            spend(64)
            return {"complex": [float_text(item.real), float_text(item.imag)]}
        if isinstance(item, str):
            spend(len(item) + 2)
            text = str.__str__(item)
            try:
                text.encode("utf-8")
                return text
            except UnicodeEncodeError:
                return {"unpaired": text.encode("utf-8", "backslashreplace").decode("ascii")}
        if isinstance(item, (bytes, bytearray)):
            spend(2 * len(item) + 16)
            return {"bytearray" if isinstance(item, bytearray) else "bytes": bytes(item).hex()}
        if isinstance(item, (list, tuple, dict, set, frozenset)):
            kind = ("list" if isinstance(item, list) else "tuple" if isinstance(item, tuple) else
                    "dict" if isinstance(item, dict) else "frozenset" if isinstance(item, frozenset) else "set")
            if id(item) in active:
                spend(16)
                return {"cycle": kind}
            active.add(id(item))
            try:
                spend(2)
                if kind == "list":
                    return [walk(element, depth + 1) for element in list.__iter__(item)]
                if kind == "tuple":
                    return {"tuple": [walk(element, depth + 1) for element in tuple.__iter__(item)]}
                if kind == "dict":
                    pairs = [(walk(key, depth + 1), walk(entry, depth + 1)) for key, entry in dict.items(item)]
                    pairs.sort(key=lambda pair: canonical_text(pair[0]))
                    return {"dict": [[key, entry] for key, entry in pairs]}
                iterate = frozenset.__iter__ if kind == "frozenset" else set.__iter__
                elements = [walk(element, depth + 1) for element in iterate(item)]
                elements.sort(key=canonical_text)
                return {kind: elements}
            finally:
                active.discard(id(item))
        name = type_name(item)
        state = object_state(item)
        if state is not None:
            # An object without a repr of its own is what its attributes hold.
            spend(len(name) + 16)
            return {"object": name, "state": walk(state, depth + 1)}
        try:
            text = repr(item)
        except (ValueTooLarge, MemoryError):
            raise
        except BaseException as error:
            raise Unserializable("repr() of %s raised %s: %s" % (name, type_name(error), short(error)))
        if not isinstance(text, str):
            raise Unserializable("repr() of %s returned %s, not str" % (name, type(text).__name__))
        spend(len(text) + len(name) + 24)
        return {"object": name, "repr": ADDRESS.sub("", text)}

    try:
        return canonical_text(walk(value, 0))
    except RecursionError:
        raise Unserializable("the value is nested too deeply to serialize")


def object_state(item):
    """The attributes of an instance of a class with the default repr (its __dict__ and __slots__ values), as a dict;
    None for anything else (builtins, classes, functions, modules, objects with a repr of their own)."""
    kind = type(item)
    if kind.__repr__ is not object.__repr__ or isinstance(item, (type, types.FunctionType, types.BuiltinFunctionType,
                                                                 types.MethodType, types.ModuleType)):
        return None
    if kind.__module__ == "builtins":
        return None
    state = {}
    try:
        attributes = object.__getattribute__(item, "__dict__")
        if isinstance(attributes, dict):
            state.update(dict.items(attributes))
    except AttributeError:
        pass
    for klass in kind.__mro__:
        slots = klass.__dict__.get("__slots__", ())
        for slot in [slots] if isinstance(slots, str) else slots:
            if slot in ("__dict__", "__weakref__"):
                continue
            try:
                state[slot] = object.__getattribute__(item, slot)
            except AttributeError:
                pass
    return state


def short(error, limit=2000):
    try:
        text = str(error)
    except BaseException:
        text = "<str() of the exception failed>"
    return text if len(text) <= limit else text[:limit] + "... (%d characters)" % len(text)


def type_name(thing):
    kind = type(thing)
    return kind.__qualname__ if kind.__module__ == "builtins" else "%s.%s" % (kind.__module__, kind.__qualname__)

"""#
}
