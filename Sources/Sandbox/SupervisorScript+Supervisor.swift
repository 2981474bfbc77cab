// The supervisor's own loop: forks a child per call, watches its CPU time (the budget) and wall time (a backstop),
// collects its output and result, kills whatever it left behind and reports one JSON line per call.
extension SupervisorScript {
    static let supervisorSide = #"""
# --- the supervisor ---------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CPU_POLL_SECONDS = 0.02


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
    """kill(-1) reaches every process of our uid but the supervisor (PID 1 of its namespace under bubblewrap);
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


def cpu_used(stat_fd):
    """CPU seconds of the call's process, all its threads and the children it reaped (utime, stime, cutime,
    cstime of /proc/PID/stat; clock-tick resolution), or 0 when it cannot be read."""
    try:
        data = os.pread(stat_fd, 4096, 0)
        fields = data[data.rindex(b")") + 2:].split()
        return sum(int(field) for field in fields[11:15]) / CLOCK_TICKS
    except (OSError, ValueError):
        return 0.0


def run_input(request, code, literal):
    budget = request["timeout"]
    wall_limit = request["wall_timeout"]
    capture_limit = request["capture"]
    output_limit = request["output_limit"]
    # The value, the arguments after the call (each within the value limit) and the coverage report.
    result_cap = 2 * request["value_limit"] + (1 << 20)
    pipes = {}
    own = []
    for name in ("stdout", "stderr", "result"):
        read_end, write_end = os.pipe()
        pipes[name] = write_end
        own.append(read_end)
    started = time.monotonic()
    pid = fork_retrying(None)
    if pid == 0:
        child(request, code, literal, pipes)
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
    try:
        stat_fd = os.open("/proc/%d/stat" % pid, os.O_RDONLY)
    except OSError:
        stat_fd = None  # already gone: its rusage below still counts
    poller = select.poll()
    for fd in own + [pidfd]:
        poller.register(fd, select.POLLIN)
    open_fds = set(own)
    reason = None
    exited = False
    deadline = started + wall_limit
    next_check = started if stat_fd is not None else float("inf")

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
        now = time.monotonic()
        if now >= deadline:
            reason = "wall"
            break
        if now >= next_check:
            next_check = now + CPU_POLL_SECONDS
            if cpu_used(stat_fd) >= budget:
                reason = "cpu"
                break
        wait = min(deadline, next_check) - now
        for fd, _ in poller.poll(max(1, int(wait * 1000 + 0.5))):
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
    _, wait_status, usage = os.wait4(pid, 0)
    cpu_seconds = usage.ru_utime + usage.ru_stime
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
    if stat_fd is not None:
        os.close(stat_fd)
    reap_nohang()

    result = {"stdout": captured(chunks[stdout_read], capture_limit),
              "stderr": captured(chunks[stderr_read], capture_limit), "seconds": seconds, "cpuSeconds": cpu_seconds}
    raw = b"".join(chunks[result_read])
    payload = None
    if raw and kept[result_read] <= result_cap:
        try:
            payload = json.loads(raw.split(b"\n", 1)[0])
        except ValueError:
            payload = None
    signaled = os.WIFSIGNALED(wait_status)
    number = os.WTERMSIG(wait_status) if signaled else 0
    # Over budget is a timeout whoever noticed first (the poll, RLIMIT_CPU), so load cannot change the status.
    over_budget = cpu_seconds >= budget or number == signal.SIGXCPU
    if reason == "output-limit":
        result.update(error_payload("output-limit", "OutputLimit", "stdout and stderr exceeded %d bytes" % output_limit))
    elif reason == "cpu" or over_budget:
        result.update(error_payload("timeout", "CPUTime", "the call used more than %g CPU seconds" % budget))
    elif reason == "wall":
        result.update(error_payload("timeout", "WallClock", "no result within %g wall-clock seconds" % wall_limit))
    elif signaled and number == signal.SIGSYS:
        result.update(error_payload("forbidden", "ForbiddenSystemCall",
                                    "the code made a system call the sandbox refuses (tracing or reading other processes, io_uring, "
                                    "keys, bpf, perf events, userfaultfd, mounts, namespaces, modules, the clock, reboot)"))
    elif isinstance(payload, dict) and payload.get("status") in ("ok", "raised", "bad-call", "memory", "output-limit", "crashed"):
        result.update(payload)
    elif signaled:
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "signal %d" % number
        message = "the process was killed by %s" % name
        if number == signal.SIGKILL and SANDBOX_BUDGET:
            message += ": most likely the kernel's, when the call's processes together passed the sandbox's %d MiB" % SANDBOX_BUDGET
        result.update(error_payload("killed", name, message))
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
        code = None
        if not request.get("module"):
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
                result = {"status": "raised", "error": failure, "stdout": "", "stderr": "", "seconds": 0.0, "cpuSeconds": 0.0}
            else:
                result = run_input(request, code, literal)
            result["index"] = index
            emit({"result": result})
        emit({"done": True, "cpu": cpu_seconds() - cpu_before})


main()
"""#
}
