#!/usr/bin/python3
"""Pairs each exported HumanEval sample's instruction with its reference docstring and solution; summarizes judgments.

usage: instruction_pairs.py --run RUN_DIR --reference humaneval_reference.jsonl --out PAIRS.jsonl
       instruction_pairs.py --summarize JUDGED.jsonl

Maps samples to tasks as reference_check.py does (the record's `line` in humaneval.jsonl, with the same entry
point). Each PAIRS line: id, task_id (null when the sample maps to no task), entry_point, instruction, docstring,
canonical_solution. A JUDGED file holds lines with task_id, verdict (faithful, vague or wrong) and reason; --summarize
prints the count and share of each verdict and lists the wrong ones.
"""

import argparse
import os
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure_common as mc

VERDICTS = ("faithful", "vague", "wrong")


def reference_for(sample, by_line):
    """The HumanEval record the sample came from, or None (the rule of reference_check.check_humaneval)."""
    ref = by_line.get(sample["line"])
    if ref is None or ref["entry_point"] != sample["entry_point"] or not sample["source"].endswith("humaneval.jsonl"):
        return None
    return ref


def pairs(run_dir, reference_path):
    by_line = {r["line"]: r for r in mc.read_jsonl(reference_path)}
    rows = []
    for s in mc.read_jsonl(os.path.join(run_dir, "dataset.jsonl")):
        ref = reference_for(s, by_line) or {}
        rows.append(
            {
                "id": s["id"],
                "task_id": ref.get("task_id"),
                "entry_point": s["entry_point"],
                "instruction": s["instruction"],
                "docstring": ref.get("docstring"),
                "canonical_solution": ref.get("canonical_solution"),
            }
        )
    return rows


def summarize(path):
    judged = mc.read_jsonl(path)
    counts = Counter(j["verdict"] for j in judged)
    print(f"{path}: {len(judged)} judged")
    for verdict in VERDICTS + tuple(sorted(set(counts) - set(VERDICTS))):
        share = f"{100.0 * counts[verdict] / len(judged):.1f}%" if judged else "-"
        print(f"  {verdict:<9} {counts[verdict]:>4}  {share}")
    for j in judged:
        if j["verdict"] == "wrong":
            print(f"    WRONG {j['task_id']} ({j.get('entry_point')}): {j.get('reason', '')}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", help="run directory (holds dataset.jsonl)")
    ap.add_argument("--reference", help="humaneval_reference.jsonl")
    ap.add_argument("--out", help="where to write the pairs (JSONL)")
    ap.add_argument("--summarize", metavar="JUDGED", help="print the verdict counts of a judgments file")
    args = ap.parse_args()
    if args.summarize:
        summarize(args.summarize)
        return
    if not (args.run and args.reference and args.out):
        ap.error("give --run, --reference and --out (or --summarize JUDGED)")
    rows = pairs(os.path.abspath(args.run), args.reference)
    mc.write_jsonl(args.out, rows)
    mapped = sum(r["task_id"] is not None for r in rows)
    print(f"wrote {len(rows)} pairs to {args.out} ({mapped} mapped to a task, {len(rows) - mapped} with none)")


if __name__ == "__main__":
    main()
