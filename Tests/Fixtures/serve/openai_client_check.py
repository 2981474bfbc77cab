"""Drives `semi-instruct serve` with the official `openai` Python client, as a user's own code would.

Usage: openai_client_check.py BASE_URL MODEL EMBEDDER
Each check raises AssertionError (exit status 1, the message on stderr) when the server answers wrongly; the last
line printed is "ok: N checks".
"""
import json
import sys

import openai

base, model, embedder = sys.argv[1:4]
client = openai.OpenAI(base_url=base, api_key="unused", max_retries=0)
checks = 0


def check(condition, message):
    global checks
    checks += 1
    assert condition, message


def chat(**kwargs):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Name a colour."}], **kwargs)


# Chat, greedy: two calls give one text, with usage.
first = chat(max_tokens=12, temperature=0)
again = chat(max_tokens=12, temperature=0)
check(first.choices[0].message.content == again.choices[0].message.content, "greedy chat is not repeatable")
check(first.choices[0].message.role == "assistant", "the reply is not the assistant's")
check(first.usage.completion_tokens > 0 and first.usage.prompt_tokens > 0, "no usage: %r" % first.usage)

# Streaming gives the same text, piece by piece, and usage when asked.
pieces, usage, finish = [], None, None
for chunk in chat(max_tokens=12, temperature=0, stream=True, stream_options={"include_usage": True}):
    if chunk.usage:
        usage = chunk.usage
    for choice in chunk.choices:
        pieces.append(choice.delta.content or "")
        finish = choice.finish_reason or finish
check("".join(pieces) == first.choices[0].message.content, "streamed %r, whole %r" % ("".join(pieces), first.choices[0].message.content))
check(finish in ("stop", "length"), "no finish reason in the stream")
check(usage is not None and usage.completion_tokens == first.usage.completion_tokens, "stream usage %r" % usage)

# n choices, seeded: each choice repeats.
many = chat(max_tokens=8, temperature=1.0, seed=11, n=3)
check([c.index for c in many.choices] == [0, 1, 2], "choices %r" % [c.index for c in many.choices])
repeat = chat(max_tokens=8, temperature=1.0, seed=11, n=3)
check([c.message.content for c in many.choices] == [c.message.content for c in repeat.choices], "seeded choices differ")

# A stop string ends the text before it.
stopped = client.completions.create(model=model, prompt="1, 2, 3, 4, 5,", max_tokens=20, temperature=0, stop=[","])
check("," not in stopped.choices[0].text and stopped.choices[0].finish_reason == "stop", "stop: %r" % stopped.choices[0])

# A JSON schema: the answer parses and has the required field.
schema = {"type": "object", "properties": {"colour": {"type": "string"}}, "required": ["colour"]}
structured = chat(max_tokens=40, temperature=0,
                  response_format={"type": "json_schema", "json_schema": {"name": "colour", "schema": schema}})
parsed = json.loads(structured.choices[0].message.content)
check(isinstance(parsed.get("colour"), str), "schema answer %r" % structured.choices[0].message.content)

# llama.cpp-style grammar through extra_body.
yes_no = chat(max_tokens=4, temperature=0, extra_body={"grammar": 'root ::= "yes" | "no"'})
check(yes_no.choices[0].message.content in ("yes", "no"), "grammar answer %r" % yes_no.choices[0].message.content)

# Embeddings, as the client asks for them by default (base64) and as floats: the same vectors.
default = client.embeddings.create(model=embedder, input=["def add(a, b): return a + b", "print('hi')"])
floats = client.embeddings.create(model=embedder, input=["def add(a, b): return a + b", "print('hi')"], encoding_format="float")
check(len(default.data) == 2 and len(default.data[0].embedding) == 384, "embedding shape")
check(all(abs(a - b) < 1e-6 for a, b in zip(default.data[1].embedding, floats.data[1].embedding)), "base64 and float differ")

# Errors come as the client's typed exceptions, naming the field.
try:
    chat(max_tokens=0)
    check(False, "max_tokens 0 was accepted")
except openai.BadRequestError as error:
    check(error.status_code == 400 and error.body.get("param") == "max_tokens", "max_tokens error %r" % error.body)
try:
    client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}])
    check(False, "an unknown model was accepted")
except openai.NotFoundError as error:
    check(error.body.get("code") == "model_not_found", "unknown model error %r" % error.body)

check([m.id for m in client.models.list().data] == [model, embedder], "models %r" % [m.id for m in client.models.list().data])
print("ok: %d checks" % checks)
