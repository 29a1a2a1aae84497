"""Load test of the web app: N concurrent users for S seconds on POST /api/ask and on the
Gradio endpoint /ask. Prints requests/s, p50/p95 latency and errors for each.

    python bench/load.py [--users 20] [--seconds 60] [--url http://127.0.0.1:7860/]

Without --url it starts the app (python app.py) over the seed corpus in a temporary data dir.
`make bench` runs it through bench/run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
import numpy as np  # noqa: E402

from assistant.evaluation import read_cases  # noqa: E402

KINDS = ("answer", "no_answer", "urgent")


def questions() -> list[str]:
    eval_dir = ROOT / "tests" / "eval"
    base = [
        c.question
        for f in ("dev_questions.tsv", "extra_questions.tsv")
        for c in read_cases(eval_dir / f)
    ]
    return base + [q.lower().rstrip("?") for q in base]


def _http_user(url: str):
    client = httpx.Client(base_url=url, timeout=30)

    def ask(question: str) -> bool:
        response = client.post("api/ask", json={"question": question})
        return response.status_code == 200 and response.json()["kind"] in KINDS

    return ask


def _gradio_user(url: str):
    from gradio_client import Client

    client = Client(url, verbose=False)

    def ask(question: str) -> bool:
        return json.loads(client.predict(question, api_name="/ask"))["kind"] in KINDS

    return ask


def run_load(
    url: str, via: str, users: int = 20, seconds: float = 60, unique: bool = False
) -> dict:
    """`via` is "api" (POST /api/ask) or "gradio" (the named Gradio endpoint /ask).

    The users cycle through the eval questions, so after the first round most answers come
    from the answer cache; `unique` makes every question new (a request number is appended),
    which measures the search itself."""
    make_user = _http_user if via == "api" else _gradio_user
    qs = questions()
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    clients = [make_user(url) for _ in range(users)]  # connect before the clock starts
    deadline = time.monotonic() + seconds

    def user(k: int) -> None:
        ask, i = clients[k], k
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                q = qs[i % len(qs)]
                ok = ask(f"{q} (vraag {i})" if unique else q)
            except Exception:  # noqa: BLE001 - every failure counts as an error
                ok = False
            with lock:
                latencies.append((time.perf_counter() - start) * 1000)
                errors[0] += 0 if ok else 1
            i += users

    threads = [threading.Thread(target=user, args=(k,)) for k in range(users)]
    started = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - started
    values = np.asarray(latencies) if latencies else np.asarray([float("nan")])
    return {
        "via": via,
        "questions": "unique" if unique else "repeated",
        "users": users,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(float(np.percentile(values, 50)), 1),
        "p95_ms": round(float(np.percentile(values, 95)), 1),
        "errors": errors[0],
    }


def line(r: dict) -> str:
    return (
        f"{r['via']:>6} ({r['questions']}): {r['users']} users, {r['seconds']} s, {r['requests']} requests, "
        f"{r['requests_per_s']} req/s, p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, "
        f"errors {r['errors']}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--url", help="a running app; without it the app is started here")
    args = parser.parse_args()
    server = None
    url = args.url
    if not url:
        from app_server import AppServer

        server = AppServer(
            ROOT / "corpus", Path(tempfile.mkdtemp(prefix="hechting-load-")) / "data"
        )
        url = server.start(timeout=600).url
    try:
        httpx.post(url + "api/ask", json={"question": "Wat is hechting?"}, timeout=60)  # warm
        for via in ("api", "gradio"):
            for unique in (False, True):
                print(line(run_load(url, via, args.users, args.seconds, unique)), flush=True)
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
