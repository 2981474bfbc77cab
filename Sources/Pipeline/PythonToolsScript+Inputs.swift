// The Python side of test inputs: binding calls to the signature, spotting copies of the prompt's examples,
// deriving inputs from working ones, and the lines and decisions line tracing can cover.
extension PythonToolsScript {
    static let inputs = #"""
# --- binding and copies ------------------------------------------------------------------------

def literal_call(literal):
    """(args, kwargs) of a test input; an instance method's constructor arguments are left out."""
    return literal_parts(literal)[1:]


def telling(value):
    """A value that points at its source when copied: a non-empty string or container (not `''`, `[]` or `3`)."""
    return isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)) and len(value) > 0


def example_values(examples):
    """Argument tuples (those with a telling value) and long strings of the prompt's few-shot calls."""
    tuples, strings = set(), set()
    for line in examples:
        parsed = call_arguments(line, None)
        if parsed is None:
            continue
        args, kwargs = literal_call(parsed[1])
        if any(telling(v) for v in list(args) + list(kwargs.values())):
            tuples.add(repr(args + tuple(sorted(kwargs.items()))))
        for value in list(args) + list(kwargs.values()):
            if isinstance(value, str) and len(value.strip()) >= 5:
                strings.add(value)
    return tuples, strings


def check_calls(code, entry, literals, examples):
    """For each call: None when it binds to the signature (and an instance method's object to its constructor) and
    is not copied from a prompt example, else [reason, detail]."""
    if whole_class_name(entry):
        return check_class_calls(code, entry, literals)
    tree, fn = entry_function(code, entry)
    kind = entry_kind(find_entry(tree, entry)[0], fn) if fn is not None else None
    signature = python_signature(fn, bound_parameters(fn, kind)) if fn is not None else None
    init_signature = None
    if kind == "instance":
        init_params = constructor_parameters(tree, find_entry(tree, entry)[0])
        init_signature = python_signature(None, init_params) if init_params is not None else None
    tuples, strings = example_values(examples)
    out = []
    for literal in literals:
        try:
            init, args, kwargs = literal_parts(literal)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as error:
            out.append(["unreadable-input", str(error)[:200]])
            continue
        if kind == "instance" and init is None:
            out.append(["no-object", "a call of an instance method builds its object first: Class(...).method(...)"])
            continue
        if kind not in ("instance", None) and init is not None:
            out.append(["not-an-instance-method", "%s is called on its class, not on an object" % entry])
            continue
        try:
            if init is not None and init_signature is not None:
                try:
                    init_signature.bind(*init[0], **init[1])
                except TypeError as error:
                    raise TypeError("constructor: %s" % error)
            if signature is not None:
                signature.bind(*args, **kwargs)
        except TypeError as error:
            out.append(["does-not-bind", str(error)])
            continue
        if repr(args + tuple(sorted(kwargs.items()))) in tuples:
            out.append(["copied-from-example", "the same arguments as a call in the prompt's examples"])
            continue
        given = list(args) + list(kwargs.values()) + (list(init[0]) + list(init[1].values()) if init else [])
        copied = [v for v in given if isinstance(v, str) and v in strings]
        if copied:
            out.append(["copied-from-example", "the string %r comes from the prompt's examples" % copied[0][:60]])
            continue
        out.append(None)
    return out


# --- derived inputs ----------------------------------------------------------------------------

