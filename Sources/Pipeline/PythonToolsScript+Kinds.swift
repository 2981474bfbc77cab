// The Python side of parameter kinds: evidence from annotations, defaults, docstrings and use in the body,
// and the probe calls that let the original itself confirm which kinds it accepts.
extension PythonToolsScript {
    static let kinds = #"""
# --- parameter kinds and probes ------------------------------------------------------------------
# Everything here reads literals with ast.literal_eval and code with ast.parse; nothing is executed.
import inspect

KIND_SAMPLES = {
    "int": 3, "float": 2.5, "bool": True, "str": "abc", "bytes": b"abc", "list": [3, 1, 2],
    "tuple": (1, 2), "dict": {"a": 1, "b": 2}, "set": {1, 2}, "none": None,
}
ELEMENT_SAMPLES = {"int": [3, 1, 2], "float": [1.5, -2.0, 3.25], "str": ["ab", "c", "de"],
                   "bool": [True, False], "list": [[1, 2], [3]], "tuple": [(1, 2), (3, 4)],
                   "dict": [{"a": 1}, {"b": 2}]}
PROBE_ORDER = ["int", "str", "list", "float", "dict", "bool", "none"]
SEQUENCE = {"list": 1.0, "str": 0.8, "tuple": 0.5}
ITERABLE = {"list": 1.0, "str": 0.7, "tuple": 0.5, "dict": 0.4, "set": 0.4}
NUMBER = {"int": 1.0, "float": 0.8}
STR_METHODS = {"lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith",
               "endswith", "replace", "join", "find", "rfind", "isdigit", "isalpha", "isalnum", "isspace",
               "isupper", "islower", "encode", "format", "title", "capitalize", "casefold", "center", "ljust",
               "rjust", "zfill", "partition", "rpartition", "translate", "expandtabs", "swapcase", "isidentifier",
               "isnumeric", "isdecimal", "removeprefix", "removesuffix"}
LIST_METHODS = {"append", "extend", "insert", "remove", "sort", "reverse", "clear", "copy", "pop"}
DICT_METHODS = {"items", "keys", "values", "get", "setdefault", "update", "popitem"}
SET_METHODS = {"add", "discard", "union", "intersection", "difference", "issubset", "issuperset",
               "symmetric_difference"}
TYPE_WORDS = {"int": "int", "integer": "int", "float": "float", "number": "float", "str": "str", "string": "str",
              "bool": "bool", "boolean": "bool", "bytes": "bytes", "list": "list", "sequence": "list",
              "iterable": "list", "array": "list", "dict": "dict", "mapping": "dict", "dictionary": "dict",
              "tuple": "tuple", "set": "set", "frozenset": "set", "none": "none", "nonetype": "none"}
ANNOTATION_NAMES = dict(TYPE_WORDS, List="list", Sequence="list", Iterable="list", Collection="list",
                        MutableSequence="list", Dict="dict", Mapping="dict", MutableMapping="dict",
                        Tuple="tuple", Set="set", FrozenSet="set", AbstractSet="set", Text="str",
                        Iterator="list")


def entry_function(code, entry):
    tree, error = parse_error(code)
    if error:
        return None, None
    return tree, find_entry(tree, entry)[1]


def parameter_list(fn):
    """Each parameter with its kind, default (source text) and annotation (source text)."""
    a = fn.args
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    out = []
    for index, (arg, default) in enumerate(zip(positional, defaults)):
        out.append({"name": arg.arg, "kind": "positional-only" if index < len(a.posonlyargs) else "positional",
                    "default": ast.unparse(default) if default is not None else None,
                    "annotation": ast.unparse(arg.annotation) if arg.annotation is not None else None})
    if a.vararg:
        out.append({"name": a.vararg.arg, "kind": "var-positional", "default": None, "annotation": None})
    for arg, default in zip(a.kwonlyargs, a.kw_defaults):
        out.append({"name": arg.arg, "kind": "keyword-only",
                    "default": ast.unparse(default) if default is not None else None,
                    "annotation": ast.unparse(arg.annotation) if arg.annotation is not None else None})
    if a.kwarg:
        out.append({"name": a.kwarg.arg, "kind": "var-keyword", "default": None, "annotation": None})
    return out


def python_signature(fn, params=None):
    """An inspect.Signature with the function's parameter structure (or that of `params`); defaults are placeholders."""
    kinds = {"positional-only": inspect.Parameter.POSITIONAL_ONLY,
             "positional": inspect.Parameter.POSITIONAL_OR_KEYWORD,
             "var-positional": inspect.Parameter.VAR_POSITIONAL,
             "keyword-only": inspect.Parameter.KEYWORD_ONLY,
             "var-keyword": inspect.Parameter.VAR_KEYWORD}
    return inspect.Signature([
        inspect.Parameter(p["name"], kinds[p["kind"]],
                          default=0 if p["default"] is not None else inspect.Parameter.empty)
        for p in (parameter_list(fn) if params is None else params)])


# --- parameter kinds ---------------------------------------------------------------------------

class Evidence:
    def __init__(self):
        self.scores = {}
        self.notes = []
        self.element = {}

