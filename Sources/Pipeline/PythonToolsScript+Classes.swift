// The Python side of a whole class as one sample (`class Name`, a recipe choice): a small class is rewritten whole,
// and a test builds one object and calls several of its public methods in order; the returns and the object's state
// after the calls are its behaviour.
extension PythonToolsScript {
    static let classes = #"""
# --- a whole class as the sample ---------------------------------------------------------------

# A class is a sample of its own when tests can exercise it through a few public methods.
WHOLE_CLASS_METHODS = (2, 8)


def whole_class_name(entry):
    """The class of a whole-class entry point (`class Name`), else None."""
    return entry[6:] if entry and entry.startswith("class ") else None


def public_methods(owner):
    """What a test calls on a whole class's object: its public methods (static and class methods too), not
    properties or coroutines; the last definition of a name is the one Python keeps."""
    last = {}
    for node in owner.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") \
                and not decorator_names(node) & PROPERTY_DECORATORS \
                and (entry_kind(owner, node) == "static" or node.args.posonlyargs or node.args.args):
            last[node.name] = node
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            last.pop(node.name, None)
    return list(last.values())


def whole_class_item(tree, lines, body, index, stmt, definitions, module, max_lines):
    """The class with what it needs as one sample, or None when it is not one: abstract, built by a constructor
    from elsewhere, with too few or too many public methods to test through, or longer than `max_lines` formatted
    lines without docstrings (as prefilter measures a sample): its methods are samples then."""
    classes = {n.name: n for n in body if isinstance(n, ast.ClassDef)}
    if abstract_methods(stmt, classes) or constructor(tree, stmt)[0] == "unknown":
        return None
    low, high = WHOLE_CLASS_METHODS
    if not low <= len(public_methods(stmt)) <= high:
        return None
    if len(ast.unparse(strip_docstrings(ast.Module(body=[stmt], type_ignores=[]))).splitlines()) > max_lines:
        return None
    needed = dependencies(body, index, definitions)
    parts = ["".join(lines[body[i].lineno - 1:body[i].end_lineno]) for i in sorted(needed)]
    parts.append("".join(lines[statement_start(stmt) - 1:stmt.end_lineno]))
    return {"name": "class " + stmt.name, "line": statement_start(stmt), "kind": "whole-class",
            "code": absolute_imports("\n\n".join(p.rstrip("\n") + "\n" for p in parts), module)}


def whole_class_signatures(owner):
    """Each public method's signature as a caller sees it."""
    return {m.name: bound_signature(m, entry_kind(owner, m)) for m in public_methods(owner)}


def constructor_signature(tree, owner):
    """The constructor's signature as a caller sees it; None when it comes from elsewhere."""
    how, node = constructor(tree, owner)
    if how == "def":
        return bound_signature(node, "instance")
    if how == "fields":
        return {"positional": [f["name"] for f in node], "vararg": None, "kwonly": [], "kwarg": None,
                "defaults": sum(f["default"] is not None for f in node)}
    if how == "none":
        return {"positional": [], "vararg": None, "kwonly": [], "kwarg": None, "defaults": 0}
    return None


def class_parameters(code, entry):
    """Every public method's parameters (role "method", with the method's name), then the constructor's (role
    "init"; one var-positional `args` when the constructor comes from elsewhere)."""
    tree, owner = entry_function(code, entry)
    if owner is None:
        return None
    out = []
    for method in public_methods(owner):
        for p in infer_parameters(code, "%s.%s" % (owner.name, method.name)) or []:
            if p.get("role") != "init":
                out.append(dict(p, role="method", method=method.name))
    init = constructor_parameters(tree, owner)
    if init is None:
        init = [{"name": "args", "kind": "var-positional", "default": None, "annotation": None, "kinds": [],
                 "element": None, "evidence": ["the constructor comes from a base class defined elsewhere"]}]
    return out + [dict(p, role="init") for p in init]


def class_probes(params, entry, methods):
    """Each public method called once on an object built from the constructor's most likely kinds, trying each of
    its parameters with each plausible kind (labelled `method.name`); the constructor's parameters are varied with
    the first method only (labelled `init:name`)."""
    name = whole_class_name(entry)
    init = [p for p in params if p.get("role") == "init"]
    out, seen = [], set()
    for position, method in enumerate(methods):
        own = [dict(p, role=None) for p in params if p.get("method") == method]
        for index, call in enumerate(probes(own + init, "%s.%s" % (name, method), instance=True, per_parameter=4)):
            # The first call is the base one; later ones that vary only the constructor were made for the first method.
            if position > 0 and index > 0 and all(label[0].startswith("init:") for label in call["labels"]):
                continue
            parts = literal_parts(call["literal"])
            display, literal = class_value_forms(name, parts[0], [(method, parts[1], parts[2])])
            if literal in seen:
                continue
            seen.add(literal)
            labels = [label if label[0].startswith("init:") else ["%s.%s" % (method, label[0]), label[1]] for label in call["labels"]]
            out.append({"display": display, "literal": literal, "labels": labels})
    return out


def class_forms(name, init, calls):
    """[display, literal] of a whole class's test from argument texts: `init` is (positional, keywords) and each
    call (method, positional, keywords). One call reads `Name(1).add(2)`, several `obj = Name(1); obj.add(2); ...`."""
    init_display, init_literal = call_forms(*init)
    shown, literals = [], []
    for method, positional, keywords in calls:
        display, literal = call_forms(positional, keywords)
        shown.append("%s(%s)" % (method, display))
        literals.append("{'method': %r, %s" % (method, literal[1:]))
    if len(calls) == 1:
        display = "%s(%s).%s" % (name, init_display, shown[0])
    else:
        display = "obj = %s(%s); " % (name, init_display) + "; ".join("obj." + s for s in shown)
    return [display, "{'init': " + init_literal + ", 'calls': [" + ", ".join(literals) + "]}"]


def class_value_forms(name, init, calls):
    """class_forms from values (init None: no constructor arguments)."""
    def texts(args, kwargs):
        return [literal_text(a) for a in args], [(k, literal_text(v)) for k, v in kwargs.items()]
    return class_forms(name, texts(*(init or ((), {}))), [(m,) + tuple(texts(a, k)) for m, a, k in calls])


def class_literal_parts(literal):
    """(init, [(method, args, kwargs), ...]) of a whole class's test, or None for any other input."""
    value = ast.literal_eval(literal)
    if not (isinstance(value, dict) and "calls" in value and set(value) <= {"init", "calls"}):
        return None
    init = value.get("init", {})
    calls = [(c["method"], tuple(c.get("args", ())), dict(c.get("kwargs", {}))) for c in value["calls"]]
    return (tuple(init.get("args", ())), dict(init.get("kwargs", {}))), calls


def class_call_arguments(text, name):
    """A whole class's test as a model writes it: `Name(1).add(2)`, or statements on one line
    `obj = Name(1); obj.add(2); obj.total()` (an `assert` around a call counts as the call)."""
    try:
        body = ast.parse(text, mode="exec").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None

