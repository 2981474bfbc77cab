// The Python supervisor that runs inside the sandbox: forks one child per call, enforces per-call limits,
// serializes results canonically and reports JSON lines. Runs only under Debian's /usr/bin/python3 (stdlib only).
enum SupervisorScript {
    static let source = #"""
# semi-instruct sandbox supervisor: runs inside the sandbox, forks one child per input, reports JSON lines.
# argv: [-c, tag, mode] with mode "isolated" (bubblewrap), "dedicated-uid" (no namespaces, but a uid no other
# process uses) or "shared-uid" (no namespaces, the caller's uid). Requests arrive on stdin, one JSON object per
# line; events leave on stdout, one JSON object per line: {"ready"}, then per request {"start": i},
# {"result": {...}}, {"done"}.
import ast, builtins, json, os, re, resource, select, signal, sys, time
# Pre-imported so that every forked child finds them loaded (the common imports of generated code).
import bisect, cmath, collections, copy, datetime, decimal, fractions, functools, hashlib, heapq  # noqa
import itertools, math, operator, random, statistics, string, typing  # noqa

# Emptying /tmp is only safe inside a fresh PID namespace, where we are PID 2 under bwrap's init; kill(-1)
# also under a uid of our own (the executor gives each sandbox one when it runs as root).
MODE = sys.argv[2] if len(sys.argv) > 2 else "shared-uid"
ISOLATED = MODE == "isolated"
if ISOLATED and os.getpid() != 2:
    sys.stderr.write("supervisor: told it is isolated but runs as PID %d, not 2 in a new PID namespace\n" % os.getpid())
    sys.exit(3)
if MODE == "dedicated-uid" and os.getuid() < 100000:
    sys.stderr.write("supervisor: told its uid is its own but runs as uid %d\n" % os.getuid())
    sys.exit(3)
KILL_ALL = ISOLATED or MODE == "dedicated-uid"
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


def short(error, limit=2000):
    try:
        text = str(error)
    except BaseException:
        text = "<str() of the exception failed>"
    return text if len(text) <= limit else text[:limit] + "... (%d characters)" % len(text)


def type_name(thing):
    kind = type(thing)
    return kind.__qualname__ if kind.__module__ == "builtins" else "%s.%s" % (kind.__module__, kind.__qualname__)


# --- the child: one input ---------------------------------------------------------------------

def parse_input(literal):
    """A tuple is the positional arguments; {'args': (...), 'kwargs': {...}} adds keywords; anything else is one argument."""
    value = ast.literal_eval(literal.strip())
    if isinstance(value, tuple):
        return value, {}
    if isinstance(value, dict) and value and set(value) <= {"args", "kwargs"}:
        arguments = value.get("args", ())
        keywords = value.get("kwargs", {})
        if not isinstance(arguments, tuple) or not isinstance(keywords, dict) or not all(isinstance(k, str) for k in keywords):
            raise ValueError("'args' must be a tuple and 'kwargs' a dict with str keys")
        return arguments, keywords
    return (value,), {}


def error_payload(status, kind, message):
    return {"status": status, "error": {"type": kind, "message": message}}


def child(request, code, literal, inherited, pipes):
    """Runs in the forked child; never returns."""
    own_pid = os.getpid()
    random.seed()  # fresh entropy per call: forked children would otherwise repeat the supervisor's sequence
    payload = None
    result_write = pipes["result"]
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(pipes["stdout"], 1)
        os.dup2(pipes["stderr"], 2)
        for fd in inherited + [devnull, pipes["stdout"], pipes["stderr"]]:
            os.close(fd)
        if not ISOLATED:
            os.setpgid(0, 0)
        cpu = int(request["timeout"]) + 2
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_AS, (request["memory"], request["memory"]))
        resource.setrlimit(resource.RLIMIT_NPROC, (request["processes"], request["processes"]))
        sys.stdout, sys.stderr = CHILD_STREAMS
        try:
            arguments, keywords = parse_input(literal)
        except BaseException as error:
            payload = error_payload("raised", "InvalidInput", "%s: %s" % (type_name(error), short(error)))
            return
        namespace = {"__name__": "__solution__", "__builtins__": builtins}
        exec(code, namespace)
        function = namespace.get(request["entry"])
        if function is None:
            payload = error_payload("raised", "NameError", "the code defines no function named %r" % request["entry"])
            return
        if not callable(function):
            payload = error_payload("raised", "TypeError", "%r is a %s, not a function" % (request["entry"], type_name(function)))
            return
        value = function(*arguments, **keywords)
        payload = {"status": "ok", "value": canonical(value, request["value_limit"])}
    except ValueTooLarge:
        payload = error_payload("output-limit", "ValueTooLarge", "the return value serializes to more than %d bytes" % request["value_limit"])
    except MemoryError as error:
        payload = error_payload("memory", "MemoryError", short(error))
    except Unserializable as error:
        payload = error_payload("raised", "UnserializableValue", short(error))
    except BaseException as error:
        payload = error_payload("raised", type_name(error), short(error))
    finally:
        if os.getpid() != own_pid:
            os._exit(0)  # a process the code forked: only the child itself reports
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:
            pass
        try:
            if payload is None:
                payload = error_payload("crashed", "NoResult", "the child ended without a result")
            data = (json.dumps(payload, ensure_ascii=True, separators=(",", ":")) + "\n").encode()
            view = memoryview(data)
            while view:
                view = view[os.write(result_write, view):]
        except MemoryError:
            os.write(result_write, b'{"status":"memory","error":{"type":"MemoryError","message":"while reporting the result"}}\n')
        except BaseException:
            pass
        os._exit(0)


