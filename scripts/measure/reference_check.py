#!/usr/bin/python3
"""How correct is a run's exported data, judged by reference tests the project did not write.

usage: reference_check.py --run RUN_DIR --corpus humaneval|stdlib|pypi --reference FILE [--binary PATH] [--json OUT]
                          [--wall-seconds S] [--timeout 20] [--memory 1024] [--originals DIR]

Reads RUN_DIR/dataset.jsonl, maps each exported sample back to its reference (HumanEval: `line` is the record's
line in humaneval.jsonl; stdlib, pypi: the copied file's relative path and the entry name), and runs the reference
tests on the REWRITE (the ```python block of `response`) in the project's sandbox through `BIN exec`:
  humaneval: HumanEval's check(candidate) on the rewrite's function (the test's own helper calls use the original);
  stdlib:    the docstring's doctest examples with the rewrite exec'd into a copy of the real module's namespace
             (and put into the module), against the same examples on the unchanged module; the rewrite passes
             when it fails no example that the original passes (examples that depend on the machine drop out).
  pypi:      as stdlib, but the package's ORIGINAL files (pypi_original/ beside the reference file, or --originals)
             are embedded in the program, written under /tmp/pkgs in the sandbox and imported from there.
Also reports the exported tests themselves (degenerate sets, tests per sample, few-shot copies, wrong-arity calls),
the run's funnel from `BIN inspect --run RUN_DIR --json`, samples/hour, and tables or columns of run.sqlite that
the baseline schema does not have (e.g. a test-case `origin`, an `adequacy` table) when present.
"""

import argparse
import ast
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure_common as mc

BASELINE_SCHEMA = {
    "sample": {"id", "ordinal", "source", "line", "entryPoint", "code", "givenInstruction"},
    "outcome": {"sampleId", "stage", "kept", "reason", "detail", "evidence", "seconds"},
    "modelCall": {
        "id",
        "sampleId",
        "stage",
        "attempt",
        "prompt",
        "output",
        "promptTokens",
        "completionTokens",
        "seconds",
    },
    "rewrite": {"sampleId", "instruction", "code"},
    "testCase": {
        "sampleId",
        "index",
        "arguments",
        "literal",
        "expectedStatus",
        "expectedValue",
        "passed",
        "actualStatus",
        "actualValue",
        "dropped",
    },
    "rank": {"sampleId", "testsPassed", "testsTotal", "codeLines", "branches", "difficulty"},
    "dedup": {"sampleId", "cluster", "duplicateOf", "similarity"},
    "execution": {"sampleId", "run", "caseIndex", "status", "value", "error", "stderr"},
    "embedding": {"sampleId", "model", "vector"},
    "export": {"id", "format", "path", "count", "createdAt"},
    "meta": {"key", "value"},
}

# Sandbox MiB per reference run (--memory).
MEMORY = 1024

# The default prompt's few-shot test calls (Sources/Pipeline/DefaultPrompts.swift at the baseline), used only
# when neither the run's stored prompts nor the source file give them.
FALLBACK_FEW_SHOT = """add(1, 2)
add(-5, 5)
add(0, 0)
add(100, 250)
add(3.5, -7)
add(12, 30)
count_words("hello world")
count_words("")
count_words("a bb ccc", 2)
count_words("one two three four", min_length=4)
count_words("   spaces   everywhere  ")
count_words("x", 0)"""


# ---------------------------------------------------------------------------------------------------------------
# Parsing helpers


def rewrite_code(response):
    m = re.search(r"```(?:python|py)?[ \t]*\n(.*?)```", response, re.DOTALL)
    return m.group(1) if m else response


def parse_call(display):
    """ast.Call for `f(DISPLAY)`, or None."""
    try:
        node = ast.parse(f"f({display})", mode="eval").body
        return node if isinstance(node, ast.Call) else None
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def normalized(call):
    """The arguments written as the pipeline writes them (ast.unparse of each)."""
    return ", ".join([ast.unparse(a) for a in call.args] + [f"{k.arg}={ast.unparse(k.value)}" for k in call.keywords])