    def add(self, kinds, weight, note):
        if isinstance(kinds, str):
            kinds = {kinds: 1.0}
        for kind, share in kinds.items():
            self.scores[kind] = self.scores.get(kind, 0.0) + weight * share
        if note not in self.notes and len(self.notes) < 8:
            self.notes.append(note)


def annotation_kinds(node):
    """Kinds named by an annotation, and the element kind of a parameterised container."""
    if node is None:
        return [], None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return [], None
    if isinstance(node, ast.Constant) and node.value is None:
        return ["none"], None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, element = annotation_kinds(node.left)
        right, other = annotation_kinds(node.right)
        return left + [k for k in right if k not in left], element or other
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
    if name is not None:
        kind = ANNOTATION_NAMES.get(name)
        return ([kind] if kind else []), None
    if isinstance(node, ast.Subscript):
        outer = node.value.id if isinstance(node.value, ast.Name) else getattr(node.value, "attr", None)
        inner = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if outer in ("Optional",) and inner:
            kinds, element = annotation_kinds(inner[0])
            return kinds + ["none"], element
        if outer in ("Union",):
            kinds, element = [], None
            for part in inner:
                more, other = annotation_kinds(part)
                kinds += [k for k in more if k not in kinds]
                element = element or other
            return kinds, element
        kind = ANNOTATION_NAMES.get(outer or "")
        element = None
        if kind in ("list", "set") and inner:
            element = (annotation_kinds(inner[0])[0] or [None])[0]
        return ([kind] if kind else []), element
    return [], None


def docstring_kinds(doc, name):
    found = []
    patterns = [r":type\s+%s\s*:\s*([\w\[\], ]+)" % re.escape(name),
                r":param\s+(\w+)\s+%s\s*:" % re.escape(name),
                r"^\s*%s\s*\(([^)]+)\)\s*:" % re.escape(name),
                r"^\s*%s\s*:\s*([\w\[\], ]+)$" % re.escape(name)]
    for pattern in patterns:
        for match in re.finditer(pattern, doc or "", re.MULTILINE):
            for word in re.findall(r"[A-Za-z]+", match.group(1)):
                kind = TYPE_WORDS.get(word.lower())
                if kind and kind not in found:
                    found.append(kind)
    return found


def constant_kind(node):
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            return "bool"
        return {int: "int", float: "float", str: "str", bytes: "bytes", type(None): "none"}.get(type(value))
    if isinstance(node, (ast.List, ast.ListComp)):
        return "list"
    if isinstance(node, (ast.Dict, ast.DictComp)):
        return "dict"
    if isinstance(node, (ast.Set, ast.SetComp)):
        return "set"
    if isinstance(node, ast.Tuple):
        return "tuple"
    if isinstance(node, ast.JoinedStr):
        return "str"
    return None


def use_of(name, scope, evidence, parents, depth=0):
    """Adds what the body's use of `name` says about its kind; follows `for v in name` once for the element."""
    for node in ast.walk(scope):
        if not (isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load)):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Attribute) and parent.value is node:
            method = parent.attr
            if method in STR_METHODS:
                evidence.add("str", 2, "calls .%s()" % method)
            elif method in LIST_METHODS:
                evidence.add("list", 2, "calls .%s()" % method)
            elif method in DICT_METHODS:
                evidence.add("dict", 2, "calls .%s()" % method)
            elif method in SET_METHODS:
                evidence.add("set", 2, "calls .%s()" % method)
            elif method in ("count", "index"):
                evidence.add(SEQUENCE, 1, "calls .%s()" % method)
            elif method == "decode":
                evidence.add("bytes", 2, "calls .decode()")
        elif isinstance(parent, ast.BinOp):
            other = parent.right if parent.left is node else parent.left
            other_kind = constant_kind(other)
            if isinstance(parent.op, ast.Add):
                if other_kind in ("str", "list", "tuple", "bytes"):
                    evidence.add(other_kind, 2, "added to a %s" % other_kind)
                elif other_kind in ("int", "float"):
                    evidence.add(NUMBER, 2, "added to a number")
            elif isinstance(parent.op, ast.Mult):
                if other_kind in ("str", "list", "tuple"):
                    evidence.add("int", 2, "repeats a %s" % other_kind)
                elif other_kind in ("int", "float"):
                    evidence.add(NUMBER, 1, "multiplied by a number")
            elif isinstance(parent.op, ast.Mod) and parent.left is not node:
                pass  # the right operand of '%' formatting can be anything
            elif isinstance(parent.op, ast.Mod) and other_kind in ("int", "float"):
                evidence.add("int", 2, "taken modulo a number")
            elif isinstance(parent.op, (ast.Sub, ast.Div, ast.FloorDiv, ast.Pow)):
                evidence.add(NUMBER, 2, "used in arithmetic")
            elif isinstance(parent.op, (ast.LShift, ast.RShift, ast.BitAnd, ast.BitOr, ast.BitXor)):
                if other_kind == "int":
                    evidence.add("int", 2, "used in bit arithmetic")
        elif isinstance(parent, ast.UnaryOp) and isinstance(parent.op, (ast.USub, ast.Invert)):
            evidence.add(NUMBER if isinstance(parent.op, ast.USub) else "int", 2, "negated")
        elif isinstance(parent, ast.AugAssign) and parent.target is node:
            pass
        elif isinstance(parent, ast.Compare):
            operands = [parent.left] + parent.comparators
            for op, (left, right) in zip(parent.ops, zip(operands, operands[1:])):
                if node is not left and node is not right:
                    continue
                other = right if left is node else left
                if isinstance(op, (ast.In, ast.NotIn)) and right is node:
                    evidence.add(ITERABLE, 1, "searched with 'in'")
                elif isinstance(op, (ast.Is, ast.IsNot)) and constant_kind(other) == "none":
                    evidence.add("none", 0.5, "compared with None")
                elif constant_kind(other) in ("int", "float"):
                    evidence.add(NUMBER, 1.5, "compared with a number")
                elif constant_kind(other) == "str":
                    evidence.add("str", 1.5, "compared with a string")
        elif isinstance(parent, ast.Subscript) and parent.value is node:
            index = parent.slice
            if isinstance(index, ast.Slice):
                evidence.add(SEQUENCE, 2, "sliced")
            elif constant_kind(index) == "str":
                evidence.add("dict", 2, "indexed by a string")
            else:
                evidence.add({"list": 1.0, "str": 0.6, "tuple": 0.5, "dict": 0.4}, 1.5, "indexed")
        elif isinstance(parent, ast.Call) and node in parent.args and isinstance(parent.func, ast.Name):
            func = parent.func.id
            if func == "range":
                evidence.add("int", 3, "passed to range()")
            elif func in ("chr", "bin", "hex", "oct"):
                evidence.add("int", 3, "passed to %s()" % func)
            elif func == "ord":
                evidence.add("str", 3, "passed to ord()")
            elif func in ("abs", "round", "divmod", "pow"):
                evidence.add(NUMBER, 2, "passed to %s()" % func)
            elif func == "sum":
                evidence.add("list", 2, "passed to sum()")
                evidence.element["int"] = evidence.element.get("int", 0) + 1
            elif func in ("len", "sorted", "enumerate", "zip", "reversed", "list", "set", "tuple", "min", "max",
                          "any", "all", "iter", "map", "filter", "frozenset"):
                evidence.add(ITERABLE, 1.5, "passed to %s()" % func)
            elif func == "isinstance" and len(parent.args) == 2 and parent.args[0] is node:
                kinds, _ = annotation_kinds(parent.args[1]) if not isinstance(parent.args[1], ast.Tuple) else \
                    ([k for e in parent.args[1].elts for k in annotation_kinds(e)[0]], None)
                for kind in kinds:
                    evidence.add(kind, 1.5, "checked with isinstance()")
        elif isinstance(parent, (ast.For, ast.comprehension)) and parent.iter is node:
            evidence.add(ITERABLE, 2, "iterated")
            if depth == 0 and isinstance(parent.target, ast.Name):
                inner = Evidence()
                use_of(parent.target.id, parent if isinstance(parent, ast.For) else parents.get(parent, scope),
                       inner, parents, depth + 1)
                for kind, score in inner.scores.items():
                    evidence.element[kind] = evidence.element.get(kind, 0) + score


