"""Prints `semi-instruct bench batch --json` beside llama-batched-bench's JSONL, one row per parallel count.

Usage: batch_compare.py LABEL WORK REPEATS [COUNTS TARGET]
COUNTS (default 16,32) are the sequence counts whose ratios are checked against TARGET (default 1.5).
WORK holds, for r in 1..REPEATS (the two programs alternate, so both see the same machine):
  ours-LABEL-r.json (bench batch --json), theirs-LABEL-r.jsonl (--output-format jsonl), theirs-LABEL-r.log
  (its -lv 4 log), and ours-LABEL-r.time / theirs-LABEL-r.time from `/usr/bin/time -f "%e %U %S %M"`.
Numbers are medians over the repeats; the ratio range shows how far single runs scatter on a shared machine.
Standard library only (bench-compare.sh runs it with the system python3).

What is compared:
- decode phase: ours `decode_tokens_per_second` (sequences x 127 decode steps over the run's time minus a
  1-token run's, i.e. after prefill) against their S_TG (sequences x 128 decode steps over the steps' time);
  both are tokens per second of batched single-token steps.
- prompt: ours `prompt_tokens_per_second` (a 1-token run: prefill plus one sampled token) against their S_PP.
- whole run: ours `generated_tokens_per_second` (128 tokens a sequence: the prefill's token plus 127 steps, over
  the whole run, sampling included) against their B*TG/T (128 steps a sequence after a prefill whose logits they
  do not count, over prefill plus steps). Their count leaves one forward pass of the 129 unpaid, which favours
  us by under 1%.
"""
import json
import re
import statistics
import sys

# llama-batched-bench's numbers for SmolLM2-135M-Instruct quoted in issue 10 (the metric is not stated there).
ISSUE_FIGURES = {"Q4_1": {1: 175, 4: 215, 16: 339, 32: 363}, "Q8_0": {1: 173, 4: 175, 16: 521, 32: 575}}
TARGET = 1.5  # issue 10: 1.5 times llama.cpp at 16 and 32 sequences


def process_times(path):
    wall, user, system, peak_kb = open(path).read().split()[:4]
    return float(wall), float(user) + float(system), int(peak_kb) / 1024


def their_rows(path):
    lines = (line for line in open(path) if line.startswith('{"n_kv_max"'))
    return {row["pl"]: row for row in map(json.loads, lines)}


def main():
    label, work, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    counts = [int(c) for c in sys.argv[4].split(",")] if len(sys.argv) > 4 else [16, 32]
    target = float(sys.argv[5]) if len(sys.argv) > 5 else TARGET
    runs = range(1, repeats + 1)
    ours = [json.load(open(f"{work}/ours-{label}-{r}.json")) for r in runs]
    theirs = [their_rows(f"{work}/theirs-{label}-{r}.jsonl") for r in runs]
    log = open(f"{work}/theirs-{label}-1.log", errors="replace").read()
    flash = re.findall(r"flash_attn\s*=\s*(\S+)", log) + re.findall(r"Flash Attention (enabled|disabled)", log)
    kv_types = re.findall(r"llama_kv_cache:.*?K \((\w+)\).*?V \((\w+)\)", log)
    threads = next(iter(theirs[0].values()))["n_threads"] if theirs[0] else "?"
    loads = ", ".join(o["load_average"] for o in ours)
    print(f"-- {label}: ours KV {ours[0]['kv']}, {ours[0]['threads']} threads, {ours[0]['simd']}; llama.cpp flash_attn "
          f"{' -> '.join(dict.fromkeys(flash)) or '?'}, KV {'/'.join(kv_types[0]) if kv_types else '?'}, {threads} threads; "
          f"medians of {repeats} alternating runs; load average after ours: {loads}")
    print(f"{'parallel':>8}  {'ours decode':>11}  {'their S_TG':>10}  {'ratio':>6}  {'ours whole-run':>14}  "
          f"{'their B*TG/T':>12}  {'ratio':>6}  {'ratio range':>11}  {'issue figure':>12}  {'prompt tok/s ours/their S_PP':>28}")
    whole_ratios, decode_ratios = {}, {}
    for count in [row["parallel"] for row in ours[0]["batch"]]:
        pairs = []
        for our, their in zip(ours, theirs):
            row = next(r for r in our["batch"] if r["parallel"] == count)
            if count in their:
                pairs.append((row, their[count]))
        if not pairs:
            print(f"{count:>8}  llama-batched-bench gave no row (context too small?)")
            continue
        decode_ours = statistics.median(row["decode_tokens_per_second"] for row, _ in pairs)
        decode_theirs = statistics.median(their["speed_tg"] for _, their in pairs)
        whole_ours = statistics.median(row["generated_tokens_per_second"] for row, _ in pairs)
        whole_theirs = statistics.median(count * their["tg"] / their["t"] for _, their in pairs)
        single = [row["generated_tokens_per_second"] / (count * their["tg"] / their["t"]) for row, their in pairs]
        whole_ratios[count] = whole_ours / whole_theirs
        decode_ratios[count] = decode_ours / decode_theirs
        figure = ISSUE_FIGURES.get(label, {}).get(count, "-")
        prompt_ours = statistics.median(row["prompt_tokens_per_second"] for row, _ in pairs)
        prompt_theirs = statistics.median(their["speed_pp"] for _, their in pairs)
        prompt = f"{prompt_ours:.0f} / {prompt_theirs:.0f} = {prompt_ours / prompt_theirs:.2f}x"
        print(f"{count:>8}  {decode_ours:>11.1f}  {decode_theirs:>10.1f}  {decode_ours / decode_theirs:>5.2f}x  "
              f"{whole_ours:>14.1f}  {whole_theirs:>12.1f}  {whole_ratios[count]:>5.2f}x  "
              f"{min(single):>5.2f}-{max(single):<5.2f}  {figure:>12}  {prompt:>28}")
    for name, prefix in (("ours", "ours"), ("llama.cpp", "theirs")):
        times = [process_times(f"{work}/{prefix}-{label}-{r}.time") for r in runs]
        wall, cpu, peak = (statistics.median(t[i] for t in times) for i in range(3))
        print(f"{name:>9} process (all four counts): {wall:.1f} s wall, {cpu:.1f} s cpu (user+sys), peak resident {peak:.0f} MB")
    for count in counts:
        if count in whole_ratios:
            for name, ratio in (("decode", decode_ratios[count]), ("whole-run", whole_ratios[count])):
                verdict = "meets" if ratio >= target else "misses"
                print(f"  {count} sequences: {name} ratio {ratio:.2f}x {verdict} the {target}x target")


if __name__ == "__main__":
    main()
