// The Python side of methods: a class's functions as samples. An entry point `Class.name` is a method; its sample
// holds the class (and what the class needs), a test constructs the object and calls the method, and a rewrite of
// the method is put back into the same class before it runs.
extension PythonToolsScript {
    static let methods = #"""
# --- methods -----------------------------------------------------------------------------------
import textwrap

# Methods that are not samples of their own, and why.
NOT_SAMPLES = {
    "__init__": "the constructor runs in every test of the class's other methods",
    "__new__": "object creation runs in every test of the class's other methods",
    "__del__": "finalizers run when the object is collected, not when called",
    "__init_subclass__": "runs when a subclass is defined, not when called",
    "__class_getitem__": "typing support, not behaviour",
    "__set_name__": "runs when the owning class is defined, not when called",
    "__post_init__": "runs as part of construction",
    "__getattr__": "attribute lookup hooks change how the object itself is read",
    "__getattribute__": "attribute lookup hooks change how the object itself is read",
    "__setattr__": "attribute hooks change how the object itself is built",
    "__delattr__": "attribute hooks change how the object itself is built",
}
PROPERTY_DECORATORS = {"property", "cached_property", "setter", "getter", "deleter", "abstractmethod",
                       "abstractproperty", "overload"}


def decorator_names(node):
    names = set()
    for d in node.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        names.add(target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", ""))
    return names


def find_entry(tree, entry):
    """(class, def) of the entry point: `name` is a top-level function, `Class.name` a method of a top-level
    class; the last definition of a name is the one Python keeps."""
    if whole_class_name(entry):
        classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == whole_class_name(entry)]
        return (classes[-1], classes[-1]) if classes else (None, None)
    owner_name, _, name = entry.rpartition(".")
    owner, scope = None, tree.body
    if owner_name:
        classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == owner_name]
        if not classes:
            return None, None
        owner = classes[-1]
        scope = owner.body
    defs = [n for n in scope if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name]
    return owner, (defs[-1] if defs else None)


def entry_kind(owner, fn):
    """function, static, class (a classmethod), instance, or whole-class (the class itself is the sample)."""
    if isinstance(fn, ast.ClassDef):
        return "whole-class"
    if owner is None:
        return "function"
    names = decorator_names(fn)
    if "staticmethod" in names:
        return "static"
    if "classmethod" in names:
        return "class"
    return "instance"


def bound_signature(fn, kind):
    """signature() as a caller sees it: a method's self or cls is already bound."""
    s = signature(fn)
    if kind in ("instance", "class"):
        a = fn.args
        if a.posonlyargs or a.args:
            s = dict(s, positional=s["positional"][1:])
    return s


def bound_parameters(fn, kind):
    params = parameter_list(fn)
    if kind in ("instance", "class") and params and params[0]["kind"] in ("positional-only", "positional"):
        params = params[1:]
    return params


def dataclass_fields(owner):
    fields = []
    for stmt in owner.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) \
                and "ClassVar" not in ast.unparse(stmt.annotation):
            default = None
            if stmt.value is not None:
                default = "None" if isinstance(stmt.value, ast.Call) else ast.unparse(stmt.value)
            fields.append({"name": stmt.target.id, "kind": "positional", "default": default,
                           "annotation": ast.unparse(stmt.annotation), "node": stmt.annotation})
    return fields


def constructor(tree, owner, seen=()):
    """What `Class(...)` binds to: ("def", __init__ or __new__), ("fields", dataclass fields), ("none", None) when it
    takes no arguments, ("unknown", None) when a base class comes from elsewhere."""
    for name in ("__init__", "__new__"):
        own = [n for n in owner.body if isinstance(n, ast.FunctionDef) and n.name == name]
        if own:
            return "def", own[-1]
    if "dataclass" in decorator_names(owner):
        return "fields", dataclass_fields(owner)
    if owner.keywords:
        return "unknown", None
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    for base in owner.bases:
        if isinstance(base, ast.Name) and base.id == "object":
            continue
        if isinstance(base, ast.Name) and base.id in classes and base.id not in seen:
            found = constructor(tree, classes[base.id], seen + (owner.name,))
            if found[0] != "none":
                return found
            continue
        return "unknown", None
    return "none", None


