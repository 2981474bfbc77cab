// The supervisor's child side: one forked process per call sets up its environment variant and limits, runs the
// code, calls the function and writes one JSON result.
extension SupervisorScript {
    static let childSide = #"""
# --- the child: one input ---------------------------------------------------------------------

# Where calls run: the sandbox's /tmp under bubblewrap, the private work directory in unsafe mode.
HOME_DIRECTORY = os.getcwd()


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


def child(request, code, literal, pipes):
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
        result_write = enter_environment(request["variant"], result_write)
        if not ISOLATED:
            os.setpgid(0, 0)
        # A backstop: the supervisor ends the call at its CPU budget by polling, this if it cannot.
        cpu = math.ceil(request["timeout"]) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
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


"""#
}
