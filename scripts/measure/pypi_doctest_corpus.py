#!/usr/bin/python3
"""Pure-Python PyPI packages' top-level functions with doctest examples, as a corpus with independent reference tests.

usage: pypi_doctest_corpus.py OUT_DIR [--package NAME==VERSION]... [--binary PATH] [--no-check] [--quickstart RECIPE]

The packages (default: more-itertools==10.8.0, toolz==1.0.0, boltons==25.0.0) are fetched once with
`pip download --no-deps NAME==VERSION` into ~/.cache/semi-instruct/measure/ and read from the wheel (or sdist).
In each, the top-level functions (as the pipeline's collector sees them: `def` statements directly in a module body,
not async) whose docstrings hold doctest examples (`>>>`) are chosen; doctested methods and nested functions are
skipped and counted. Tests folders (`tests/`, `test/`) are left out.

The package is copied to OUT_DIR/pypi/<import name>/... with its layout: the modules that hold a chosen function,
every package `__init__.py` above them, and every module they import inside the package (relative or absolute,
transitively), so each copied module imports as `<package>.<module>` with OUT_DIR/pypi on sys.path. In the copies
the chosen functions' docstrings are cut (their lines removed; everything else kept as written). The unmodified
files are kept in OUT_DIR/pypi_original/ (same layout; not a build input) for the reference check, which embeds them
in the sandbox.

Writes OUT_DIR/pypi_doctest_reference.jsonl ({file, module, entry, line, doctests, package, version}; `line` is the
first decorator's line if decorated, else the `def` line, in the copy) and OUT_DIR/pypi_doctest.yaml (the quickstart
recipe reading OUT_DIR/pypi). Unless --no-check, every copied module is imported in the sandbox from the COPIES, and
every original function's examples are run in the sandbox on the ORIGINAL package (`BIN exec`, files written to
/tmp/pkgs); functions whose examples fail there are listed.
"""

import argparse
import ast
import glob
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure_common as mc

DEFAULT_PACKAGES = ["more-itertools==10.8.0", "toolz==1.0.0", "boltons==25.0.0"]
SKIP_PARTS = {"tests", "test", "__pycache__"}


# ---------------------------------------------------------------------------------------------------------------
# Fetching


def archive_for(requirement):
    name, version = requirement.split("==")
    stem = re.sub(r"[-_.]+", "_", name).lower()
    os.makedirs(mc.CACHE, exist_ok=True)

    def cached():
        found = []
        for path in glob.glob(os.path.join(mc.CACHE, "*")):
            base = os.path.basename(path)
            normal = re.sub(r"[-_.]+", "_", base).lower()
            if normal.startswith(f"{stem}_{re.sub(r'[-_.]+', '_', version)}_") and base.endswith(
                (".whl", ".tar.gz", ".zip")
            ):
                found.append(path)
        return sorted(found, key=lambda p: not p.endswith(".whl"))

    archives = cached()
    if not archives:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", requirement, "-d", mc.CACHE], check=True)
        archives = cached()
    if not archives:
        sys.exit(f"pip download left no archive for {requirement} in {mc.CACHE}")
    return name, version, archives[0]


def read_archive(path):
    """{path inside the archive: text} of every .py file."""
    files = {}
    if path.endswith((".whl", ".zip")):
        with zipfile.ZipFile(path) as z:
            for n in z.namelist():
                if n.endswith(".py"):
                    files[n] = z.read(n).decode("utf-8")
    else:
        with tarfile.open(path) as t:
            for m in t.getmembers():
                if m.isfile() and m.name.endswith(".py"):
                    files[m.name] = t.extractfile(m).read().decode("utf-8")
    return files


def package_files(archive):
    """{import name: {path relative to the package root's parent: text}} for the top-level packages in the archive
    (a wheel's root, an sdist's `NAME-VERSION/` or `NAME-VERSION/src/`), tests folders left out."""
    files = read_archive(archive)
    roots = {}
    for n in files:
        parts = n.split("/")
        if parts[-1] == "__init__.py" and len(parts) >= 2:
            prefix = "/".join(parts[:-2])
            roots.setdefault(prefix, set()).add(parts[-2])
    # The shallowest prefix holding packages is the root (`` for a wheel, `name-1.0` or `name-1.0/src` for an sdist).
    candidates = [p for p in roots if not any(part in SKIP_PARTS for part in p.split("/"))]
    prefix = min(candidates, key=lambda p: (p.count("/") if p else -1, len(p)))
    packages = {}
    for n, text in files.items():
        relative = n[len(prefix) + 1 :] if prefix else n
        if prefix and not n.startswith(prefix + "/"):
            continue
        parts = relative.split("/")
        if len(parts) < 2 or parts[0] not in roots[prefix] or any(p in SKIP_PARTS for p in parts):
            continue
        packages.setdefault(parts[0], {})[relative] = text
    return packages


