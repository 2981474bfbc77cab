// The Python side of static analysis, run by /usr/bin/python3 -I: it parses with `ast`, never executes input.
enum PythonToolsScript {
    /// The whole script: parsing and extraction, parameter kinds, test inputs, then the request dispatch.
    static let source = core + methods + classes + kinds + inputs + mutants + instructions + dispatch

    static let core = #"""
# Static analysis of untrusted Python with the standard library's ast: parses, never executes.
# Reads one JSON request on stdin, writes one JSON answer on stdout.
import ast
import builtins
import hashlib
import json
import re
import sys

sys.setrecursionlimit(3000)
PY2_HINTS = [
    (re.compile(r"^\s*print\s+[^\s(=]"), "print statement"),
    (re.compile(r"^\s*exec\s+[\"']"), "exec statement"),
    (re.compile(r"`[^`]+`"), "backtick repr"),
    (re.compile(r"<>"), "<> operator"),
    (re.compile(r"^\s*except\s+[\w.]+\s*,\s*\w+\s*:"), "except X, e"),
    (re.compile(r"^\s*raise\s+[\w.]+\s*,"), "raise E, message"),
    (re.compile(r"\b\d+[lL]\b"), "long integer literal"),
    (re.compile(r"\b0\d+\b"), "old octal literal"),
]


def parse_error(code):
    try:
        return ast.parse(code), None
    except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
        line = getattr(e, "lineno", None) or 0
        return None, {"message": f"{type(e).__name__}: {getattr(e, 'msg', str(e))}", "line": line}


def python2_hint(code, error):
    if "Missing parentheses in call to" in error["message"]:
        return "print or exec statement"
    lines = code.splitlines()
    for number in [error["line"]] + list(range(1, len(lines) + 1)):
        if 1 <= number <= len(lines):
            for pattern, name in PY2_HINTS:
                if pattern.search(lines[number - 1]):
                    return name
    return None


def bound_names(node):
    """Names a module-level statement defines (inside `if`, `try` and `with` blocks too: `try: import x`)."""
    if isinstance(node, (ast.If, ast.Try, ast.With)) or type(node).__name__ == "TryStar":
        names = set()
        for field in ("body", "orelse", "finalbody", "handlers"):
            for child in getattr(node, field, []) or []:
                for inner in (child.body if isinstance(child, ast.ExceptHandler) else [child]):
                    names |= bound_names(inner)
        return names
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    names = set()
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:
            names |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def statement_start(stmt):
    """The first line of a statement, its decorators included."""
    return stmt.decorator_list[0].lineno if getattr(stmt, "decorator_list", None) else stmt.lineno


def used_names(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def extract(path, text, module=None, whole_class_lines=None):
    """Top-level functions, methods of top-level classes and self-contained nested functions, each with the
    module-level statements it needs, transitively; relative imports made absolute where the module is known.
    With `whole_class_lines`, a small class (at most that many lines) is one sample (`class Name`) instead of its
    methods."""
    tree, error = parse_error(text)
    if error:
        hint = python2_hint(text, error)
        return {"error": {"reason": "python2-syntax" if hint else "does-not-parse",
                          "detail": hint or error["message"], "line": error["line"]}}
    lines = text.splitlines(keepends=True)
    body = tree.body
    definitions = {}
    for index, stmt in enumerate(body):
        for name in bound_names(stmt):
            definitions.setdefault(name, index)
    items, skipped = [], []
    for index, stmt in enumerate(body):
        if isinstance(stmt, ast.ClassDef):
            whole = whole_class_item(tree, lines, body, index, stmt, definitions, module, whole_class_lines) \
                if whole_class_lines is not None else None
            if whole is not None:
                items.append(whole)
                skipped += [{"name": "%s.%s" % (stmt.name, n.name), "line": n.lineno, "reason": "in-whole-class",
                             "detail": "collected with its class as one sample, class %s" % stmt.name}
                            for n in stmt.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
                continue
            found, passed = class_items(tree, lines, body, index, stmt, definitions, module)
            items += found
            skipped += passed
            continue
        if isinstance(stmt, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for inner in ast.walk(stmt):
                if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    skipped.append({"name": inner.name, "line": inner.lineno, "reason": "nested",
                                    "detail": "defined inside a module-level block, not at the top level"})
            continue
        if isinstance(stmt, ast.AsyncFunctionDef):
            skipped.append({"name": stmt.name, "line": stmt.lineno, "reason": "async-function",
                            "detail": "coroutines need an event loop to call"})
            continue
        if not isinstance(stmt, ast.FunctionDef):
            continue
        needed = dependencies(body, index, definitions)
        start = statement_start(stmt)
        parts = ["".join(lines[body[i].lineno - 1:body[i].end_lineno]) for i in sorted(needed)]
        parts.append("".join(lines[start - 1:stmt.end_lineno]))
        items.append({"name": stmt.name, "line": start, "kind": "function",
                      "code": absolute_imports("\n\n".join(p.rstrip("\n") + "\n" for p in parts), module)})
        found, passed = nested_items(lines, body, index, stmt, definitions, module)
        items += found
        skipped += passed
    return {"items": items, "skipped": skipped}


def signature(fn):
    a = fn.args
    return {"positional": [x.arg for x in a.posonlyargs + a.args], "vararg": a.vararg.arg if a.vararg else None,
            "kwonly": [x.arg for x in a.kwonlyargs], "kwarg": a.kwarg.arg if a.kwarg else None,
            "defaults": len(a.defaults)}


def normalized_hash(tree, entry=""):
    """Same hash for code that differs only in formatting and comments (and, for a method, the same method: every
    method of a class comes with the same class)."""
    text = ast.dump(tree, annotate_fields=False) + ("|" + entry if "." in entry else "")
    return hashlib.sha256(text.encode()).hexdigest()


def docstring_nodes(tree):
    """The string constants that are docstrings (of the module, classes and functions): documentation, not data."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                out.add(first.value)
    return out


def analyze(code, entry):
    tree, error = parse_error(code)
    if error:
        hint = python2_hint(code, error)
        return {"parses": False, "python2": hint, "error": error}
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    owner, fn = find_entry(tree, entry)
    if fn is not None and not isinstance(fn, (ast.FunctionDef, ast.ClassDef)):
        fn = None
    kind = entry_kind(owner, fn) if fn is not None else None
    whole = kind == "whole-class"
    branches = sum(isinstance(n, (ast.If, ast.For, ast.While, ast.Try, ast.IfExp, ast.BoolOp, ast.comprehension))
                   for n in ast.walk(tree))
    docs = docstring_nodes(tree)
    # A method's sample answers with the method alone: its own literals are what would be data in the answer.
    measured = fn if kind in ("instance", "class", "static", "whole-class") else tree
    longest = max((len(n.value) for n in ast.walk(measured)
                   if isinstance(n, ast.Constant) and isinstance(n.value, (str, bytes)) and n not in docs), default=0)
    generator = fn is not None and not whole and any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in ast.walk(fn))
    entry_signature = (constructor_signature(tree, owner) if whole else bound_signature(fn, kind)) if fn else None
    answer = {"parses": True, "functions": functions, "signature": entry_signature,
              "hash": normalized_hash(tree, entry), "branches": branches, "longest_literal": longest,
              "generator": generator, "docstring": ast.get_docstring(fn) if fn else None, "kind": kind,
              "relative_imports": relative_imports(tree)}
    if fn is not None:
        # Sizes in formatted lines (as ast.unparse writes the code: one statement a line, whatever the original's
        # layout), without docstrings and comments: the entry point's own, and what comes with it.
        stripped = strip_docstrings(tree)
        answer["code_text"] = ast.unparse(stripped)
        own = ast.unparse(find_entry(stripped, entry)[1])
        if measured is fn:
            answer["dense_text"] = own
        answer["entry_lines"] = len(own.splitlines())
        answer["context_lines"] = max(0, len(answer["code_text"].splitlines()) - answer["entry_lines"])
    if whole:
        answer["methods"] = whole_class_signatures(owner)
    if kind in ("instance", "whole-class"):
        how = constructor(tree, owner)[0]
        answer["constructor"] = {"none": "none", "unknown": "unknown"}.get(how, "parameters")
        if how in ("def", "fields"):
            answer["constructor_signature"] = constructor_signature(tree, owner)
    return answer


def strip_docstrings(tree):
    """A copy of the tree without docstrings (a body left empty gets `pass`)."""
    copy = ast.parse(ast.unparse(tree))
    docs = docstring_nodes(copy)
    for node in ast.walk(copy):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body \
                and isinstance(node.body[0], ast.Expr) and node.body[0].value in docs:
            node.body = node.body[1:] or [ast.Pass()]
    return copy


def is_literal(node):
    try:
        ast.literal_eval(node)
        return True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def call_arguments(text, entry):
    """The arguments of one test input written as `f(args)`, `assert f(args) == x`, a tuple or a literal."""
    text = text.strip().rstrip(",;")
    if not text or text.startswith("#"):
        return None
    if whole_class_name(entry):
        return class_call_arguments(text, whole_class_name(entry))
    try:
        node = ast.parse(text, mode="exec").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if len(node) != 1:
        return None
    stmt = node[0]
    expr = stmt.test if isinstance(stmt, ast.Assert) else getattr(stmt, "value", None)
    if isinstance(expr, ast.Compare):
        expr = expr.left
    if isinstance(expr, ast.Call):
        owner, _, method = (entry or "").rpartition(".")
        init = None
        if owner:
            # A method: `Class(init).name(args)` or `Class.name(args)`.
            func = expr.func
            if not (isinstance(func, ast.Attribute) and func.attr == method):
                return None
            receiver = func.value
            if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name) and receiver.func.id == owner:
                init = literal_arguments(receiver)
                if init is None:
                    return None
            elif not (isinstance(receiver, ast.Name) and receiver.id == owner):
                return None
        else:
            name = expr.func.id if isinstance(expr.func, ast.Name) else getattr(expr.func, "attr", None)
            if entry is not None and name != entry:
                return None
        arguments = literal_arguments(expr)
        if arguments is None:
            return None
        return method_call_forms(entry or "", arguments[0], arguments[1], init)
    if expr is not None and is_literal(expr):
        if isinstance(expr, ast.Tuple):
            return method_call_forms(entry or "", [ast.unparse(e) for e in expr.elts], [])
        return method_call_forms(entry or "", [ast.unparse(expr)], [])
    return None


def literal_arguments(call):
    """(positional texts, keyword pairs) of a call whose arguments are all literals, else None."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    if not all(is_literal(a) for a in call.args) or not all(is_literal(k.value) for k in call.keywords):
        return None
    return [ast.unparse(a) for a in call.args], [(k.arg, ast.unparse(k.value)) for k in call.keywords]


def call_forms(positional, keywords):
    """[how the call reads, the sandbox's literal {'args': (...), 'kwargs': {...}}]."""
    display = ", ".join(positional + [f"{k}={v}" for k, v in keywords])
    args = "(" + "".join(p + ", " for p in positional) + ")"
    kwargs = "{" + ", ".join(f"{k!r}: {v}" for k, v in keywords) + "}"
    return [display, "{'args': " + args + ", 'kwargs': " + kwargs + "}"]


def reattach(original, rewrite, entry=""):
    """The rewrite with the original's module-level statements it uses but lost (imports, constants, helpers); a
    method's rewrite goes back into the original's class."""
    if "." in entry:
        return splice(original, entry, rewrite)
    try:
        old, new = ast.parse(original), ast.parse(rewrite)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return rewrite
    defined = set()
    for stmt in new.body:
        defined |= bound_names(stmt)
    missing = used_names(new) - defined
    lines = original.splitlines(keepends=True)
    chosen, changed = set(), True
    while changed:
        changed = False
        for index, stmt in enumerate(old.body):
            if index not in chosen and bound_names(stmt) & missing:
                chosen.add(index)
                missing |= used_names(stmt) - defined
                changed = True
    if not chosen:
        return rewrite
    parts = ["".join(lines[old.body[i].lineno - 1:old.body[i].end_lineno]).rstrip("\n") + "\n" for i in sorted(chosen)]
    return "\n\n".join(parts) + "\n\n" + rewrite
"""#

    static let dispatch = #"""
def guarded(compute, fallback):
    """One item's answer; an item the analysis cannot handle gets `fallback(error)`, never the whole batch's failure."""
    try:
        return compute()
    except Exception as error:  # RecursionError, MemoryError, ValueError, ... on pathological code
        return fallback("%s: %s" % (type(error).__name__, str(error)[:300]))


def parameters_answer(item):
    params = infer_parameters(item["code"], item["entry"])
    if params is None:
        return None
    tree, fn = entry_function(item["code"], item["entry"])
    kind = entry_kind(find_entry(tree, item["entry"])[0], fn)
    methods = [m.name for m in public_methods(fn)] if kind == "whole-class" else None
    calls = class_probes(params, item["entry"], methods) if methods is not None else probes(params, item["entry"], kind == "instance")
    return {"parameters": params, "probes": calls, "kind": kind, "methods": methods, "coverage": coverage_map(item["code"], item["entry"]),
            "constants": code_constants(item["code"], item["entry"])}


def main():
    request = json.load(sys.stdin)
    op = request["op"]
    items = request.get("items", [])
    if op == "extract":
        out = []
        for f in request["files"]:
            out.append(dict(path=f["path"], **guarded(lambda: extract(f["path"], f["text"], f.get("module"), request.get("whole_class_lines")), lambda e: {
                "error": {"reason": "analysis-failed", "detail": e, "line": 0}})))
        json.dump({"files": out}, sys.stdout)
    elif op == "analyze":
        json.dump({"items": [guarded(lambda: analyze(i["code"], i["entry"]), lambda e: {
            "parses": False, "error": {"message": "analysis failed: " + e, "line": 0}}) for i in items]}, sys.stdout)
    elif op == "reattach":
        json.dump({"items": [guarded(lambda: reattach(i["original"], i["rewrite"], i.get("entry", "")), lambda e: i["rewrite"]) for i in items]}, sys.stdout)
    elif op == "view":
        json.dump({"items": [guarded(lambda: method_view(i["code"], i["entry"], i.get("without_entry", False)), lambda e: i["code"]) for i in items]}, sys.stdout)
    elif op == "entry_source":
        json.dump({"items": [guarded(lambda: method_text(i["code"], i["entry"]), lambda e: None) for i in items]}, sys.stdout)
    elif op == "arguments":
        json.dump({"items": [[guarded(lambda: call_arguments(line, i["entry"]), lambda e: None) for line in i["lines"]]
                             for i in items]}, sys.stdout)
    elif op == "parameters":
        json.dump({"items": [guarded(lambda: parameters_answer(i), lambda e: {
            "parameters": [], "probes": [], "coverage": None, "constants": [], "failed": e}) for i in items]}, sys.stdout)
    elif op == "check_calls":
        json.dump({"items": [guarded(lambda: check_calls(i["code"], i["entry"], i["literals"], i["examples"]),
                                     lambda e: [["analysis-failed", e]] * len(i["literals"])) for i in items]}, sys.stdout)
    elif op == "mutants":
        json.dump({"items": [guarded(lambda: mutants(i["code"], i["entry"], i["limit"]), lambda e: []) for i in items]}, sys.stdout)
    elif op == "derive":
        json.dump({"items": [guarded(lambda: derive(i["seeds"], i["parameters"], i["limit"], i.get("constants", []), i.get("entry", "")), lambda e: [])
                             for i in items]}, sys.stdout)
    elif op == "sequences":
        json.dump({"items": [guarded(lambda: class_sequences(i["seeds"], i["entry"], i["limit"]) if whole_class_name(i["entry"])
                                     else sequences(i["changing"], i["seeds"], i["entry"], i["limit"]), lambda e: []) for i in items]}, sys.stdout)
    elif op == "claims":
        json.dump({"items": [guarded(lambda: instruction_claims(i["text"], i["entry"], i.get("code", ""), i.get("literals", [])), lambda e: {
            "named": [], "signatures": [], "calls": [], "kinds": [], "parameters": [], "failed": e}) for i in items]}, sys.stdout)
    else:
        raise SystemExit(f"unknown op {op}")


if __name__ == "__main__":
    main()
"""#
}