def infer_parameters(code, entry):
    """The entry point's parameters (a method's without self or cls), each with kinds ranked by evidence from its
    annotation, default, the docstring and its use in the body; an instance method's constructor parameters follow
    with role "init" (a constructor from elsewhere: one var-positional `args`)."""
    if whole_class_name(entry):
        return class_parameters(code, entry)
    tree, fn = entry_function(code, entry)
    if fn is None:
        return None
    owner, _ = find_entry(tree, entry)
    kind = entry_kind(owner, fn)
    params = parameters_with_kinds(fn, bound_parameters(fn, kind), skip_first=len(bound_parameters(fn, kind)) < len(parameter_list(fn)))
    if kind == "instance":
        init = constructor_parameters(tree, owner)
        if init is None:
            init = [{"name": "args", "kind": "var-positional", "default": None, "annotation": None, "kinds": [],
                     "element": None, "evidence": ["the constructor comes from a base class defined elsewhere"]}]
        params += [dict(p, role="init") for p in init]
    return params


def parameters_with_kinds(fn, params, skip_first=False):
    doc = ast.get_docstring(fn) or ""
    parents = {}
    for node in ast.walk(fn):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    arguments = all_arguments(fn)[1:] if skip_first else all_arguments(fn)
    for param, arg in zip(params, arguments):
        evidence = Evidence()
        kinds, element = annotation_kinds(arg.annotation)
        for kind in kinds:
            evidence.add(kind, 5, "annotated %s" % param["annotation"])
        if element:
            evidence.element[element] = evidence.element.get(element, 0) + 5
        if param["default"] is not None:
            try:
                kind = constant_kind(ast.parse(param["default"], mode="eval").body)
            except SyntaxError:
                kind = None
            if kind == "none":
                evidence.add("none", 1, "defaults to None")
            elif kind:
                evidence.add(kind, 4, "defaults to %s" % param["default"][:40])
        for kind in docstring_kinds(doc, param["name"]):
            evidence.add(kind, 3, "documented as %s" % kind)
        use_of(param["name"], fn, evidence, parents)
        ranked = sorted(evidence.scores.items(), key=lambda item: (-item[1], PROBE_ORDER.index(item[0])
                                                                   if item[0] in PROBE_ORDER else 99))
        param["kinds"] = [kind for kind, _ in ranked]
        param["element"] = max(evidence.element.items(), key=lambda item: item[1])[0] if evidence.element else None
        param["evidence"] = evidence.notes
    return params