# --- the supervisor ---------------------------------------------------------------------------

def fork_retrying(pid_hint):
    """A fork bomb from the previous input may still hold the process limit for a moment."""
    for _ in range(400):
        try:
            return os.fork()
        except BlockingIOError:
            kill_everything_else(pid_hint)
            time.sleep(0.005)
    return os.fork()


def kill_everything_else(pid):
    """kill(-1) reaches every process of our uid but the supervisor (in the PID namespace also bwrap's init);
    under the caller's own uid only the child's process group is ours to kill."""
    if KILL_ALL:
        for _ in range(2000):
            try:
                os.kill(-1, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                return
            reap_nohang()
            time.sleep(0.0002)
    elif pid is not None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def reap_nohang():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def wipe(path):
    """Empty the sandbox's own tmpfs between inputs; never called outside the PID namespace."""
    try:
        names = os.listdir(path)
    except OSError:
        return
    for name in names:
        full = os.path.join(path, name)
        try:
            if os.path.isdir(full) and not os.path.islink(full):
                os.chmod(full, 0o700)
                wipe(full)
                os.rmdir(full)
            else:
                os.unlink(full)
        except OSError:
            pass


def captured(chunks, limit):
    data = b"".join(chunks)
    text = data[:limit].decode("utf-8", "replace")
    if len(data) > limit:
        text += "\n... (output cut at %d bytes)" % limit
    return text


def run_input(request, code, literal, protocol_fds):
    timeout = request["timeout"]
    capture_limit = request["capture"]
    output_limit = request["output_limit"]
    result_cap = request["value_limit"] + 65536
    pipes = {}
    own = []
    for name in ("stdout", "stderr", "result"):
        read_end, write_end = os.pipe()
        pipes[name] = write_end
        own.append(read_end)
    started = time.monotonic()
    pid = fork_retrying(None)
    if pid == 0:
        child(request, code, literal, protocol_fds + own, pipes)
    if not ISOLATED:
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass
    for write_end in pipes.values():
        os.close(write_end)
    stdout_read, stderr_read, result_read = own
    chunks = {fd: [] for fd in own}
    kept = {fd: 0 for fd in own}
    output_total = 0
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    for fd in own + [pidfd]:
        poller.register(fd, select.POLLIN)
    open_fds = set(own)
    reason = None
    exited = False
    deadline = started + timeout

    def take(fd, data):
        nonlocal output_total, reason
        if fd == result_read:
            if kept[fd] + len(data) <= result_cap:
                chunks[fd].append(data)
            kept[fd] += len(data)
            return
        output_total += len(data)
        if kept[fd] <= capture_limit:
            chunks[fd].append(data[:capture_limit + 1 - kept[fd]])
        kept[fd] += len(data)
        if output_total > output_limit:
            reason = "output-limit"

    while reason is None and not exited:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            reason = "timeout"
            break
        for fd, _ in poller.poll(max(1, int(remaining * 1000))):
            if fd == pidfd:
                exited = True
                continue
            data = os.read(fd, 1 << 16)
            if data:
                take(fd, data)
            else:
                poller.unregister(fd)
                open_fds.discard(fd)
    seconds = time.monotonic() - started
    if not exited:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, wait_status = os.waitpid(pid, 0)
    kill_everything_else(pid)
    # What the child wrote before it ended is still in the pipes; processes it left behind are gone.
    for fd in open_fds:
        os.set_blocking(fd, False)
        while reason != "output-limit":
            try:
                data = os.read(fd, 1 << 16)
            except BlockingIOError:
                break
            if not data:
                break
            take(fd, data)
    for fd in own + [pidfd]:
        os.close(fd)
    reap_nohang()

    result = {"stdout": captured(chunks[stdout_read], capture_limit),
              "stderr": captured(chunks[stderr_read], capture_limit), "seconds": seconds}
    raw = b"".join(chunks[result_read])
    payload = None
    if raw and kept[result_read] <= result_cap:
        try:
            payload = json.loads(raw.split(b"\n", 1)[0])
        except ValueError:
            payload = None
    if reason == "timeout":
        result.update(error_payload("timeout", "Timeout", "no result within %g seconds" % timeout))
    elif reason == "output-limit":
        result.update(error_payload("output-limit", "OutputLimit", "stdout and stderr exceeded %d bytes" % output_limit))
    elif isinstance(payload, dict) and payload.get("status") in ("ok", "raised", "memory", "output-limit", "crashed"):
        result.update(payload)
    elif os.WIFSIGNALED(wait_status):
        number = os.WTERMSIG(wait_status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "signal %d" % number
        if number == signal.SIGXCPU:
            result.update(error_payload("timeout", "SIGXCPU", "the CPU time limit was reached"))
        else:
            result.update(error_payload("killed", name, "the process was killed by %s" % name))
    elif raw:
        result.update(error_payload("crashed", "BadResult", "the child wrote an unreadable result"))
    else:
        status = os.WEXITSTATUS(wait_status) if os.WIFEXITED(wait_status) else -1
        result.update(error_payload("crashed", "Exit", "the process exited with status %d before returning" % status))
    if ISOLATED:
        wipe("/tmp")
        wipe("/dev/shm")
    return result


def main():
    request_file = os.fdopen(os.dup(0), "rb")
    protocol_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    protocol_fds = [request_file.fileno(), protocol_fd]

    def emit(event):
        data = (json.dumps(event, ensure_ascii=True, separators=(",", ":")) + "\n").encode()
        view = memoryview(data)
        while view:
            view = view[os.write(protocol_fd, view):]

    def cpu_seconds():
        own, calls = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + calls.ru_utime + calls.ru_stime

    emit({"ready": os.getpid()})
    for line in request_file:
        cpu_before = cpu_seconds()
        request = json.loads(line)
        first = request.get("first", 0)
        failure = None
        try:
            code = compile(request["code"], "<solution>", "exec", dont_inherit=True)
        except SyntaxError as error:
            failure = {"type": type_name(error), "message": "line %s: %s" % (error.lineno, error.msg)}
        except (ValueError, MemoryError, RecursionError) as error:
            failure = {"type": type_name(error), "message": short(error)}
        for offset, literal in enumerate(request["inputs"]):
            index = first + offset
            emit({"start": index})
            if failure is not None:
                result = {"status": "raised", "error": failure, "stdout": "", "stderr": "", "seconds": 0.0}
            else:
                result = run_input(request, code, literal, protocol_fds)
            result["index"] = index
            emit({"result": result})
        emit({"done": True, "cpu": cpu_seconds() - cpu_before})


main()
"""#
}
