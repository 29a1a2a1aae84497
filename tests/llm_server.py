"""A tiny OpenAI-compatible chat server for tests: POST /v1/chat/completions on 127.0.0.1.

Replies are canned, chosen by a function of the request. A reply text may name passages by
title, `{{Wat is hechting?}}`, and the server writes the number that passage has in this
request's prompt, the way a model would cite it. Streaming requests get Server-Sent Events.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    text: str = ""
    status: int = 200  # anything else: an error response
    delay: float = 0.0  # seconds before the response starts (timeouts)


def passage_numbers(prompt: str) -> dict[str, int]:
    """Title -> number, from the '[n] title' lines of the prompt."""
    return {
        m.group(2).strip(): int(m.group(1)) for m in re.finditer(r"^\[(\d+)\] (.+)$", prompt, re.M)
    }


def question_of(prompt: str) -> str:
    m = re.search(r"^Vraag: (.+)$", prompt, re.M)
    return m.group(1).strip() if m else ""


def render(text: str, prompt: str) -> str:
    numbers = passage_numbers(prompt)

    def number(m: re.Match) -> str:
        return str(numbers[m.group(1)])  # KeyError: the test expected a passage that was not given

    return re.sub(r"\{\{(.+?)\}\}", number, text)


class FakeChatServer:
    def __init__(self, choose: Callable[[str], Reply]):
        """`choose(question)` gives the reply to a request for that question."""
        self.choose = choose
        self.requests: list[dict] = []
        self.replies: list[str] = []  # the texts sent, with the passage numbers filled in
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeChatServer:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self.send_error(404)
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                prompt = body["messages"][-1]["content"]
                reply = outer.choose(question_of(prompt))
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.status != 200:
                    self._json(reply.status, {"error": {"message": "boom", "type": "server_error"}})
                    return
                text = render(reply.text, prompt)
                outer.replies.append(text)
                if body.get("stream"):
                    self._stream(body["model"], text)
                else:
                    self._json(200, _completion(body["model"], text))

            def _json(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, model: str, text: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                pieces = [text[i : i + 9] for i in range(0, len(text), 9)]
                for piece in pieces:
                    self._event(_chunk(model, {"content": piece}, None))
                self._event(_chunk(model, {}, "stop"))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _event(self, payload: dict) -> None:
                self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
                self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _completion(model: str, text: str) -> dict:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _chunk(model: str, delta: dict, finish: str | None) -> dict:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
