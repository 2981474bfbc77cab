// The Python side of static analysis, run by /usr/bin/python3 -I: it parses with `ast`, never executes input.
enum PythonToolsScript {
    /// The whole script: parsing and extraction, parameter kinds, test inputs, then the request dispatch.
    static let source = core + kinds + inputs + mutants + instructions + dispatch

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
    """Names a module-level statement defines."""
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


def used_names(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def extract(path, text):
    """Top-level functions, each with the module-level statements it needs, transitively."""
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
            for inner in stmt.body:
                if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    skipped.append({"name": f"{stmt.name}.{inner.name}", "line": inner.lineno, "reason": "method",
                                    "detail": f"method of class {stmt.name}; only top-level functions are collected"})
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
        needed, queue = set(), [stmt]
        while queue:
            node = queue.pop()
            for name in used_names(node):
                where = definitions.get(name)
                if where is not None and where != index and where not in needed:
                    needed.add(where)
                    queue.append(body[where])
        start = stmt.decorator_list[0].lineno if stmt.decorator_list else stmt.lineno
        parts = ["".join(lines[body[i].lineno - 1:body[i].end_lineno]) for i in sorted(needed)]
        parts.append("".join(lines[start - 1:stmt.end_lineno]))
        items.append({"name": stmt.name, "line": start, "code": "\n\n".join(p.rstrip("\n") + "\n" for p in parts)})
    return {"items": items, "skipped": skipped}


def signature(fn):
    a = fn.args
    return {"positional": [x.arg for x in a.posonlyargs + a.args], "vararg": a.vararg.arg if a.vararg else None,
            "kwonly": [x.arg for x in a.kwonlyargs], "kwarg": a.kwarg.arg if a.kwarg else None,
            "defaults": len(a.defaults)}


def normalized_hash(tree):
    """Same hash for code that differs only in formatting and comments."""
    return hashlib.sha256(ast.dump(tree, annotate_fields=False).encode()).hexdigest()


def analyze(code, entry):
    tree, error = parse_error(code)
    if error:
        hint = python2_hint(code, error)
        return {"parses": False, "python2": hint, "error": error}
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    fn = functions.get(entry)
    branches = sum(isinstance(n, (ast.If, ast.For, ast.While, ast.Try, ast.IfExp, ast.BoolOp, ast.comprehension))
                   for n in ast.walk(tree))
    longest = max((len(n.value) for n in ast.walk(tree)
                   if isinstance(n, ast.Constant) and isinstance(n.value, (str, bytes))), default=0)
    generator = fn is not None and any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in ast.walk(fn))
    return {"parses": True, "functions": list(functions), "signature": signature(fn) if fn else None,
            "hash": normalized_hash(tree), "branches": branches, "longest_literal": longest,
            "generator": generator, "docstring": ast.get_docstring(fn) if fn else None}


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
        name = expr.func.id if isinstance(expr.func, ast.Name) else getattr(expr.func, "attr", None)
        if (entry is not None and name != entry) or any(isinstance(a, ast.Starred) for a in expr.args) or any(k.arg is None for k in expr.keywords):
            return None
        if not all(is_literal(a) for a in expr.args) or not all(is_literal(k.value) for k in expr.keywords):
            return None
        return call_forms([ast.unparse(a) for a in expr.args], [(k.arg, ast.unparse(k.value)) for k in expr.keywords])
    if expr is not None and is_literal(expr):
        if isinstance(expr, ast.Tuple):
            return call_forms([ast.unparse(e) for e in expr.elts], [])
        return call_forms([ast.unparse(expr)], [])
    return None


def call_forms(positional, keywords):
    """[how the call reads, the sandbox's literal {'args': (...), 'kwargs': {...}}]."""
    display = ", ".join(positional + [f"{k}={v}" for k, v in keywords])
    args = "(" + "".join(p + ", " for p in positional) + ")"
    kwargs = "{" + ", ".join(f"{k!r}: {v}" for k, v in keywords) + "}"
    return [display, "{'args': " + args + ", 'kwargs': " + kwargs + "}"]


def reattach(original, rewrite):
    """The rewrite with the original's module-level statements it uses but lost (imports, constants, helpers)."""
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
    return {"parameters": params, "probes": probes(params), "coverage": coverage_map(item["code"], item["entry"]),
            "constants": code_constants(item["code"], item["entry"])}


def main():
    request = json.load(sys.stdin)
    op = request["op"]
    items = request.get("items", [])
    if op == "extract":
        out = []
        for f in request["files"]:
            out.append(dict(path=f["path"], **guarded(lambda: extract(f["path"], f["text"]), lambda e: {
                "error": {"reason": "analysis-failed", "detail": e, "line": 0}})))
        json.dump({"files": out}, sys.stdout)
    elif op == "analyze":
        json.dump({"items": [guarded(lambda: analyze(i["code"], i["entry"]), lambda e: {
            "parses": False, "error": {"message": "analysis failed: " + e, "line": 0}}) for i in items]}, sys.stdout)
    elif op == "reattach":
        json.dump({"items": [guarded(lambda: reattach(i["original"], i["rewrite"]), lambda e: i["rewrite"]) for i in items]}, sys.stdout)
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
        json.dump({"items": [guarded(lambda: derive(i["seeds"], i["parameters"], i["limit"], i.get("constants", [])), lambda e: [])
                             for i in items]}, sys.stdout)
    elif op == "claims":
        json.dump({"items": [guarded(lambda: instruction_claims(i["text"], i["entry"], i.get("code", ""), i.get("literals", [])), lambda e: {
            "named": [], "signatures": [], "calls": [], "kinds": [], "parameters": [], "failed": e}) for i in items]}, sys.stdout)
    else:
        raise SystemExit(f"unknown op {op}")


if __name__ == "__main__":
    main()
"""#
}
