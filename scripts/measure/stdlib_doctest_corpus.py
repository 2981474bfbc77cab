#!/usr/bin/python3
"""Debian's Python standard library functions with doctest examples, as a corpus with independent reference tests.

usage: stdlib_doctest_corpus.py OUT_DIR [--stdlib /usr/lib/python3.11] [--binary PATH] [--no-check]
                                [--only-doctested] [--quickstart RECIPE]

Finds the top-level functions (as the pipeline's collector sees them: `def` statements directly in the module
body, not async) whose docstrings hold doctest examples (`>>>`), skipping test/, idlelib/, lib2to3/, turtledemo/,
ensurepip/ and functions that need a relative import (the pipeline runs each function on its own). Every module
file with such a function is copied to OUT_DIR/stdlib/<same relative path> with the docstrings of those
functions cut (their lines removed; everything else kept as written). With --only-doctested, other top-level
functions that the doctested ones do not need are cut too (a shorter build; the doctested functions reach the
model exactly as before).

Writes OUT_DIR/stdlib_doctest_reference.jsonl ({file, module, entry, line, doctests}) and OUT_DIR/stdlib_doctest.yaml
(the quickstart recipe reading OUT_DIR/stdlib). Unless --no-check, every original function's examples are run in
the sandbox (`BIN exec`) on the unchanged module, and the functions whose examples all fail are listed.
"""

import argparse
import ast
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure_common as mc

SKIP_DIRS = {
    "test",
    "idlelib",
    "lib2to3",
    "turtledemo",
    "ensurepip",
    "__pycache__",
    "lib-dynload",
    "site-packages",
    "dist-packages",
}


def bound_names(node):
    """Names a module-level statement defines (as the pipeline's extractor computes them)."""
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


def needed_statements(body, index):
    """Indices of the module-level statements function body[index] needs, transitively (the pipeline's rule)."""
    definitions = {}
    for i, stmt in enumerate(body):
        for name in bound_names(stmt):
            definitions.setdefault(name, i)
    needed, queue = set(), [body[index]]
    while queue:
        node = queue.pop()
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                where = definitions.get(n.id)
                if where is not None and where != index and where not in needed:
                    needed.add(where)
                    queue.append(body[where])
    return needed


def module_name(relative):
    parts = relative[:-3].split(os.sep)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def find(stdlib):
    """{relative path: (text, tree, [doctested top-level function names], [skipped (name, why)])}."""
    found = {}
    for directory, subdirs, files in os.walk(stdlib):
        relative_dir = os.path.relpath(directory, stdlib)
        subdirs[:] = sorted(d for d in subdirs if d not in SKIP_DIRS and not d.startswith("config-"))
        for name in sorted(files):
            path = os.path.join(directory, name)
            if not name.endswith(".py") or os.path.islink(path):
                continue
            relative = os.path.normpath(os.path.join(relative_dir, name))
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                tree = ast.parse(text)
            except (SyntaxError, UnicodeDecodeError, ValueError):
                continue
            chosen, skipped = [], []
            for index, stmt in enumerate(tree.body):
                if not isinstance(stmt, ast.FunctionDef):
                    continue
                doc = ast.get_docstring(stmt, clean=False)
                if not doc or ">>>" not in doc:
                    continue
                relative_imports = [
                    tree.body[i]
                    for i in needed_statements(tree.body, index)
                    if isinstance(tree.body[i], ast.ImportFrom) and tree.body[i].level > 0
                ]
                if relative_imports:
                    skipped.append((stmt.name, f"needs a relative import (line {relative_imports[0].lineno})"))
                else:
                    chosen.append(stmt.name)
            if chosen or skipped:
                found[relative] = (text, tree, chosen, skipped)
    return found