def constructor_parameters(tree, owner):
    """The constructor's parameters with their kinds, as infer_parameters gives a function's; None when unknown."""
    how, node = constructor(tree, owner)
    if how == "none":
        return []
    if how == "unknown":
        return None
    if how == "def":
        return parameters_with_kinds(node, bound_parameters(node, "instance"), skip_first=True)
    out = []
    for field in node:
        kinds, element = annotation_kinds(field.pop("node"))
        out.append(dict(field, kinds=kinds, element=element, evidence=["annotated %s" % field["annotation"]]))
    return out


def method_call_forms(entry, positional, keywords, init=None):
    """call_forms for any entry point, from argument texts: a method's display is its whole call (`Counter(3).add(2)`,
    `Path.join('a')`), and an instance method's literal carries the constructor's arguments under 'init'
    (`init` is (positional texts, keyword pairs) or None)."""
    display, literal = call_forms(positional, keywords)
    owner, _, name = entry.rpartition(".")
    if not owner:
        return [display, literal]
    if init is None:
        return ["%s.%s(%s)" % (owner, name, display), literal]
    init_display, init_literal = call_forms(*init)
    return ["%s(%s).%s(%s)" % (owner, init_display, name, display), literal[:-1] + ", 'init': " + init_literal + "}"]


def value_forms(entry, args, kwargs, init=None):
    """method_call_forms from values."""
    texts = None if init is None else ([literal_text(a) for a in init[0]], [(k, literal_text(v)) for k, v in init[1].items()])
    return method_call_forms(entry, [literal_text(a) for a in args], [(k, literal_text(v)) for k, v in kwargs.items()], texts)


def sequences(changing, seeds, entry, limit):
    """Tests of several calls on one object, made of an instance method's working calls: each call that changed its
    object, then each call made on an equal object (itself included). The last call's return and the object's state
    after both are the behaviour, so a rewrite that leaves the wrong state is caught by what the next call sees."""
    owner, _, name = entry.rpartition(".")
    parsed = {}
    for literal in seeds + changing:
        try:
            init, args, kwargs = literal_parts(literal)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if init is not None:
            parsed[literal] = (init, args, kwargs)

    def texts(args, kwargs):
        return call_forms([literal_text(v) for v in args], [(key, literal_text(v)) for key, v in kwargs.items()])

    out, seen = [], set()
    for first in changing:
        if first not in parsed:
            continue
        init, first_args, first_kwargs = parsed[first]
        first_display, first_literal = texts(first_args, first_kwargs)
        init_display, init_literal = texts(*init)
        for literal in seeds:
            if literal not in parsed or repr(parsed[literal][0]) != repr(init):
                continue
            last_display, last_literal = texts(*parsed[literal][1:])
            sequence = last_literal[:-1] + ", 'init': " + init_literal + ", 'before': [" + first_literal + "]}"
            if sequence in seen or len(sequence) > 4000:
                continue
            seen.add(sequence)
            shown = first_display if len(first_display) <= 60 else first_display[:57] + "..."
            out.append({"display": "obj = %s(%s); obj.%s(%s); obj.%s(%s)" % (owner, init_display, name, first_display, name, last_display),
                        "literal": sequence, "how": "sequence: after %s(%s)" % (name, shown)})
            if len(out) >= limit:
                return out
    return out


