"""sentence-transformers reference for `semi-instruct bench embed` on the same texts.

    .build/release/semi-instruct bench embed --dump-corpus /tmp/corpus.jsonl
    /work/venv-ref/bin/python scripts/bench/embed_sentence_transformers.py /tmp/corpus.jsonl [--runs 3]

PyTorch on CPU, 2 threads (--threads), batch 32, max_seq_length 256 (the model's own setting); prints the median
sentences/s and tokens/s, counting tokens as the Swift bench does ([CLS] ... [SEP], truncated at 256).
CPU seconds (all threads) are printed too: on a busy machine, compare CPU time at --threads 1 with
`bench embed --workers 1`, since waiting threads inflate the multi-threaded figures.
Needs sentence-transformers (not part of CI).
"""
import argparse
import json
import os
import statistics
import time

os.environ["HF_HUB_OFFLINE"] = "1"

import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--model", default=os.path.expanduser("~/.cache/semi-instruct/models/minilm"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    texts = [json.loads(line)["text"] for line in open(args.corpus, encoding="utf-8") if line.strip()]
    model = SentenceTransformer(args.model, device="cpu")
    tokens = sum(min(len(ids), model.max_seq_length) for ids in model.tokenizer(texts)["input_ids"])
    model.encode(texts[:16], batch_size=args.batch_size)
    times, cpu = [], []
    for _ in range(args.runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        model.encode(texts, batch_size=args.batch_size)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    median = statistics.median(times)
    print(f"sentence-transformers: {len(texts)} texts, {tokens} tokens, runs "
          + ", ".join(f"{t:.2f} s" for t in times)
          + f" (torch threads {args.threads}, batch {args.batch_size})")
    print(f"median: {len(texts) / median:.1f} sentences/s, {tokens / median:.0f} tokens/s")
    cpu_median = statistics.median(cpu)
    print(f"cpu: {cpu_median:.2f} s a run, {len(texts) / cpu_median:.1f} sentences per CPU second")


if __name__ == "__main__":
    main()
