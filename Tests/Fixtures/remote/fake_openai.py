"""A fault-injecting OpenAI-compatible server for the remote-model tests (standard library only).

Prints the port it listens on (loopback, chosen by the system), then serves until killed. The request's model
name picks the behaviour; counters are per model, so each test uses its own model name with a unique suffix:

  echo-*          200: the reply is "echo: " + the last user message; usage counts words
  busy-once-*     first request 429 with Retry-After: 1, then as echo
  fail-twice-*    first two requests 500 with an error object, then as echo
  always-500-*    500 every time
  drop-once-*     first request: the connection is closed without an answer, then as echo
  slow-*          sleeps 3 s before answering as echo (past a short client timeout)
  malformed-*     200 with a body that is not JSON
  bad-request-*   400 naming a field
  needs-key-*     401 unless the Authorization header is "Bearer sesame", then as echo
  choices-*       the `n` answers asked, listed last first: answer c reads "answer from seed S" with S = seed + c
  one-choice-*    one answer whatever `n` asks, as choices-* writes it
  refuses-n-*     400 when `n` is above 1 (as llama.cpp's server), else as one-choice-*
  anything else   404 with an OpenAI-style "model does not exist" error
A path outside /v1/ is a plain 404 "Not Found". GET /v1/models lists one model owned by $FAKE_OPENAI_OWNER
(default "fake-org"), so a client can take the server for llama.cpp, vLLM and the like.

Every request is appended to the file named by $FAKE_OPENAI_LOG (one JSON object per line), so a test can check
what was sent (and that no API key is logged by the client elsewhere).
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

counts = {}
lock = threading.Lock()


def seen(model):
    with lock:
        counts[model] = counts.get(model, 0) + 1
        return counts[model]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, message, headers=None):
        self.send_json(status, {"error": {"message": message, "type": "test"}}, headers)

    def do_GET(self):
        if self.path != "/v1/models":
            return self.error(404, "Not Found")
        owner = os.environ.get("FAKE_OPENAI_OWNER", "fake-org")
        self.send_json(200, {"object": "list", "data": [{"id": "fake", "object": "model", "owned_by": owner}]})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length) or b"{}")
        model = request.get("model", "")
        if not self.path.startswith("/v1/"):
            return self.error(404, "Not Found")
        if os.environ.get("FAKE_OPENAI_LOG"):
            with lock, open(os.environ["FAKE_OPENAI_LOG"], "a") as log:
                log.write(json.dumps({"path": self.path, "body": request}) + "\n")
        n = seen(model)
        if model.startswith("busy-once-") and n == 1:
            return self.error(429, "slow down", {"Retry-After": "1"})
        if model.startswith("fail-twice-") and n <= 2:
            return self.error(500, "internal error %d" % n)
        if model.startswith("always-500-"):
            return self.error(500, "internal error")
        if model.startswith("drop-once-") and n == 1:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if model.startswith("slow-"):
            time.sleep(3)
        if model.startswith("malformed-"):
            body = b"{this is not json"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if model.startswith("bad-request-"):
            return self.error(400, "max_tokens must be positive")
        if model.startswith("needs-key-") and self.headers.get("Authorization") != "Bearer sesame":
            return self.error(401, "invalid API key")
        if model.startswith("refuses-n-") and request.get("n", 1) > 1:
            return self.error(400, "Only one completion choice is allowed")
        if model.startswith(("choices-", "one-choice-", "refuses-n-")):
            wanted = request.get("n", 1) if model.startswith("choices-") else 1
            seed = request.get("seed", 0)
            choices = [{"index": c, "message": {"role": "assistant", "content": "answer from seed %d" % (seed + c)},
                        "finish_reason": "stop"} for c in range(wanted)]
            return self.send_json(200, {"choices": list(reversed(choices)),
                                        "usage": {"prompt_tokens": 10, "completion_tokens": 4 * wanted + 1}})
        known = ("echo-", "busy-once-", "fail-twice-", "drop-once-", "slow-", "needs-key-")
        if not model.startswith(known):
            return self.error(404, "The model `%s` does not exist." % model)
        if self.path.endswith("/embeddings"):
            texts = request["input"]
            data = [{"index": i, "embedding": [float(len(t)), 1.0]} for i, t in enumerate(texts)]
            return self.send_json(200, {"data": list(reversed(data)), "model": model})
        user = [m["content"] for m in request["messages"] if m["role"] == "user"][-1]
        text = "echo: " + user
        self.send_json(200, {
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": len(user.split()), "completion_tokens": len(text.split())},
        })


def exit_with_parent(parent):
    # A test killed before it stopped the server must not leave it running.
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


threading.Thread(target=exit_with_parent, args=(os.getppid(),), daemon=True).start()
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