def literal_text(value):
    """repr, with set items in a fixed order: the tools run with a random hash seed, and the same input must
    always be written the same way."""
    if isinstance(value, (set, frozenset)):
        if not value:
            return "set()" if isinstance(value, set) else "frozenset()"
        items = "{" + ", ".join(sorted(literal_text(item) for item in value)) + "}"
        return items if isinstance(value, set) else "frozenset(%s)" % items
    if isinstance(value, list):
        return "[" + ", ".join(literal_text(item) for item in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(literal_text(item) for item in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join("%s: %s" % (literal_text(k), literal_text(v)) for k, v in value.items()) + "}"
    return repr(value)


def code_constants(code, entry):
    """Short strings and small numbers the entry point compares against or uses: inputs built from them reach
    the branches they guard (`s[-1] == 'y'`, `n > 100`)."""
    tree, fn = entry_function(code, entry)
    if fn is None:
        return []
    found = []
    docstring = fn.body[0].value if fn.body and isinstance(fn.body[0], ast.Expr) else None
    for node in ast.walk(fn):
        if isinstance(node, ast.Constant) and node is not docstring:
            value = node.value
            if isinstance(value, str) and 0 < len(value) <= 12 and value not in found:
                found.append(value)
            elif type(value) in (int, float) and abs(value) <= 10 ** 6 and value not in found:
                found.append(value)
    return found[:12]


def mutations(value, constants=()):
    """Nearby and boundary values of the same type, and values built from the code's own constants: what a
    tester tries after one input works."""
    try:
        return base_mutations(value) + constant_mutations(value, constants)
    except (ArithmeticError, ValueError, MemoryError, RecursionError):
        return []


def constant_mutations(value, constants):
    out = []
    for constant in constants:
        if isinstance(value, str) and isinstance(constant, str):
            out += [value + constant, constant + value, constant]
        elif type(value) is int and type(constant) is int:
            out += [constant, constant - 1, constant + 1]
        elif type(value) is float and type(constant) in (int, float):
            out += [float(constant)]
    return out


def base_mutations(value):
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [0, 1, -1, value + 0.5, value + 1, value - 1, -value, value * 3 + 1, 100]
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return [0.0, 1.5]
        return [0.0, -value, value + 0.5, value * 2, 1e-3, 1.0]
    if isinstance(value, str):
        out = ["", value[:1], value[::-1], value + value, value.upper(), value.lower(), " " + value + " ",
               "é" + value[1:], value[1:], "a b", "123"]
        if value:
            out.append((value * (1 + 120 // len(value)))[:120])
        return out
    if isinstance(value, bytes):
        return [b"", value[:1], value[::-1], value + value]
    if isinstance(value, (list, tuple)):
        kind = type(value)
        out = [kind(), kind(value[:1]), kind(value[::-1]), kind(list(value) + list(value)), kind(value[:-1]),
               kind(value[1:])]
        if value:
            out.append(kind(list(value) + [value[-1]]))
            if all(type(item) in (int, float) for item in value):
                out.append(kind(-item for item in value))
            for index in (0, len(value) - 1):
                for changed in base_mutations(value[index])[:4]:
                    items = list(value)
                    items[index] = changed
                    out.append(kind(items))
            try:
                out.append(kind(sorted(value)))
            except TypeError:
                pass
        return out
    if isinstance(value, dict):
        out = [{}]
        keys = list(value)
        if keys:
            out.append({k: v for k, v in value.items() if k != keys[0]})
            out.append({k: v for k, v in value.items() if k != keys[-1]})
            for changed in base_mutations(value[keys[0]])[:4]:
                out.append({**value, keys[0]: changed})
            extra = keys[-1] + "x" if isinstance(keys[-1], str) else keys[-1] + 1 if isinstance(keys[-1], int) else None
            if extra is not None and extra not in value:
                out.append({**value, extra: value[keys[-1]]})
        return out
    if isinstance(value, (set, frozenset)):
        kind = type(value)
        out = [kind()]
        items = sorted(value, key=repr)
        if items:
            out.append(kind(items[1:]))
            for changed in base_mutations(items[0])[:3]:
                try:
                    out.append(kind(items + [changed]))
                except TypeError:
                    pass
        return out
    return []


def derive(seeds, params, limit, constants=(), entry=""):
    """Candidate inputs made from inputs that work: one argument changed at a time (an instance method's
    constructor arguments too, labelled `init:name`: another object is another test). A change is new when its
    argument has not yet been given that value; new changes of every argument come first, interleaved, so the
    first candidates already try each argument's boundary values once before any is tried twice. A whole class's
    tests grow by sequences instead (class_sequences)."""
    if whole_class_name(entry):
        return []
    def positional_names(role):
        return [p["name"] for p in params if p["kind"] in ("positional-only", "positional") and p.get("role") == role]
    positional, init_positional = positional_names(None), positional_names("init")
    seen, parsed = set(), []
    for seed in seeds:
        try:
            init, args, kwargs = literal_parts(seed)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        parsed.append((init, args, kwargs))
        seen.add(value_forms(entry, args, kwargs, init)[1])

    def label_of(names, where, key, prefix):
        if where == "kw":
            return prefix + key
        return prefix + (names[key] if key < len(names) else "*args[%d]" % key)

    fresh, repeated = {}, {}
    tried_values = set()
    for init, args, kwargs in parsed:
        # (which call, positional or keyword, key, current value, label)
        slots = [("call", "arg", i, args[i], label_of(positional, "arg", i, "")) for i in range(len(args))] \
            + [("call", "kw", k, kwargs[k], k) for k in kwargs]
        if init is not None:
            slots += [("init", "arg", i, init[0][i], label_of(init_positional, "arg", i, "init:")) for i in range(len(init[0]))] \
                + [("init", "kw", k, init[1][k], "init:" + k) for k in init[1]]
        for call, where, key, original, label in slots:
            for changed in mutations(original, constants):
                if type(changed) is type(original) and repr(changed) == repr(original):
                    continue
                if call == "call":
                    new_init, (new_args, new_kwargs) = init, replaced((args, kwargs), where, key, changed)
                else:
                    new_init, new_args, new_kwargs = replaced(init, where, key, changed), args, kwargs
                literal = value_forms(entry, new_args, new_kwargs, new_init)
                if len(literal[1]) > 4000 or literal[1] in seen:
                    continue
                try:
                    ast.literal_eval(literal[1])
                except (ValueError, SyntaxError, MemoryError, RecursionError):
                    continue
                seen.add(literal[1])
                value_key = (label, type(changed).__name__, repr(changed))
                target = repeated if value_key in tried_values else fresh
                tried_values.add(value_key)
                target.setdefault(label, []).append({"display": literal[0], "literal": literal[1],
                                                     "how": "%s: %s -> %s" % (label, short_repr(original), short_repr(changed))})
    out = []
    for group in (fresh, repeated):
        queues = list(group.values())
        rank = 0
        while len(out) < limit and any(rank < len(queue) for queue in queues):
            for queue in queues:
                if rank < len(queue) and len(out) < limit:
                    out.append(queue[rank])
            rank += 1
    return out


def replaced(call, where, key, value):
    """(args, kwargs) with one positional or keyword argument given another value."""
    args, kwargs = call
    if where == "arg":
        return args[:key] + (value,) + args[key + 1:], kwargs
    return args, {**kwargs, key: value}


def short_repr(value, limit=40):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


# --- coverage map ------------------------------------------------------------------------------

def coverage_map(code, entry):
    """Statement lines of the entry point that line tracing reports (nested functions included; docstrings,
    `global` and `nonlocal` not) and its if/for/while decisions whose two ways tracing can tell apart, each with
    the first line of the function it belongs to (leaving that function is its only exit that counts)."""
    tree, fn = entry_function(code, entry)
    if fn is None:
        return None
    lines, branches = set(), []

    def first_line(function):
        return function.decorator_list[0].lineno if function.decorator_list else function.lineno

    def visit(function):
        body = function.body
        skip = body[0] if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str) else None
        pending = [statement for statement in body if statement is not skip]
        while pending:
            node = pending.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines.add(first_line(node))
                visit(node)
                continue
            if isinstance(node, ast.ClassDef) or not isinstance(node, ast.stmt):
                continue
            if not isinstance(node, (ast.Global, ast.Nonlocal)):
                lines.add(node.lineno)
            if isinstance(node, (ast.If, ast.While, ast.For, ast.AsyncFor)):
                header = node.test if isinstance(node, (ast.If, ast.While)) else node.iter
                endless = isinstance(node, ast.While) and isinstance(header, ast.Constant) and bool(header.value)
                if node.body[0].lineno > header.end_lineno and not endless:
                    branches.append({"line": node.lineno, "end": header.end_lineno, "body": node.body[0].lineno,
                                     "owner": first_line(function), "kind": type(node).__name__.lower().replace("async", "")})
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                for child in getattr(node, field, []) or []:
                    if isinstance(child, ast.ExceptHandler) or type(child).__name__ == "match_case":
                        pending.extend(child.body)
                    else:
                        pending.append(child)

    if isinstance(fn, ast.ClassDef):
        # A whole class: what its methods run (class-level statements ran when the class was defined).
        for node in fn.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines.add(first_line(node))
                visit(node)
    else:
        visit(fn)
    return {"lines": sorted(lines), "branches": sorted(branches, key=lambda b: b["line"])}


"""#
}