def literal_parts(literal):
    """(init, args, kwargs) of a test input; init is None, or (args, kwargs) of the constructor."""
    value = ast.literal_eval(literal)
    # A sequence's earlier calls ('before') are left out: the parts are those of its last call.
    if isinstance(value, dict) and value and set(value) <= {"args", "kwargs", "init", "before"}:
        init = value.get("init")
        if init is not None:
            if not (isinstance(init, dict) and set(init) <= {"args", "kwargs"}):
                raise ValueError("'init' must be {'args': (...), 'kwargs': {...}}")
            init = (tuple(init.get("args", ())), dict(init.get("kwargs", {})))
        return init, tuple(value.get("args", ())), dict(value.get("kwargs", {}))
    if isinstance(value, tuple):
        return None, value, {}
    return None, (value,), {}


def class_items(tree, lines, body, index, stmt, definitions, module):
    """Samples and skipped methods of one top-level class."""
    items, skipped = [], []
    abstract = sorted(abstract_methods(stmt, {n.name: n for n in body if isinstance(n, ast.ClassDef)}))
    for inner in stmt.body:
        if not isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        name = "%s.%s" % (stmt.name, inner.name)
        reason = None
        if abstract and entry_kind(stmt, inner) == "instance":
            reason = ("abstract-class", "%s leaves abstract methods unimplemented (%s): no object of it can be built"
                      % (stmt.name, ", ".join(abstract[:4])))
        elif isinstance(inner, ast.AsyncFunctionDef):
            reason = ("async-function", "coroutines need an event loop to call")
        elif inner.name in NOT_SAMPLES:
            reason = ("special-method", NOT_SAMPLES[inner.name])
        elif decorator_names(inner) & PROPERTY_DECORATORS:
            reason = ("property", "read as an attribute or declared only, not called")
        elif entry_kind(stmt, inner) != "static" and not (inner.args.posonlyargs or inner.args.args):
            reason = ("no-self", "a method without a self or cls parameter cannot be called on its class")
        if reason:
            skipped.append({"name": name, "line": inner.lineno, "reason": reason[0], "detail": reason[1]})
            continue
        start = statement_start(inner)
        kept, text = pruned_class(lines, stmt, inner)
        needed = set()
        for where in {definitions[n] for n in kept if n in definitions} - {index}:
            needed |= {where} | dependencies(body, where, definitions)
        needed.discard(index)
        parts = ["".join(lines[body[i].lineno - 1:body[i].end_lineno]) for i in sorted(needed)]
        parts.append(text)
        items.append({"name": name, "line": start, "kind": entry_kind(stmt, inner),
                      "code": absolute_imports("\n\n".join(p.rstrip("\n") + "\n" for p in parts), module)})
    return items, skipped


ABSTRACT = {"abstractmethod", "abstractproperty", "abstractclassmethod", "abstractstaticmethod"}


def abstract_methods(owner, classes, seen=()):
    """The abstract methods a class leaves unimplemented, its bases in the same module included."""
    own = set()
    for node in owner.body:
        own |= bound_names(node)
    abstract = {n.name for n in owner.body
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and decorator_names(n) & ABSTRACT}
    for base in owner.bases:
        if isinstance(base, ast.Name) and base.id in classes and base.id not in seen and base.id != owner.name:
            abstract |= abstract_methods(classes[base.id], classes, seen + (owner.name,)) - own
    return abstract


def pruned_class(lines, owner, target):
    """The class as a method's sample needs it, and the module-level names that uses: everything but the methods
    that neither the method, the constructor nor the special methods reach through `self.name` (transitively)."""
    methods = {}
    for inner in owner.body:
        if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
            methods.setdefault(inner.name, []).append(inner)

    def always(node):
        return node is target or (node.name.startswith("__") and node.name.endswith("__"))

    reached = {n.name for n in owner.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and always(n)}
    queue = list(reached)
    while queue:
        for node in methods.get(queue.pop(), []):
            for attribute in ast.walk(node):
                if isinstance(attribute, ast.Attribute) and attribute.attr in methods and attribute.attr not in reached:
                    reached.add(attribute.attr)
                    queue.append(attribute.attr)
    # Class-level statements (attributes, nested classes) may name methods too.
    for node in owner.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for name in used_names(node) & set(methods):
                reached.add(name)
    dropped = [n for n in owner.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name not in reached]
    kept_nodes = [n for n in owner.body if n not in dropped]
    names = set()
    for node in kept_nodes + owner.bases + owner.keywords + owner.decorator_list:
        names |= used_names(node)
    text = lines[statement_start(owner) - 1:owner.end_lineno]
    offset = statement_start(owner)
    for node in sorted(dropped, key=lambda n: -n.lineno):
        del text[statement_start(node) - offset:node.end_lineno - offset + 1]
    return names, "".join(text)