# ---------------------------------------------------------------------------------------------------------------
# Choosing functions and the modules to copy


def module_name(relative):
    parts = relative[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def doctested(doc):
    return bool(doc) and ">>>" in doc


def scan(tree):
    """(chosen top-level function names, count of doctested functions that are not top-level)."""
    chosen = [
        s.name for s in tree.body if isinstance(s, ast.FunctionDef) and doctested(ast.get_docstring(s, clean=False))
    ]
    top = {id(s) for s in tree.body}
    other = sum(
        1
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        and id(n) not in top
        and doctested(ast.get_docstring(n, clean=False))
    )
    other += sum(
        1 for s in tree.body if isinstance(s, ast.AsyncFunctionDef) and doctested(ast.get_docstring(s, clean=False))
    )
    return chosen, other


def imported_modules(relative, tree, modules):
    """Modules of the same package (dotted names in `modules`) that RELATIVE's code imports, anywhere in it."""
    this = module_name(relative)
    package = this if relative.endswith("__init__.py") else this.rpartition(".")[0]
    top = relative.split("/")[0]
    found = set()

    def add(dotted):
        # `a.b.c` imports a, a.b and a.b.c.
        parts = dotted.split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            if name in modules:
                found.add(name)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == top:
                    add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                base = ".".join(base)
                target = f"{base}.{node.module}" if node.module else base
            elif node.module and node.module.split(".")[0] == top:
                target = node.module
            else:
                continue
            add(target)
            for alias in node.names:
                add(f"{target}.{alias.name}")
    return found


def closure(files, start):
    """The relative paths to copy: START, every __init__.py above them, and the package modules they import."""
    by_module = {module_name(r): r for r in files}
    trees = {r: ast.parse(t) for r, t in files.items()}
    chosen, queue = set(), list(start)
    while queue:
        relative = queue.pop()
        if relative in chosen:
            continue
        chosen.add(relative)
        parts = relative.split("/")
        for i in range(1, len(parts)):
            init = "/".join(parts[:i]) + "/__init__.py"
            if init in files:
                queue.append(init)
        for name in imported_modules(relative, trees[relative], by_module):
            queue.append(by_module[name])
    return sorted(chosen)


def cut_copy(text, tree, chosen):
    spans = [
        (stmt, stmt.body[0])
        for stmt in tree.body
        if isinstance(stmt, ast.FunctionDef) and stmt.name in chosen and mc.is_string_statement(stmt.body[0])
    ]
    return mc.cut_docstrings(text, spans)[0]


# ---------------------------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument(
        "--package",
        action="append",
        help="NAME==VERSION (repeatable; default " + ", ".join(DEFAULT_PACKAGES) + ")",
    )
    ap.add_argument("--binary", default=mc.DEFAULT_BINARY, help="semi-instruct binary for the sandbox check")
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("--quickstart", default=os.path.join(mc.REPO, "recipes", "quickstart.yaml"))
    args = ap.parse_args()
    out = os.path.abspath(args.out_dir)
    copies = os.path.join(out, "pypi")
    originals = os.path.join(out, "pypi_original")
    for folder in (copies, originals):
        if os.path.isdir(folder):
            shutil.rmtree(folder)
        os.makedirs(folder)

    reference, summary, copied_files = [], [], {}
    for requirement in args.package or DEFAULT_PACKAGES:
        name, version, archive = archive_for(requirement)
        for top, files in sorted(package_files(archive).items()):
            trees = {r: ast.parse(t) for r, t in files.items()}
            chosen = {}
            not_top = 0
            for relative, tree in trees.items():
                names, other = scan(tree)
                not_top += other
                if names:
                    chosen[relative] = names
            if not chosen:
                continue
            to_copy = closure(files, chosen)
            functions_in_copies = 0
            for relative in to_copy:
                text = files[relative]
                copy = cut_copy(text, trees[relative], chosen.get(relative, []))
                copy_tree = ast.parse(copy)
                for root, body in ((copies, copy), (originals, text)):
                    target = os.path.join(root, relative)
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    with open(target, "w", encoding="utf-8") as f:
                        f.write(body)
                copied_files.setdefault(top, {})[relative] = copy
                functions_in_copies += sum(isinstance(s, ast.FunctionDef) for s in copy_tree.body)
                docs = {
                    s.name: s.body[0].value.value
                    for s in trees[relative].body
                    if isinstance(s, ast.FunctionDef) and s.name in chosen.get(relative, [])
                }
                for stmt in copy_tree.body:
                    if isinstance(stmt, ast.FunctionDef) and stmt.name in docs:
                        line = stmt.decorator_list[0].lineno if stmt.decorator_list else stmt.lineno
                        reference.append(
                            {
                                "file": relative,
                                "module": module_name(relative),
                                "entry": stmt.name,
                                "line": line,
                                "doctests": docs[stmt.name],
                                "package": name,
                                "version": version,
                            }
                        )
            summary.append(
                {
                    "package": f"{name}=={version}",
                    "import": top,
                    "chosen": sum(len(v) for v in chosen.values()),
                    "per_file": {r: len(v) for r, v in sorted(chosen.items())},
                    "not_top_level": not_top,
                    "copied_files": len(to_copy),
                    "functions_in_copies": functions_in_copies,
                }
            )
    mc.write_jsonl(os.path.join(out, "pypi_doctest_reference.jsonl"), reference)
    recipe = mc.recipe_from_quickstart(args.quickstart, "pypi-doctest", [f"  - path: {mc.yaml_string(copies)}"])
    with open(os.path.join(out, "pypi_doctest.yaml"), "w", encoding="utf-8") as f:
        f.write(recipe)
    for s in summary:
        print(
            f"{s['package']} ({s['import']}): {s['chosen']} doctested top-level functions kept "
            f"({s['not_top_level']} doctested methods or nested functions skipped); {s['copied_files']} files copied, "
            f"{s['functions_in_copies']} top-level functions in them"
        )
        for relative, n in s["per_file"].items():
            print(f"    {relative}: {n}")
    print(f"{len(reference)} doctested functions -> {copies} (originals in {originals})")

    if args.no_check:
        return
    binary = mc.resolve_binary(args.binary)
    # 1. The copies import in the sandbox, each module by its dotted name.
    for top, files in sorted(copied_files.items()):
        modules = sorted({module_name(r) for r in files})
        results = mc.sandbox_exec(binary, mc.import_program(files), "reference_import", [f"({m!r},)" for m in modules])
        bad = [(m, r) for m, r in zip(modules, results) if r["status"] != "ok"]
        print(f"copies of {top}: {len(modules) - len(bad)}/{len(modules)} modules import in the sandbox")
        for m, r in bad:
            print(
                f"    {m}: {r['status']} {(r.get('error') or {}).get('type')}: {(r.get('error') or {}).get('message')}"
            )
    # 2. The originals' examples.
    original_files = {}
    for top in copied_files:
        for path in glob.glob(os.path.join(originals, top, "**", "*.py"), recursive=True):
            with open(path, encoding="utf-8") as f:
                original_files.setdefault(top, {})[os.path.relpath(path, originals).replace(os.sep, "/")] = f.read()
    usable = Counter()
    for r in reference:
        top = r["file"].split("/")[0]
        program = mc.doctest_program(r["module"], r["entry"], r["doctests"], files=original_files[top])
        result = mc.sandbox_exec(binary, program, "reference_doctest", ["('original',)"])[0]
        value = mc.parse_json_value(result)
        if value is None:
            print(f"  {r['module']}.{r['entry']}: harness {result['status']}: {result.get('error')}")
            continue
        passed = sum(1 for _, ok, _ in value["results"] if ok)
        usable[r["package"]] += passed > 0
        if value["failed"] or not passed:
            print(
                f"  {r['module']}.{r['entry']}: original passes {passed} of {value['attempted']} examples "
                f"({value['examples']} written)"
            )
    totals = Counter(r["package"] for r in reference)
    for package, n in totals.items():
        print(f"{package}: original passes at least one example in the sandbox for {usable[package]}/{n}")
    print(
        f"functions whose original passes at least one example in the sandbox: {sum(usable.values())}/{len(reference)}"
    )


if __name__ == "__main__":
    main()