def all_arguments(fn):
    a = fn.args
    out = list(a.posonlyargs + a.args)
    if a.vararg:
        out.append(a.vararg)
    out += a.kwonlyargs
    if a.kwarg:
        out.append(a.kwarg)
    return out


def sample_value(kind, element=None):
    if kind == "list" and element in ELEMENT_SAMPLES:
        return list(ELEMENT_SAMPLES[element])
    return KIND_SAMPLES.get(kind, 3)


def probes(params, entry="", instance=False, per_parameter=6):
    """Calls that try each parameter with a small value of each plausible kind while the others keep their
    most likely kind (or their default): which kinds the original accepts is then seen, not guessed.
    Each call is labelled with the (parameter, kind) pairs it tries. An instance method's object is built
    from its constructor parameters' most likely kinds, and each constructor parameter is tried with the
    other kinds too (labelled `init:name`), so an object that no literal builds is known before any model call."""
    init_params = [p for p in params if p.get("role") == "init"]
    params = [p for p in params if p.get("role") != "init"]
    fillable = [p for p in params if p["kind"] not in ("var-positional", "var-keyword")]
    init_fillable = [p for p in init_params if p["kind"] not in ("var-positional", "var-keyword")] if instance else []

    def base_kind(p):
        if p["kinds"]:
            return p["kinds"][0]
        if p["default"] is not None:
            try:
                return constant_kind(ast.parse(p["default"], mode="eval").body) or "int"
            except SyntaxError:
                pass
        return "int"

    def value(p, kind):
        if kind.startswith("list:"):
            return sample_value("list", kind[5:])
        return sample_value(kind, p.get("element") if kind == "list" else None)

    base = {p["name"]: base_kind(p) for p in fillable}
    init_base = {p["name"]: base_kind(p) for p in init_fillable}
    calls = {}

    def add(kinds, labels, init_kinds=init_base):
        init = parameter_texts(init_fillable, {p["name"]: value(p, init_kinds[p["name"]]) for p in init_fillable}) if instance else None
        values = {p["name"]: value(p, kinds[p["name"]]) for p in fillable}
        display, literal = method_call_forms(entry, *parameter_texts(fillable, values), init)
        call = calls.setdefault(literal, {"display": display, "literal": literal, "labels": []})
        call["labels"] += [label for label in labels if label not in call["labels"]]

    def vary(p, label, try_kind):
        tried = []
        for kind in p["kinds"] + PROBE_ORDER:
            if kind in tried or kind not in KIND_SAMPLES:
                continue
            tried.append(kind)
            try_kind(kind, [[label, kind]])
            if kind == "list" and not p.get("element"):
                # Lists of pairs, of lists and of strings too: `for k, v in items` refuses a list of numbers.
                for element in ("tuple", "list", "str"):
                    try_kind("list:" + element, [[label, "list"]])
            if len(tried) >= per_parameter:
                break

    add(base, [[name, kind] for name, kind in base.items()] + [["init:" + name, kind] for name, kind in init_base.items()])
    for p in fillable:
        vary(p, p["name"], lambda kind, labels, p=p: add(dict(base, **{p["name"]: kind}), labels))
    for p in init_fillable:
        vary(p, "init:" + p["name"], lambda kind, labels, p=p: add(base, labels, dict(init_base, **{p["name"]: kind})))
    return list(calls.values())


def parameter_texts(params, values):
    """(positional texts, keyword pairs) of a call giving each parameter its value."""
    positional = [literal_text(values[p["name"]]) for p in params if p["kind"] in ("positional-only", "positional")]
    keywords = [(p["name"], literal_text(values[p["name"]])) for p in params if p["kind"] == "keyword-only"]
    return positional, keywords



"""#
}