def string_constants(call):
    return {n.value for n in ast.walk(call) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def find_function(code, entry):
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == entry:
            return stmt
    return None


def binds(fn, call):
    """None when the call's arguments bind to fn's signature, else why not."""
    a = fn.args
    positional = [p.arg for p in a.posonlyargs + a.args]
    posonly = {p.arg for p in a.posonlyargs}
    n_required = len(positional) - len(a.defaults)
    if len(call.args) > len(positional) and a.vararg is None:
        return f"{len(call.args)} positional arguments for {len(positional)} parameters"
    given = set(positional[: len(call.args)])
    kwonly = [p.arg for p in a.kwonlyargs]
    for k in call.keywords:
        if k.arg in given:
            return f"'{k.arg}' given twice"
        if (k.arg in positional and k.arg not in posonly) or k.arg in kwonly:
            given.add(k.arg)
        elif a.kwarg is None:
            return f"unexpected keyword '{k.arg}'"
    missing = [p for p in positional[:n_required] if p not in given]
    missing += [p.arg for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is None and p.arg not in given]
    return f"missing {', '.join(missing)}" if missing else None


# ---------------------------------------------------------------------------------------------------------------
# Few-shot calls


def few_shot_calls(run_dir, prompts_source):
    """The test-input few-shot calls: from the run's stored test-inputs prompts (every assistant turn is an example),
    else from DefaultPrompts.swift, else the baseline's list. Returns (source, [ast.Call])."""
    texts, origin = [], None
    db = os.path.join(run_dir, "run.sqlite")
    if os.path.exists(db):
        try:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            rows = con.execute(
                "select prompt from modelCall where stage = 'test-inputs' group by prompt limit 200"
            ).fetchall()
            seen = set()
            for (prompt,) in rows:
                try:
                    messages = json.loads(prompt)
                except (json.JSONDecodeError, TypeError):
                    continue
                for m in messages:
                    if isinstance(m, dict) and m.get("role") == "assistant" and m.get("content") not in seen:
                        seen.add(m.get("content"))
                        texts.append(m["content"])
            con.close()
            origin = "the run's stored test-inputs prompts" if texts else None
        except sqlite3.Error:
            pass
    if not texts and prompts_source and os.path.exists(prompts_source):
        with open(prompts_source, encoding="utf-8") as f:
            source = f.read()
        part = source.split("testInputs", 1)[-1]
        texts = [line.strip() for line in part.splitlines()]
        origin = prompts_source
    if not texts:
        texts, origin = [FALLBACK_FEW_SHOT], "built-in baseline list"
    calls = []
    for text in texts:
        for line in text.splitlines():
            line = line.strip()
            m = re.match(r"^[A-Za-z_]\w*\((.*)\)$", line)
            if m:
                call = parse_call(m.group(1))
                if call is not None:
                    calls.append(call)
    return origin, calls


# ---------------------------------------------------------------------------------------------------------------
# Reference runs


def check_humaneval(binary, samples, reference_path, timeout):
    refs = mc.read_jsonl(reference_path)
    by_line = {r["line"]: r for r in refs}
    corpus_path = os.path.join(os.path.dirname(reference_path), "humaneval.jsonl")
    originals = {}
    if os.path.exists(corpus_path):
        for row in mc.read_jsonl(corpus_path):
            originals[row["task_id"]] = row["code"]
    results = []
    for s in samples:
        ref = by_line.get(s["line"])
        row = {"id": s["id"], "entry": s["entry_point"], "source": s["source"], "line": s["line"]}
        if ref is None or ref["entry_point"] != s["entry_point"] or not s["source"].endswith("humaneval.jsonl"):
            row.update(reference=None, verdict="no-reference")
            results.append(row)
            continue
        row["reference"] = ref["task_id"]
        original = originals.get(ref["task_id"], ref["prompt"] + ref["canonical_solution"])
        program = mc.humaneval_program(original, rewrite_code(s["response"]), ref["test"], ref["entry_point"])
        result = mc.sandbox_exec(binary, program, "reference_check", ["()"], timeout=timeout, memory=MEMORY)[0]
        if result["status"] == "ok" and result["value"] is True:
            row["verdict"] = "pass"
        else:
            error = result.get("error") or {}
            row["verdict"] = "fail"
            row["detail"] = f"{result['status']} {error.get('type', '')}: {str(error.get('message', ''))[:160]}".strip()
        results.append(row)
    return results, by_line


def check_stdlib(binary, samples, reference_path, timeout):
    return check_doctests(binary, samples, reference_path, timeout, "stdlib")


def original_package_files(originals_dir):
    """{relative path: text} of the original package files under ORIGINALS_DIR, per top-level package folder."""
    by_top = {}
    for directory, _, names in os.walk(originals_dir):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                relative = os.path.relpath(path, originals_dir).replace(os.sep, "/")
                with open(path, encoding="utf-8") as f:
                    by_top.setdefault(relative.split("/")[0], {})[relative] = f.read()
    return by_top


def check_pypi(binary, samples, reference_path, timeout, originals_dir):
    originals = original_package_files(originals_dir)
    if not originals:
        sys.exit(f"no original package files under {originals_dir} (give --originals)")
    return check_doctests(
        binary, samples, reference_path, timeout, "pypi", files_for=lambda ref: originals[ref["file"].split("/")[0]]
    )


def check_doctests(binary, samples, reference_path, timeout, folder, files_for=None):
    """Doctest corpora: a sample maps to the reference of the same entry in the same file under /FOLDER/ (nearest
    line). With files_for, the reference's package files are embedded and imported from /tmp/pkgs in the sandbox."""
    refs = mc.read_jsonl(reference_path)
    by_place = {}
    for r in refs:
        by_place.setdefault((r["file"], r["entry"]), []).append(r)
    results = []
    for s in samples:
        row = {"id": s["id"], "entry": s["entry_point"], "source": s["source"], "line": s["line"]}
        source = s["source"].replace(os.sep, "/")
        candidates = []
        for (file, entry), rs in by_place.items():
            if entry == s["entry_point"] and source.endswith(f"/{folder}/" + file.replace(os.sep, "/")):
                candidates += rs
        if not candidates:
            row.update(reference=None, verdict="no-reference")
            results.append(row)
            continue
        ref = min(candidates, key=lambda r: abs(r["line"] - s["line"]))
        row["reference"] = f"{ref['module']}.{ref['entry']}"
        program = mc.doctest_program(
            ref["module"],
            ref["entry"],
            ref["doctests"],
            rewrite_code(s["response"]),
            files=files_for(ref) if files_for else None,
        )
        original, rewrite = mc.sandbox_exec(
            binary, program, "reference_doctest", ["('original',)", "('rewrite',)"], timeout=timeout, memory=MEMORY
        )
        o, r = mc.parse_json_value(original), mc.parse_json_value(rewrite)
        if o is None:
            row.update(verdict="no-reference", detail=f"original harness {original['status']}: {original.get('error')}")
            results.append(row)
            continue
        examples = ref["doctests"]
        parsed = __import__("doctest").DocTestParser().get_examples(examples)
        passing = {i for i, ok, _ in o["results"] if ok}
        # Examples that say something about the function: the original passes them and they name it.
        relevant = {
            i
            for i in passing
            if i < len(parsed) and re.search(r"\b" + re.escape(ref["entry"]) + r"\b", parsed[i].source)
        }
        row["examples"] = {"written": o["examples"], "original_passes": len(passing), "relevant": len(relevant)}
        if not relevant:
            row.update(verdict="no-reference", detail="the original passes no example that calls the function here")
        elif r is None:
            error = rewrite.get("error") or {}
            row.update(
                verdict="fail",
                detail=f"harness {rewrite['status']} {error.get('type', '')}: {str(error.get('message', ''))[:160]}",
            )
        else:
            rewrite_ok = {i for i, ok, _ in r["results"] if ok}
            broken = sorted(passing - rewrite_ok)
            if broken:
                details = {i: d for i, ok, d in r["results"] if not ok}
                row.update(
                    verdict="fail",
                    detail=f"fails example {broken[0] + 1} of {o['examples']}: "
                    f"{parsed[broken[0]].source.strip()[:80]!r} {details.get(broken[0], 'not run')[:160]}",
                    broken_examples=len(broken),
                )
            else:
                row["verdict"] = "pass"
        results.append(row)
    return results, {(r["file"], r["entry"]): r for r in refs}


# ---------------------------------------------------------------------------------------------------------------
# Test-set statistics


def test_statistics(samples, few_shot, originals):
    few_exact = {normalized(c) for c in few_shot}
    few_strings = {v for c in few_shot for v in string_constants(c) if len(v) >= 3}
    stats = Counter()
    per_sample = []
    distinct_few = Counter()
    for s in samples:
        tests = s.get("tests") or []
        ok_values = {t.get("expected") for t in tests if t.get("expected_status") == "ok"}
        fn = originals(s) or find_function(rewrite_code(s["response"]), s["entry_point"])
        degenerate = len(ok_values) < 2
        type_errors = wrong = copies_exact = copies_string = 0
        for t in tests:
            stats["tests"] += 1
            stats["status:" + str(t.get("expected_status"))] += 1
            if t.get("expected_status") == "raised" and str(t.get("expected", "")).startswith("TypeError"):
                type_errors += 1
            call = parse_call(t.get("input", ""))
            if call is None:
                stats["unparseable_inputs"] += 1
                continue
            if fn is not None and binds(fn, call) is not None:
                wrong += 1
            text = normalized(call)
            exact = text in few_exact
            copied = bool(string_constants(call) & few_strings)
            copies_exact += exact
            copies_string += copied
            stats["few_shot_any"] += exact or copied
            if exact or copied:
                distinct_few[text] += 1
        stats["few_shot_exact"] += copies_exact
        stats["few_shot_string"] += copies_string
        stats["type_error_expected"] += type_errors
        stats["wrong_arity"] += wrong
        stats["samples_degenerate"] += degenerate
        stats["samples_type_error"] += type_errors > 0
        stats["samples_wrong_arity"] += wrong > 0
        stats["samples_few_shot"] += (copies_exact + copies_string) > 0
        per_sample.append(
            {
                "id": s["id"],
                "tests": len(tests),
                "distinct_ok_expected": len(ok_values),
                "degenerate": degenerate,
                "type_error_expected": type_errors,
                "wrong_arity": wrong,
                "few_shot_exact": copies_exact,
                "few_shot_string": copies_string,
            }
        )
    counts = [len(s.get("tests") or []) for s in samples]
    return {
        "tests_total": stats["tests"],
        "tests_per_sample_mean": round(sum(counts) / len(counts), 2) if counts else 0,
        "tests_per_sample_min": min(counts) if counts else 0,
        "tests_per_sample_max": max(counts) if counts else 0,
        "expected_status": {k[7:]: v for k, v in stats.items() if k.startswith("status:")},
        "degenerate_samples": stats["samples_degenerate"],
        "few_shot_exact_inputs": stats["few_shot_exact"],
        "few_shot_string_inputs": stats["few_shot_string"],
        "few_shot_any_inputs": stats["few_shot_any"],
        "few_shot_samples": stats["samples_few_shot"],
        "few_shot_most_common": distinct_few.most_common(8),
        "type_error_expected_inputs": stats["type_error_expected"],
        "type_error_expected_samples": stats["samples_type_error"],
        "wrong_arity_inputs": stats["wrong_arity"],
        "wrong_arity_samples": stats["samples_wrong_arity"],
        "unparseable_inputs": stats["unparseable_inputs"],
    }, per_sample


# ---------------------------------------------------------------------------------------------------------------
# Run database: funnel and newer tables


def funnel(binary, run_dir):
    proc = subprocess.run([binary, "inspect", "--run", run_dir, "--json"], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"error": (proc.stderr or proc.stdout).strip()[-500:]}
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {"error": "inspect printed no JSON"}


def schema_extras(run_dir, exported_ids):
    db = os.path.join(run_dir, "run.sqlite")
    if not os.path.exists(db):
        return {}
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    extras = {"new_tables": {}, "new_columns": {}}
    tables = [
        r[0] for r in con.execute("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")
    ]
    for table in tables:
        columns = [r[1] for r in con.execute(f'pragma table_info("{table}")')]
        if table not in BASELINE_SCHEMA:
            if table.startswith("grdb_"):
                continue
            count = con.execute(f'select count(*) from "{table}"').fetchone()[0]
            extras["new_tables"][table] = {"columns": columns, "rows": count}
        else:
            new = [c for c in columns if c not in BASELINE_SCHEMA[table]]
            if new:
                extras["new_columns"][table] = new
    ids = list(exported_ids)
    marks = ",".join("?" * len(ids))
    # A test-case origin column: how the exported samples' kept cases split by origin.
    if "origin" in extras["new_columns"].get("testCase", []) and ids:
        rows = con.execute(
            f"select origin, count(*) from testCase where passed = 1 and sampleId in ({marks}) group by origin", ids
        ).fetchall()
        extras["exported_test_cases_by_origin"] = {str(k): v for k, v in rows}
    # An adequacy table: the mean of each numeric column over exported samples (and all rows).
    for table, info in extras["new_tables"].items():
        if "adequacy" not in table.lower():
            continue
        summary = {}
        key = "sampleId" if "sampleId" in info["columns"] else None
        for column in info["columns"]:
            if column == key:
                continue
            try:
                all_rows = con.execute(
                    f'select avg("{column}"), count("{column}") from "{table}" '
                    f"where typeof(\"{column}\") in ('integer', 'real')"
                ).fetchone()
                entry = {"mean_all": all_rows[0], "n_all": all_rows[1]}
                if key and ids:
                    exp = con.execute(
                        f'select avg("{column}"), count("{column}") from "{table}" where "{key}" in ({marks}) '
                        f"and typeof(\"{column}\") in ('integer', 'real')",
                        ids,
                    ).fetchone()
                    entry.update(mean_exported=exp[0], n_exported=exp[1])
                if entry["n_all"]:
                    summary[column] = entry
            except sqlite3.Error:
                pass
        extras.setdefault("adequacy", {})[table] = summary
    con.close()
    return extras


def reference_funnel(run_dir, is_reference, stage_order):
    """The funnel restricted to the run's samples that have a reference: per stage, kept and rejected, top reasons."""
    db = os.path.join(run_dir, "run.sqlite")
    if not os.path.exists(db):
        return None
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    ids = {
        sid
        for sid, source, line, entry in con.execute("select id, source, line, entryPoint from sample")
        if is_reference(source, line, entry)
    }
    stages = {}
    for sid, stage, kept, reason in con.execute("select sampleId, stage, kept, reason from outcome"):
        if sid not in ids:
            continue
        entry = stages.setdefault(stage, {"stage": stage, "kept": 0, "rejected": 0, "reasons": Counter()})
        if kept:
            entry["kept"] += 1
        else:
            entry["rejected"] += 1
            entry["reasons"][reason] += 1
    con.close()
    order = {name: i for i, name in enumerate(stage_order)}
    rows = sorted(stages.values(), key=lambda e: order.get(e["stage"], len(order)))
    for row in rows:
        row["reasons"] = [{"reason": k, "count": v} for k, v in row["reasons"].most_common()]
    return {"samples": len(ids), "stages": rows}


# ---------------------------------------------------------------------------------------------------------------


def pct(a, b):
    return f"{100.0 * a / b:.1f}%" if b else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="run directory (holds dataset.jsonl and run.sqlite)")
    ap.add_argument("--corpus", required=True, choices=["humaneval", "stdlib", "pypi"])
    ap.add_argument(
        "--reference",
        required=True,
        help="humaneval_reference.jsonl, stdlib_doctest_reference.jsonl or pypi_doctest_reference.jsonl",
    )
    ap.add_argument(
        "--originals",
        help="pypi: the unmodified package files (default: pypi_original/ beside the reference file)",
    )
    ap.add_argument("--binary", default=mc.DEFAULT_BINARY)
    ap.add_argument("--json", dest="json_out", help="write every number and per-sample verdict here")
    ap.add_argument("--wall-seconds", type=float, help="the build's measured wall time, for samples/hour")
    ap.add_argument("--timeout", type=float, default=20, help="sandbox wall seconds per reference run")
    ap.add_argument("--memory", type=int, default=1024, help="sandbox MiB per reference run")
    ap.add_argument(
        "--prompts-source",
        default=os.path.join(mc.REPO, "Sources", "Pipeline", "DefaultPrompts.swift"),
        help="where to read the few-shot calls when the run stored no test-inputs prompt",
    )
    args = ap.parse_args()
    binary = mc.resolve_binary(args.binary)
    global MEMORY
    MEMORY = args.memory
    run_dir = os.path.abspath(args.run)
    dataset = os.path.join(run_dir, "dataset.jsonl")
    samples = mc.read_jsonl(dataset) if os.path.exists(dataset) else []
    started = time.time()

    if args.corpus == "humaneval":
        verdicts, by_line = check_humaneval(binary, samples, args.reference, args.timeout)

        def original_fn(s):
            r = by_line.get(s["line"])
            if r is None or r["entry_point"] != s["entry_point"]:
                return None
            return find_function(r["prompt"] + r["canonical_solution"], s["entry_point"])

        def is_reference(source, line, entry):
            r = by_line.get(line)
            return r is not None and r["entry_point"] == entry and source.endswith("humaneval.jsonl")
    else:
        folder = args.corpus
        if args.corpus == "pypi":
            originals_dir = args.originals or os.path.join(
                os.path.dirname(os.path.abspath(args.reference)), "pypi_original"
            )
            verdicts, by_place = check_pypi(binary, samples, args.reference, args.timeout, originals_dir)
        else:
            verdicts, by_place = check_stdlib(binary, samples, args.reference, args.timeout)

        def is_reference(source, line, entry):
            source = source.replace(os.sep, "/")
            return any(e == entry and source.endswith(f"/{folder}/" + f.replace(os.sep, "/")) for f, e in by_place)

        def original_fn(s):
            path = s["source"]
            if not os.path.exists(path):
                return None
            with open(path, encoding="utf-8") as f:
                return find_function(f.read(), s["entry_point"])

    few_origin, few = few_shot_calls(run_dir, args.prompts_source)
    tests, per_sample = test_statistics(samples, few, original_fn)
    summary = funnel(binary, run_dir)
    extras = schema_extras(run_dir, [s["id"] for s in samples])
    ref_funnel = reference_funnel(run_dir, is_reference, [st["stage"] for st in summary.get("stages", [])])

    judged = [v for v in verdicts if v["verdict"] != "no-reference"]
    passing = [v for v in judged if v["verdict"] == "pass"]
    failing = [v for v in judged if v["verdict"] == "fail"]
    stage_seconds = sum(st.get("seconds", 0) for st in summary.get("stages", []))
    report = {
        "run": run_dir,
        "corpus": args.corpus,
        "binary": binary,
        "exported": len(samples),
        "reference": {
            "judged": len(judged),
            "pass": len(passing),
            "fail": len(failing),
            "no_reference": len(verdicts) - len(judged),
            "pass_share": round(len(passing) / len(judged), 4) if judged else None,
            "failing": [{k: v.get(k) for k in ("id", "reference", "entry", "detail")} for v in failing],
        },
        "tests": tests,
        "few_shot_source": few_origin,
        "funnel": summary,
        "reference_funnel": ref_funnel,
        "stage_seconds": round(stage_seconds, 1),
        "wall_seconds": args.wall_seconds,
        "samples_per_hour_stage_seconds": round(len(samples) * 3600 / stage_seconds, 1) if stage_seconds else None,
        "samples_per_hour_wall": round(len(samples) * 3600 / args.wall_seconds, 1) if args.wall_seconds else None,
        "schema_extras": extras,
        "samples": [dict(v, **p) for v, p in zip(verdicts, per_sample)],
        "check_seconds": round(time.time() - started, 1),
    }
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
    print_report(report, verdicts)