def make_copy(text, tree, chosen, only_doctested):
    """The module text with the chosen functions' docstrings cut (and, with only_doctested, the top-level functions
    the chosen ones do not need)."""
    spans = [
        (stmt, stmt.body[0])
        for stmt in tree.body
        if isinstance(stmt, ast.FunctionDef) and stmt.name in chosen and mc.is_string_statement(stmt.body[0])
    ]
    if not only_doctested:
        return mc.cut_docstrings(text, spans)[0]
    keep = set()
    for index, stmt in enumerate(tree.body):
        if isinstance(stmt, ast.FunctionDef) and stmt.name in chosen:
            keep.add(index)
            keep |= needed_statements(tree.body, index)
    drop = [
        stmt
        for index, stmt in enumerate(tree.body)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and index not in keep
    ]
    # Cut the docstrings first, on the original line numbers, by marking dropped functions as whole-line spans.
    lines = text.splitlines(keepends=True)
    dropped_lines = set()
    for stmt in drop:
        start = stmt.decorator_list[0].lineno if stmt.decorator_list else stmt.lineno
        dropped_lines |= set(range(start - 1, stmt.end_lineno))
    for owner, doc in spans:
        dropped_lines |= set(range(doc.lineno - 1, doc.end_lineno))
    return "".join(line for i, line in enumerate(lines) if i not in dropped_lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--stdlib", default="/usr/lib/python3.11")
    ap.add_argument("--binary", default=mc.DEFAULT_BINARY, help="semi-instruct binary for the sandbox check")
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument(
        "--only-doctested",
        action="store_true",
        help="also cut the top-level functions the doctested ones do not need (faster builds)",
    )
    ap.add_argument("--quickstart", default=os.path.join(mc.REPO, "recipes", "quickstart.yaml"))
    args = ap.parse_args()
    out = os.path.abspath(args.out_dir)
    copies = os.path.join(out, "stdlib")
    if os.path.isdir(copies):
        shutil.rmtree(copies)
    os.makedirs(copies)

    found = find(args.stdlib)
    reference, skipped_all, functions_in_copies = [], [], 0
    for relative, (text, tree, chosen, skipped) in sorted(found.items()):
        skipped_all += [(relative, name, why) for name, why in skipped]
        if not chosen:
            continue
        docs = {
            stmt.name: stmt.body[0].value.value
            for stmt in tree.body
            if isinstance(stmt, ast.FunctionDef) and stmt.name in chosen
        }
        copy = make_copy(text, tree, chosen, args.only_doctested)
        copy_tree = ast.parse(copy)
        target = os.path.join(copies, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as f:
            f.write(copy)
        functions_in_copies += sum(isinstance(s, ast.FunctionDef) for s in copy_tree.body)
        for stmt in copy_tree.body:
            if isinstance(stmt, ast.FunctionDef) and stmt.name in chosen:
                line = stmt.decorator_list[0].lineno if stmt.decorator_list else stmt.lineno
                reference.append(
                    {
                        "file": relative,
                        "module": module_name(relative),
                        "entry": stmt.name,
                        "line": line,
                        "doctests": docs[stmt.name],
                    }
                )
    mc.write_jsonl(os.path.join(out, "stdlib_doctest_reference.jsonl"), reference)
    recipe = mc.recipe_from_quickstart(args.quickstart, "stdlib-doctest", [f"  - path: {mc.yaml_string(copies)}"])
    with open(os.path.join(out, "stdlib_doctest.yaml"), "w", encoding="utf-8") as f:
        f.write(recipe)
    files = len({r["file"] for r in reference})
    print(
        f"{len(reference)} doctested functions in {files} module files -> {copies} "
        f"({functions_in_copies} top-level functions in the copies)"
    )
    for relative, name, why in skipped_all:
        print(f"  skipped {relative}:{name}: {why}")

    if args.no_check:
        return
    binary = mc.resolve_binary(args.binary)
    usable = 0
    for r in reference:
        program = mc.doctest_program(r["module"], r["entry"], r["doctests"])
        result = mc.sandbox_exec(binary, program, "reference_doctest", ["('original',)"])[0]
        value = mc.parse_json_value(result)
        if value is None:
            print(f"  {r['module']}.{r['entry']}: harness {result['status']}: {result.get('error')}")
            continue
        passed = sum(1 for _, ok, _ in value["results"] if ok)
        usable += passed > 0
        if value["failed"]:
            print(
                f"  {r['module']}.{r['entry']}: original passes {passed} of {value['attempted']} examples "
                f"({value['examples']} written)"
            )
    print(f"functions whose original passes at least one example in the sandbox: {usable}/{len(reference)}")


if __name__ == "__main__":
    main()
