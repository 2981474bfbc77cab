// The supervisor's child side: one forked process per call sets up its environment variant and limits, loads the
// function (exec'd code or an imported module), calls it, optionally traced, and writes one JSON result.
extension SupervisorScript {
    static let childSide = #"""
# --- the child: one input ---------------------------------------------------------------------

# Where calls run: the sandbox's /tmp under bubblewrap, the private work directory in unsafe mode.
HOME_DIRECTORY = os.getcwd()
GENERATOR_FLAGS = 0x20 | 0x80 | 0x200  # CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR
RESUME = opcode.opmap.get("RESUME")
YIELD_VALUE = opcode.opmap["YIELD_VALUE"]
COVERAGE_LIMIT = 20000  # arcs reported per call; past it the report says truncated


def parse_input(literal):
    """(init, before, args, kwargs): a tuple is the positional arguments; {'args': (...), 'kwargs': {...}} adds keywords,
    'init': {'args': ..., 'kwargs': ...} the constructor's arguments of an instance method's object, and 'before': a
    list of such calls made on that object first (a sequence: the last call's return is the result, the object's
    state after all of them its state); anything else is one argument. init is None when no object is built.
    A whole class's test, {'init': ..., 'calls': [{'method': name, 'args': ..., 'kwargs': ...}, ...]}, gives
    (init, calls, None, None): calls are (name, args, kwargs) and every return is the result."""
    value = ast.literal_eval(literal.strip())
    if isinstance(value, tuple):
        return None, [], value, {}
    if isinstance(value, dict) and "calls" in value:
        if not set(value) <= {"init", "calls"}:
            raise ValueError("a class's test has only 'init' and 'calls'")
        init = value.get("init", {"args": (), "kwargs": {}})
        if not (isinstance(init, dict) and set(init) <= {"args", "kwargs"}):
            raise ValueError("'init' must be a dict with 'args' and 'kwargs'")
        calls = value["calls"]
        if not isinstance(calls, list) or not calls or not all(
                isinstance(c, dict) and set(c) <= {"method", "args", "kwargs"} and isinstance(c.get("method"), str)
                and c["method"].isidentifier() and not c["method"].startswith("__") for c in calls):
            raise ValueError("'calls' must be a non-empty list of dicts with a 'method' name, 'args' and 'kwargs'")
        calls = [(c["method"],) + checked_call(c.get("args", ()), c.get("kwargs", {})) for c in calls]
        return checked_call(init.get("args", ()), init.get("kwargs", {})), calls, None, None
    if isinstance(value, dict) and value and set(value) <= {"args", "kwargs", "init", "before"}:
        init = None
        if "init" in value:
            init = value["init"]
            if not (isinstance(init, dict) and set(init) <= {"args", "kwargs"}):
                raise ValueError("'init' must be a dict with 'args' and 'kwargs'")
            init = checked_call(init.get("args", ()), init.get("kwargs", {}))
        before = value.get("before", [])
        if not isinstance(before, list) or not all(isinstance(c, dict) and set(c) <= {"args", "kwargs"} for c in before):
            raise ValueError("'before' must be a list of dicts with 'args' and 'kwargs'")
        if before and init is None:
            raise ValueError("'before' needs an object: calls in sequence are made on what 'init' builds")
        before = [checked_call(c.get("args", ()), c.get("kwargs", {})) for c in before]
        return (init, before) + checked_call(value.get("args", ()), value.get("kwargs", {}))
    return None, [], (value,), {}


def checked_call(arguments, keywords):
    if not isinstance(arguments, tuple) or not isinstance(keywords, dict) or not all(isinstance(k, str) for k in keywords):
        raise ValueError("'args' must be a tuple and 'kwargs' a dict with str keys")
    return arguments, keywords


def error_payload(status, kind, message):
    return {"status": status, "error": {"type": kind, "message": message}}


def exception_payload(error):
    if isinstance(error, MemoryError):
        return error_payload("memory", "MemoryError", short(error))
    return error_payload("raised", type_name(error), short(error))


def enter_environment(variant, result_write):
    """Variants differ in what code should not depend on (TZ and host name are set when the sandbox starts).
    Variant 0: no descriptor above 2 but the result pipe, which moves to the highest number allowed so low
    numbers are free; cwd the home directory. Variant 1: descriptors 3..12 open on /dev/null; cwd a directory
    further down. Returns the result pipe's descriptor."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    high = (soft if 16 <= soft <= 1 << 16 else 1024) - 1
    if result_write != high:
        os.dup2(result_write, high, inheritable=False)
    os.closerange(3, high)
    directory = HOME_DIRECTORY
    if variant == 1:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in range(3, 13):
            if fd != null:
                os.dup2(null, fd)
        if null > 12:
            os.close(null)
        directory = os.path.join(HOME_DIRECTORY, "elsewhere", "w")
        os.makedirs(directory, exist_ok=True)  # the supervisor empties /tmp after every call
    os.chdir(directory)
    return high


def load_entry(request, code):
    """The function to call, the class it belongs to (None for a top-level function), and the file its code
    objects name (what tracing follows). An entry point `Class.name` is a method of a top-level class."""
    module = request.get("module")
    # A whole class as the sample (`class Name`): the class is what is called, to build the object.
    whole_class = request["entry"].startswith("class ")
    owner_name, _, name = ("", "", request["entry"][6:]) if whole_class else request["entry"].rpartition(".")
    if module:
        root = module.get("root")
        if root:
            sys.path.insert(0, root)
            # A module named like one the supervisor already imported (a user's numbers.py, say) must be the
            # user's: forget same-named modules loaded from elsewhere (this child only).
            top = module["name"].split(".")[0]
            for loaded_name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
                origin = getattr(sys.modules[loaded_name], "__file__", None) or ""
                if not origin.startswith(root.rstrip("/") + "/"):
                    del sys.modules[loaded_name]
        # Imported under its real dotted name, so relative imports resolve and module-level code runs here.
        loaded = importlib.import_module(module["name"])
        scope = vars(loaded)
        filename = getattr(loaded, "__file__", None)
        where = "module %s has no attribute %r" % (module["name"], request["entry"])
    else:
        # Extracted code imports its own package absolutely (`from pkg.util import x`): the source roots come last,
        # after the standard library.
        for path in request.get("paths", []):
            if path not in sys.path:
                sys.path.append(path)
        scope = {"__name__": "__solution__", "__builtins__": builtins}
        exec(code, scope)
        filename = "<solution>"
        where = "the code defines no function named %r" % request["entry"]
    owner = scope.get(owner_name) if owner_name else None
    if owner_name and not isinstance(owner, type):
        raise NameError("%s: no class %r" % (where, owner_name))
    function = getattr(owner, name, None) if owner is not None else scope.get(name)
    if function is None:
        raise NameError(where)
    if whole_class and not isinstance(function, type):
        raise TypeError("%r is a %s, not a class" % (name, type_name(function)))
    if not callable(function):
        raise TypeError("%r is a %s, not a function" % (request["entry"], type_name(function)))
    return function, owner, filename


class Coverage:
    """Lines and arcs of the frames whose code comes from one file, as coverage.py records them: per frame,
    entering is the arc (-first line of the code, line) and leaving (line, -first line), so a branch not
    taken on the last line still shows, or (line, 0) when an exception leaves it; a generator's yield and
    resumption are neither."""

    def __init__(self, filename):
        self.filename = filename
        self.arcs = set()
        self.bytecode = {}

    def instructions(self, code):
        found = self.bytecode.get(code)
        if found is None:
            found = self.bytecode[code] = code.co_code  # 3.11 builds a new bytes object on every access
        return found

    def resumed(self, frame):
        if RESUME is None:
            return frame.f_lasti >= 0
        code, at = self.instructions(frame.f_code), frame.f_lasti
        return 0 <= at < len(code) - 1 and code[at] == RESUME and code[at + 1] != 0

    def suspended(self, frame):
        code, at = self.instructions(frame.f_code), frame.f_lasti
        return 0 <= at < len(code) and code[at] == YIELD_VALUE

    def start(self, frame, event, arg):
        code = frame.f_code
        # Arcs follow the code's control flow, so their count is bounded by its size; new frames stop at the cap.
        if code.co_filename != self.filename or len(self.arcs) > COVERAGE_LIMIT:
            return None
        first = code.co_firstlineno
        resumable = code.co_flags & GENERATOR_FLAGS
        last = frame.f_lineno if resumable and self.resumed(frame) else -first
        add = self.arcs.add

        # Every line event costs a Python call (about 10x a tight loop's time): keep it to one set insertion.
        # A frame left by an exception (one not caught before the next line) leaves by the arc (line, 0).
        raising = False

        def step(frame, event, arg):
            nonlocal last, raising
            if event == "line":
                line = frame.f_lineno
                add((last, line))
                last = line
                raising = False
            elif event == "exception":
                raising = True
            elif event == "return" and not (resumable and self.suspended(frame)):
                add((last, 0 if raising else -first))
            return step

        return step

    def report(self):
        arcs = sorted(self.arcs)
        truncated = len(arcs) > COVERAGE_LIMIT
        arcs = arcs[:COVERAGE_LIMIT]
        # Every executed line is the end of the arc that reached it.
        lines = sorted({end for _, end in arcs if end > 0})
        return {"lines": lines, "arcs": [list(arc) for arc in arcs], "truncated": truncated}


def invoke(function, arguments, keywords, coverage):
    """(value, None, True) on return, (None, error, True) when the function raised, (None, error, False) when the
    call could not bind: a TypeError from the call itself, before any frame of the function ran, so its
    traceback ends in this frame (also true of C callables such as lru_cache or partial wrappers)."""
    if coverage is not None:
        sys.settrace(coverage.start)
    try:
        return function(*arguments, **keywords), None, True
    except BaseException as error:
        trace = error.__traceback__
        return None, error, not (isinstance(error, TypeError) and trace is not None and trace.tb_next is None)
    finally:
        sys.settrace(None)


def arguments_after(arguments, keywords, limit):
    """Canonical text of (args tuple, kwargs dict) after the call; None when it cannot be serialized (a repr that
    raises, nesting past the depth limit, or past the value size limit), which is not the call's failure."""
    try:
        return canonical((tuple(arguments), dict(keywords)), limit)
    except (ValueTooLarge, Unserializable, MemoryError, RecursionError):
        return None


def whole_class_calls(request, cls, init, calls, filename):
    """A class's test: build the object, make the calls in order. The result is the list of returns, the object's
    state after them its state; a call that raises ends the test with that exception. (payload, extras)."""
    extras = {}
    if not isinstance(cls, type) or not request["entry"].startswith("class "):
        return error_payload("bad-call", "TypeError", "the input makes calls on an object, but %r is not a class" % request["entry"]), extras
    try:
        receiver = cls(*init[0], **init[1])
    except BaseException as error:
        return error_payload("bad-call", type_name(error), "the object could not be built: %s" % short(error)), extras
    built = arguments_after((receiver,), {}, request["value_limit"])
    coverage = Coverage(filename) if request.get("trace") and filename else None
    values, failure = [], None
    for position, (name, arguments, keywords) in enumerate(calls):
        method = getattr(receiver, name, None)
        if not callable(method):
            return error_payload("bad-call", "AttributeError", "call %d: the object has no method %r" % (position + 1, name)), extras
        value, error, bound = invoke(method, arguments, keywords, coverage)
        if not bound:
            return error_payload("bad-call", "TypeError", "call %d (%s): %s" % (position + 1, name, short(error))), extras
        if error is not None:
            failure = exception_payload(error)
            break
        values.append(value)
    if coverage is not None:
        extras["coverage"] = coverage.report()
    after = arguments_after((receiver,), {}, request["value_limit"])
    if after is not None:
        extras["argumentsAfter"] = after
        if built is not None:
            extras["argumentsChanged"] = after != built
    if failure is not None:
        return failure, extras
    return {"status": "ok", "value": canonical(values, request["value_limit"])}, extras


def child(request, code, literal, pipes):
    """Runs in the forked child; never returns."""
    own_pid = os.getpid()
    random.seed()  # fresh entropy per call: forked children would otherwise repeat the supervisor's sequence
    payload = None
    extras = {}
    result_write = pipes["result"]
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(pipes["stdout"], 1)
        os.dup2(pipes["stderr"], 2)
        result_write = enter_environment(request["variant"], result_write)
        LIBC.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # the call's own process behaves as any other (its /proc files are its own)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if not ISOLATED:
            os.setpgid(0, 0)
        # A backstop: the supervisor ends the call at its CPU budget by polling, this if it cannot.
        cpu = math.ceil(request["timeout"]) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (request["memory"], request["memory"]))
        resource.setrlimit(resource.RLIMIT_NPROC, (request["processes"], request["processes"]))
        sys.stdout, sys.stderr = CHILD_STREAMS
        try:
            init, earlier, arguments, keywords = parse_input(literal)
        except BaseException as error:
            payload = error_payload("raised", "InvalidInput", "%s: %s" % (type_name(error), short(error)))
            return
        function, owner, filename = load_entry(request, code)
        if arguments is None:
            payload, extras = whole_class_calls(request, function, init, earlier, filename)
            return
        if request["entry"].startswith("class "):
            payload = error_payload("bad-call", "TypeError", "a class's test is {'init': ..., 'calls': [...]}, not a call of the class")
            return
        if init is not None:
            # An instance method: its object is built first, and is the first argument (its state an output).
            if owner is None:
                payload = error_payload("bad-call", "TypeError", "the input builds an object, but %r is not a method" % request["entry"])
                return
            try:
                receiver = owner(*init[0], **init[1])
            except BaseException as error:
                payload = error_payload("bad-call", type_name(error), "the object could not be built: %s" % short(error))
                return
            arguments = (receiver,) + tuple(arguments)
        before = arguments_after(arguments, keywords, request["value_limit"])
        coverage = Coverage(filename) if request.get("trace") and filename else None
        # A sequence: the earlier calls change the object the last one is made on; one that raises ends the test.
        for position, (earlier_arguments, earlier_keywords) in enumerate(earlier):
            _, error, bound = invoke(function, (receiver,) + tuple(earlier_arguments), earlier_keywords, coverage)
            if not bound:
                payload = error_payload("bad-call", "TypeError", "call %d of the sequence: %s" % (position + 1, short(error)))
                return
            if error is not None:
                payload = exception_payload(error)
                return
        value, error, bound = invoke(function, arguments, keywords, coverage)
        if not bound:
            payload = error_payload("bad-call", "TypeError", short(error))
            return
        if coverage is not None:
            extras["coverage"] = coverage.report()
        after = arguments_after(arguments, keywords, request["value_limit"])
        if after is not None:
            extras["argumentsAfter"] = after
            if before is not None:
                extras["argumentsChanged"] = after != before
        if error is not None:
            payload = exception_payload(error)
            return
        payload = {"status": "ok", "value": canonical(value, request["value_limit"])}
    except ValueTooLarge:
        payload = error_payload("output-limit", "ValueTooLarge", "the return value serializes to more than %d bytes" % request["value_limit"])
    except Unserializable as error:
        payload = error_payload("raised", "UnserializableValue", short(error))
    except BaseException as error:
        payload = exception_payload(error)
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
            payload.update(extras)
            data = (json.dumps(payload, ensure_ascii=True, separators=(",", ":")) + "\n").encode()
            view = memoryview(data)
            while view:
                view = view[os.write(result_write, view):]
        except MemoryError:
            os.write(result_write, b'{"status":"memory","error":{"type":"MemoryError","message":"while reporting the result"}}\n')
        except BaseException:
            pass
        os._exit(0)

"""#
}