def dependencies(body, index, definitions):
    """Indices of the module-level statements that statement `index` needs, transitively."""
    needed, queue = set(), [body[index]]
    while queue:
        node = queue.pop()
        for name in used_names(node):
            where = definitions.get(name)
            if where is not None and where != index and where not in needed:
                needed.add(where)
                queue.append(body[where])
    return needed


def nested_items(lines, body, index, stmt, definitions, module):
    """Functions defined inside a top-level function that need nothing of it: samples of their own."""
    outer_locals = {a.arg for a in ast.walk(stmt.args) if isinstance(a, ast.arg)}
    for node in ast.walk(stmt):
        if node is stmt:
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            outer_locals.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            outer_locals.add(node.id)
    items, skipped = [], []
    for node in ast.walk(stmt):
        if node is stmt or not isinstance(node, ast.FunctionDef):
            continue
        inner_locals = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)} | \
            {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        free = used_names(node) - inner_locals - {node.name}
        if free & outer_locals or node.name in definitions \
                or any(isinstance(n, (ast.Nonlocal, ast.Global, ast.Yield, ast.YieldFrom)) for n in ast.walk(node)):
            skipped.append({"name": "%s.<locals>.%s" % (stmt.name, node.name), "line": node.lineno, "reason": "nested",
                            "detail": "uses names of the enclosing function %s" % stmt.name})
            continue
        wanted = {definitions[n] for n in free if n in definitions}
        needed = set(wanted)
        for where in wanted:
            needed |= dependencies(body, where, definitions)
        start = statement_start(node)
        parts = ["".join(lines[body[i].lineno - 1:body[i].end_lineno]) for i in sorted(needed)]
        parts.append(textwrap.dedent("".join(lines[start - 1:node.end_lineno])))
        items.append({"name": node.name, "line": start, "kind": "nested",
                      "code": absolute_imports("\n\n".join(p.rstrip("\n") + "\n" for p in parts), module)})
    return items, skipped


def absolute_imports(code, module):
    """Relative imports written as the absolute ones they mean in `module` (a dotted name), so the code runs on its
    own; left as they are when the module is unknown or the import climbs above its top package."""
    if not module or "from ." not in code:
        return code
    package = module.split(".")[:-1]
    lines = code.splitlines(keepends=True)
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code
    for node in sorted((n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level), key=lambda n: -n.lineno):
        if node.level > len(package) or node.lineno != node.end_lineno:
            continue
        base = package[:len(package) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
        line = lines[node.lineno - 1]
        pattern = re.compile(r"from\s+\.{%d}\s*%s\s+import" % (node.level, re.escape(node.module or "")))
        lines[node.lineno - 1] = pattern.sub("from %s import" % target, line, count=1)
    return "".join(lines)


def relative_imports(tree):
    return ["line %d: %s" % (n.lineno, ast.unparse(n)[:80]) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]


def splice(original, entry, rewrite):
    """For a method: the original code with the method replaced by the rewrite's (a top-level `def name` or the
    one inside `class Class`), indented as the original's. Functions are returned unchanged."""
    owner_name, _, name = entry.rpartition(".")
    if not owner_name:
        return rewrite
    try:
        old, new = ast.parse(original), ast.parse(rewrite)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return rewrite
    owner, fn = find_entry(old, entry)
    _, replacement = find_entry(new, entry)
    if replacement is None:
        replacement = next((n for n in new.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name), None)
    if fn is None or replacement is None:
        return rewrite
    new_lines = rewrite.splitlines(keepends=True)
    # The original's decorators stay (a rewrite often drops @staticmethod); the rewrite's own are not doubled.
    text = textwrap.dedent("".join(new_lines[replacement.lineno - 1:replacement.end_lineno]))
    indent = " " * fn.col_offset
    text = "".join(indent + l if l.strip() else l for l in text.splitlines(keepends=True))
    old_lines = original.splitlines(keepends=True)
    start = fn.lineno - 1
    # What the rewrite needs beyond the class (imports it added) goes before the original code.
    extra = [n for n in new.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    head = "".join("".join(new_lines[n.lineno - 1:n.end_lineno]) for n in extra)
    return head + "".join(old_lines[:start]) + text.rstrip("\n") + "\n" + "".join(old_lines[fn.end_lineno:])


def method_view(code, entry, without_entry=False):
    """What a model is shown of a method's sample: the code with the class's other methods cut to their first line
    and `...` (the constructor, class attributes and the method itself stay whole; with `without_entry`, the method
    is left out: the class it is written into). Functions are shown as they are."""
    owner_name = entry.rpartition(".")[0]
    if not owner_name:
        return code
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code
    owner, fn = find_entry(tree, entry)
    if owner is None or fn is None:
        return code
    lines = code.splitlines(keepends=True)
    cuts = []
    # A big class's method gets a short prompt: the module's helper functions and the methods it calls shown by their
    # signatures, the class's other methods left out, a long constructor cut to its signature, docstrings only for
    # the method itself.
    called = {node.attr for node in ast.walk(fn) if isinstance(node, ast.Attribute)}
    functions = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for inner in functions + owner.body:
        if not isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)) or inner is fn:
            continue
        constructor = inner.name in ("__init__", "__new__")
        if inner in owner.body and not constructor and inner.name not in called:
            cuts.append((statement_start(inner) - 1, inner.end_lineno, ""))
        elif inner.body[0].lineno > inner.lineno and (not constructor or inner.end_lineno - inner.body[0].lineno >= 12):
            indent = " " * inner.body[0].col_offset
            cuts.append((inner.body[0].lineno - 1, inner.end_lineno, indent + "...\n"))
    for node in [owner] + [n for n in owner.body if isinstance(n, ast.FunctionDef) and n.name in ("__init__", "__new__")]:
        first = node.body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str) \
                and len(node.body) > 1 and first.lineno > node.lineno:
            cuts.append((first.lineno - 1, first.end_lineno, ""))
    if without_entry:
        cuts.append((statement_start(fn) - 1, fn.end_lineno, ""))
    # Comments outside the method go too (strings may hold '#', so only lines that are comments and nothing else).
    own = range(statement_start(fn) - 1, fn.end_lineno)
    strings = {n for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
               for n in range(node.lineno - 1, node.end_lineno)}
    for index, line in enumerate(lines):
        if index not in own and index not in strings and line.lstrip().startswith("#"):
            cuts.append((index, index + 1, ""))
    # A cut inside another (a docstring or comment of a method left out) is part of it.
    kept, reach = [], -1
    for start, end, text in sorted(cuts, key=lambda cut: (cut[0], -cut[1])):
        if start >= reach:
            kept.append((start, end, text))
            reach = end
    for start, end, text in reversed(kept):
        lines[start:end] = [text]
    return re.sub(r"\n\s*\n(\s*\n)+", "\n\n", "".join(lines))


def method_text(code, entry):
    """The entry point's own source (a method without its class), dedented."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    _, fn = find_entry(tree, entry)
    if fn is None:
        return None
    lines = code.splitlines(keepends=True)
    return textwrap.dedent("".join(lines[statement_start(fn) - 1:fn.end_lineno]))


"""#
}
