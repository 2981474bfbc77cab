// The supervisor's child side: one forked process per call sets its limits, runs the code and calls the function,
// and writes one JSON result.
extension SupervisorScript {
    static let childSide = #"""
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


"""#
}
