"""Shared helpers of the measurement scripts (standard library only; run with /usr/bin/python3)."""

import ast
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_BINARY = os.path.join(".build", "release", "semi-instruct")
CACHE = os.path.join(os.environ.get("SEMI_INSTRUCT_CACHE", os.path.expanduser("~/.cache/semi-instruct")), "measure")


def resolve_binary(path):
    path = path or DEFAULT_BINARY
    for candidate in (path, os.path.join(REPO, path)):
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return os.path.abspath(candidate)
    sys.exit(f"semi-instruct binary not found: {path} (give --binary PATH)")


def sandbox_exec(binary, code, entry, inputs, timeout=20, memory=1024):
    """Runs ENTRY of CODE on each input line (Python literal tuples) in the project's sandbox.
    Returns one dict per input: status ('ok', 'raised', 'timeout', ...), value, error, stdout, stderr."""
    with tempfile.TemporaryDirectory(prefix="measure-") as tmp:
        code_path = os.path.join(tmp, "code.py")
        inputs_path = os.path.join(tmp, "inputs.txt")
        with open(code_path, "w", encoding="utf-8") as f:
            f.write(code)
        with open(inputs_path, "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in inputs))
        proc = subprocess.run(
            [
                binary,
                "exec",
                "--code",
                code_path,
                "--entry",
                entry,
                "--inputs",
                inputs_path,
                "--json",
                "--timeout",
                str(timeout),
                "--memory",
                str(memory),
            ],
            capture_output=True,
            text=True,
            timeout=timeout * max(1, len(inputs)) + 60,
            check=False,
        )
    results = []
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                results.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    if len(results) != len(inputs):
        results += [
            {
                "status": "exec-failed",
                "value": None,
                "error": {"type": "ExecFailed", "message": (proc.stderr or proc.stdout)[-800:]},
                "stdout": "",
                "stderr": proc.stderr[-2000:],
            }
        ] * (len(inputs) - len(results))
    return results


def is_string_statement(stmt):
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def docstring_spans(
    tree, kinds=(ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef), only=None, bare_strings=False
):
    """(owner node, docstring Expr node) for every docstring in the tree; `only` filters owners. With bare_strings,
    every string-literal statement of those bodies counts (HumanEval/115 documents after `import math`)."""
    spans = []
    for node in ast.walk(tree):
        if not isinstance(node, kinds) or not node.body or (only is not None and not only(node)):
            continue
        for stmt in node.body if bare_strings else node.body[:1]:
            if is_string_statement(stmt):
                spans.append((node, stmt))
    return spans


def cut_docstrings(text, spans):
    """Removes the source lines of the docstrings in `spans`. A docstring that shares a line with other code, or
    is the only statement of its body, is replaced by `pass` on its own lines instead. Returns (text, removed)."""
    lines = text.splitlines(keepends=True)
    removed = []
    replace = {}  # first line index -> (last line index, replacement text)
    for owner, doc in spans:
        first, last = doc.lineno - 1, doc.end_lineno - 1
        start_line, end_line = lines[first], lines[last]
        alone = start_line[: doc.col_offset].strip() == "" and end_line[doc.end_col_offset :].strip() == ""
        if not alone:
            raise ValueError(f"docstring at line {doc.lineno} shares its line with other code")
        indent = start_line[: doc.col_offset]
        only_statement = not isinstance(owner, ast.Module) and all(is_string_statement(s) for s in owner.body)
        replace[first] = (last, indent + "pass\n" if only_statement and doc is owner.body[0] else "")
        removed.append(doc.value.value)
    out, i = [], 0
    while i < len(lines):
        if i in replace:
            last, text_ = replace[i]
            out.append(text_)
            i = last + 1
        else:
            out.append(lines[i])
            i += 1
    return "".join(out), removed


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def recipe_from_quickstart(quickstart_path, name, inputs_yaml_lines):
    """The quickstart recipe's text with its name and `inputs:` section replaced; everything else kept."""
    with open(quickstart_path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    out, skipping = [], False
    for line in lines:
        top_level = line and not line[0].isspace() and not line.startswith("#")
        if skipping and top_level:
            skipping = False
        if skipping:
            continue
        if line.startswith("name:"):
            out.append(f"name: {name}")
        elif line.startswith("inputs:"):
            out.append("inputs:")
            out += inputs_yaml_lines
            skipping = True
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def yaml_string(s):
    return json.dumps(s)  # a JSON string is a valid YAML double-quoted scalar


# ---------------------------------------------------------------------------------------------------------------
# Reference programs run in the sandbox. Each is a Python file whose function returns a JSON string.


def humaneval_program(original, rewrite, test, entry):
    """Calls HumanEval's check(candidate) on the rewrite's ENTRY. The rewrite runs in its own namespace (its
    helpers are its own); the test runs beside the ORIGINAL code, so helpers the test itself calls (encode_cyclic,
    poly) are the original's. reference_check() returns True, or raises what the check raised."""
    return f"""import json as _ref_json

_REF_ORIGINAL = {original!r}
_REF_REWRITE = {rewrite!r}
_REF_TEST = {test!r}
_REF_ENTRY = {entry!r}


def reference_check():
    rewrite_ns = {{"__name__": "rewrite"}}
    exec(compile(_REF_REWRITE, "<rewrite>", "exec"), rewrite_ns)
    test_ns = {{"__name__": "reference"}}
    exec(compile(_REF_ORIGINAL, "<original>", "exec"), test_ns)
    exec(compile(_REF_TEST, "<test>", "exec"), test_ns)
    test_ns["check"](rewrite_ns[_REF_ENTRY])
    return True
"""


PACKAGE_ROOT_IN_SANDBOX = "/tmp/pkgs"


def doctest_program(module, entry, doc, rewrite="", files=None):
    """reference_doctest(mode) imports MODULE; with mode 'rewrite' it execs the rewrite into a copy of the module's
    namespace, puts the rewrite's ENTRY into the module, and runs the docstring's examples with that namespace as
    globals; with 'original' it runs them on the unchanged module. Returns JSON: attempted, failed, and per example
    [index, passed, detail].

    FILES ({relative path: text}, e.g. a PyPI package's original sources) are written under /tmp/pkgs inside the
    sandbox at call time (its /tmp is private and writable; the rest is read-only) and /tmp/pkgs goes first on
    sys.path, so MODULE is imported from there."""
    return f"""import doctest as _ref_doctest
import importlib as _ref_importlib
import json as _ref_json

_REF_MODULE = {module!r}
_REF_ENTRY = {entry!r}
_REF_DOC = {doc!r}
_REF_REWRITE = {rewrite!r}
{_install_files_code(files)}

class _RefRecorder(_ref_doctest.DocTestRunner):
    def run(self, test, *args, **kwargs):
        self.index = {{id(e): i for i, e in enumerate(test.examples)}}
        self.results = []
        return super().run(test, *args, **kwargs)

    def report_start(self, out, test, example):
        pass

    def report_success(self, out, test, example, got):
        self.results.append([self.index[id(example)], True, ""])

    def report_failure(self, out, test, example, got):
        self.results.append([self.index[id(example)], False,
                             "expected " + repr(example.want[:200]) + ", got " + repr(got[:200])])

    def report_unexpected_exception(self, out, test, example, exc_info):
        self.results.append([self.index[id(example)], False,
                             "raised " + exc_info[0].__name__ + ": " + str(exc_info[1])[:200]])


def reference_doctest(mode):
    _ref_install_files()
    module = _ref_importlib.import_module(_REF_MODULE)
    namespace = dict(vars(module))
    # Examples written as `textwrap.shorten(...)` name the module itself.
    namespace.setdefault(_REF_MODULE.rsplit(".", 1)[-1], module)
    namespace.setdefault(_REF_MODULE.split(".", 1)[0], _ref_importlib.import_module(_REF_MODULE.split(".", 1)[0]))
    missing = object()
    saved = getattr(module, _REF_ENTRY, missing)
    try:
        if mode == "rewrite":
            exec(compile(_REF_REWRITE, "<rewrite>", "exec"), namespace)
            setattr(module, _REF_ENTRY, namespace[_REF_ENTRY])
        test = _ref_doctest.DocTestParser().get_doctest(_REF_DOC, namespace, _REF_MODULE + "." + _REF_ENTRY,
                                                         getattr(module, "__file__", None), 0)
        runner = _RefRecorder(verbose=False, optionflags=0)
        outcome = runner.run(test, clear_globs=False)
        return _ref_json.dumps({{"attempted": outcome.attempted, "failed": outcome.failed,
                                 "examples": len(test.examples), "results": runner.results}})
    finally:
        if saved is missing:
            if hasattr(module, _REF_ENTRY):
                delattr(module, _REF_ENTRY)
        else:
            setattr(module, _REF_ENTRY, saved)
"""


def _install_files_code(files):
    """Code defining _ref_install_files(): writes FILES under PACKAGE_ROOT_IN_SANDBOX and puts that first on
    sys.path (a no-op without files)."""
    return f"""_REF_FILES = {dict(sorted((files or {}).items()))!r}
_REF_ROOT = {PACKAGE_ROOT_IN_SANDBOX!r}


def _ref_install_files():
    if not _REF_FILES:
        return
    import os as _ref_os
    import sys as _ref_sys

    for relative, text in _REF_FILES.items():
        path = _ref_os.path.join(_REF_ROOT, relative)
        _ref_os.makedirs(_ref_os.path.dirname(path), exist_ok=True)
        try:
            with open(path, encoding="utf-8") as f:
                if f.read() == text:
                    continue
        except OSError:
            pass
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    if _REF_ROOT not in _ref_sys.path:
        _ref_sys.path.insert(0, _REF_ROOT)
"""


def import_program(files):
    """reference_import(module) writes FILES under /tmp/pkgs, imports MODULE from there and returns JSON: the
    module's file and the number of its top-level functions (raises what the import raised)."""
    return f"""import importlib as _ref_importlib
import json as _ref_json
{_install_files_code(files)}

def reference_import(module):
    _ref_install_files()
    m = _ref_importlib.import_module(module)
    return _ref_json.dumps({{"file": getattr(m, "__file__", None),
                             "functions": sum(callable(v) for v in vars(m).values())}})
"""


def parse_json_value(result):
    """The JSON string a reference program returned, decoded; None when the call did not return one."""
    if result.get("status") != "ok" or not isinstance(result.get("value"), str):
        return None
    try:
        return json.loads(result["value"])
    except json.JSONDecodeError:
        return None