def print_report(r, verdicts):
    ref, t = r["reference"], r["tests"]
    n = r["exported"]
    print(f"run {r['run']} ({r['corpus']})")
    print(f"  exported samples                      {n}")
    print(f"  judged by reference tests             {ref['judged']}  (no reference: {ref['no_reference']})")
    print(f"  rewrites passing the reference tests  {ref['pass']}/{ref['judged']}  {pct(ref['pass'], ref['judged'])}")
    for f in ref["failing"]:
        print(f"    FAIL {f['reference']} ({f['id']}): {f.get('detail', '')}")
    print(f"  degenerate test sets (<2 distinct ok) {t['degenerate_samples']}/{n}  {pct(t['degenerate_samples'], n)}")
    print(
        f"  tests per sample                      mean {t['tests_per_sample_mean']}, min {t['tests_per_sample_min']}, "
        f"max {t['tests_per_sample_max']} ({t['tests_total']} in all; expected status {t['expected_status']})"
    )
    print(f"  few-shot copies ({r['few_shot_source']})")
    print(
        f"    inputs identical to a few-shot call {t['few_shot_exact_inputs']}/{t['tests_total']}  "
        f"{pct(t['few_shot_exact_inputs'], t['tests_total'])}"
    )
    print(
        f"    inputs with a few-shot string       {t['few_shot_string_inputs']}/{t['tests_total']}  "
        f"{pct(t['few_shot_string_inputs'], t['tests_total'])}"
    )
    print(
        f"    either                              {t['few_shot_any_inputs']}/{t['tests_total']}  "
        f"{pct(t['few_shot_any_inputs'], t['tests_total'])} in {t['few_shot_samples']} samples; most common "
        + ", ".join(f"({k}) x{v}" for k, v in t["few_shot_most_common"][:5])
    )
    print(
        f"  wrong-arity calls (do not bind to the original's signature)  {t['wrong_arity_inputs']}/{t['tests_total']} "
        f"in {t['wrong_arity_samples']} samples"
    )
    print(
        f"  expected TypeError                    {t['type_error_expected_inputs']}/{t['tests_total']} "
        f"in {t['type_error_expected_samples']} samples"
    )
    f = r["funnel"]
    if "error" in f:
        print(f"  funnel: {f['error']}")
    else:
        print(f"  funnel ({f.get('samples')} items)      in    kept  rejected  seconds   top reasons")
        for st in f.get("stages", []):
            total = st["kept"] + st["rejected"]
            if not total:
                continue
            reasons = sorted(st.get("reasons", []), key=lambda x: -x["count"])[:4]
            print(
                f"    {st['stage']:<13} {total:>6} {st['kept']:>6} {st['rejected']:>8} {st['seconds']:>9.1f}   "
                + ", ".join(f"{x['reason']} {x['count']}" for x in reasons)
            )
        for u in f.get("modelUsage", []):
            print(
                f"    model calls at {u['stage']}: {u['calls']}, {u['promptTokens']} prompt + "
                f"{u['completionTokens']} generated tokens, {u['seconds']:.1f} s"
            )
    rf = r.get("reference_funnel")
    if rf and r["corpus"] != "humaneval":
        print(f"  funnel of the {rf['samples']} items with a reference")
        for st in rf["stages"]:
            reasons = st["reasons"][:4]
            print(
                f"    {st['stage']:<13} {st['kept'] + st['rejected']:>6} {st['kept']:>6} {st['rejected']:>8}   "
                + ", ".join(f"{x['reason']} {x['count']}" for x in reasons)
            )
    print(
        f"  stage seconds {r['stage_seconds']}: {r['samples_per_hour_stage_seconds']} samples/hour"
        + (f"; wall {r['wall_seconds']:.0f} s: {r['samples_per_hour_wall']} samples/hour" if r["wall_seconds"] else "")
    )
    extras = r["schema_extras"]
    if extras.get("new_tables") or extras.get("new_columns"):
        print(
            f"  run.sqlite beyond the baseline schema: tables {list(extras.get('new_tables', {}))}, "
            f"columns {extras.get('new_columns')}"
        )
        if "exported_test_cases_by_origin" in extras:
            print(f"    exported test cases by origin: {extras['exported_test_cases_by_origin']}")
        for table, summary in extras.get("adequacy", {}).items():
            for column, entry in summary.items():
                print(
                    f"    {table}.{column}: mean {entry.get('mean_exported')} over {entry.get('n_exported')} exported, "
                    f"{entry['mean_all']} over {entry['n_all']} rows"
                )
    print(f"  (reference runs took {r['check_seconds']} s)")


if __name__ == "__main__":
    main()