    def call_of(stmt):
        expr = stmt.test if isinstance(stmt, ast.Assert) else getattr(stmt, "value", None)
        return expr.left if isinstance(expr, ast.Compare) else expr

    def constructed(node):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name:
            return literal_arguments(node)
        return None

    def method_call(node, receiver):
        # Any public name: check_class_calls says which the class lacks.
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)) or node.func.attr.startswith("_"):
            return None
        if not receiver(node.func.value):
            return None
        arguments = literal_arguments(node)
        return None if arguments is None else (node.func.attr,) + tuple(arguments)

    if len(body) == 1:
        expr = call_of(body[0])
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
            init = constructed(expr.func.value)
            call = method_call(expr, lambda node: init is not None)
            return None if call is None else class_forms(name, init, [call])
        return None
    first = body[0]
    if not (isinstance(first, ast.Assign) and len(first.targets) == 1 and isinstance(first.targets[0], ast.Name)):
        return None
    variable, init = first.targets[0].id, constructed(first.value)
    if init is None:
        return None
    calls = []
    for stmt in body[1:]:
        call = method_call(call_of(stmt), lambda node: isinstance(node, ast.Name) and node.id == variable)
        if call is None:
            return None
        calls.append(call)
    return class_forms(name, init, calls)


def check_class_calls(code, entry, literals):
    """check_calls for a whole class: the constructor call and every method call bind, to public methods."""
    tree, owner = entry_function(code, entry)
    init_params = constructor_parameters(tree, owner) if owner is not None else None
    init_signature = python_signature(None, init_params) if init_params is not None else None
    methods = {m.name: python_signature(m, bound_parameters(m, entry_kind(owner, m))) for m in public_methods(owner)} if owner else {}
    out = []
    for literal in literals:
        try:
            parts = class_literal_parts(literal)
            if parts is None:
                raise ValueError("a class's test is {'init': ..., 'calls': [...]}")
        except (ValueError, SyntaxError, TypeError, KeyError, AttributeError, MemoryError, RecursionError) as error:
            out.append(["unreadable-input", str(error)[:200]])
            continue
        (init_args, init_kwargs), calls = parts
        problem = None
        try:
            if init_signature is not None:
                try:
                    init_signature.bind(*init_args, **init_kwargs)
                except TypeError as error:
                    raise TypeError("constructor: %s" % error)
            for method, args, kwargs in calls:
                if method not in methods:
                    problem = ["unknown-method", "%s has no public method %s" % (owner.name, method)]
                    break
                try:
                    methods[method].bind(*args, **kwargs)
                except TypeError as error:
                    raise TypeError("%s: %s" % (method, error))
        except TypeError as error:
            problem = ["does-not-bind", str(error)]
        out.append(problem)
    return out


def class_sequences(seeds, entry, limit):
    """Tests of several methods on one object, made of single calls that work: for two calls on equal objects, the
    first then the second (of another method), so what one method leaves is what the next one reads."""
    name = whole_class_name(entry)
    parsed = []
    for literal in seeds:
        try:
            parts = class_literal_parts(literal)
        except (ValueError, SyntaxError, TypeError, KeyError, AttributeError, MemoryError, RecursionError):
            continue
        if parts is not None and len(parts[1]) == 1:
            parsed.append(parts)
    out, seen = [], set(seeds)
    for init, first in parsed:
        for other_init, second in parsed:
            if repr(other_init) != repr(init) or first[0][0] == second[0][0]:
                continue
            display, literal = class_value_forms(name, init, first + second)
            if literal in seen or len(literal) > 4000:
                continue
            seen.add(literal)
            out.append({"display": display, "literal": literal, "how": "sequence: %s then %s" % (first[0][0], second[0][0])})
            if len(out) >= limit:
                return out
    return out
"""#
}
