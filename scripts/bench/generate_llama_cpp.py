"""llama.cpp (through llama-cpp-python) on the workload of `semi-instruct bench generate`.

    python scripts/bench/generate_llama_cpp.py MODEL.gguf [--threads 2] [--prompt-tokens 512] [--decode-tokens 128]

Prints one JSON object: median prefill and decode tokens/s over --runs runs. Greedy decoding.
Needs llama-cpp-python (a throw-away venv made by scripts/bench-compare.sh; not used by the tests).
"""
import argparse
import json
import statistics
import time

from llama_cpp import Llama


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--prompt-tokens", type=int, default=512)
    parser.add_argument("--decode-tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    llm = Llama(model_path=args.model, n_threads=args.threads, n_threads_batch=args.threads,
                n_ctx=args.prompt_tokens + args.decode_tokens + 16, n_batch=args.prompt_tokens, verbose=False)
    text = "def add(a, b):\n    return a + b\n\n" * 200
    prompt = llm.tokenize(text.encode(), add_bos=False)[: args.prompt_tokens]
    prefill, decode = [], []
    for _ in range(args.runs):
        llm.reset()
        start = time.perf_counter()
        llm.eval(prompt)
        prefill.append(len(prompt) / (time.perf_counter() - start))
        start = time.perf_counter()
        for _ in range(args.decode_tokens):
            token = llm.sample(top_k=1, temp=0)
            llm.eval([token])
        decode.append(args.decode_tokens / (time.perf_counter() - start))
    print(json.dumps({"prefill_tokens_per_second": statistics.median(prefill),
                      "decode_tokens_per_second": statistics.median(decode),
                      "threads": args.threads, "runs": args.runs}))


if __name__ == "__main__":
    main()
