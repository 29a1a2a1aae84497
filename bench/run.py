"""Benchmarks: `make bench`. Prints one table and writes data/bench/latest.json (times in ms).

Not part of `make test`: these are figures, not pass/fail checks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import numpy as np  # noqa: E402
from synthetic import ROOT, chunk_texts, corpus_sentences, write_corpus  # noqa: E402

from assistant.embeddings import Embedder, make_embedder  # noqa: E402
from assistant.evaluation import read_cases  # noqa: E402
from assistant.index import embedding_text  # noqa: E402
from assistant.pipeline import Assistant, build_ingestor  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.store import Store, StoredChunks, connect  # noqa: E402

EVAL = ROOT / "tests" / "eval"


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def questions(n: int = 200) -> list[str]:
    base = [
        c.question
        for f in ("dev_questions.tsv", "extra_questions.tsv")
        for c in read_cases(EVAL / f)
    ]
    variants = (
        [q for q in base]
        + [q.lower().rstrip("?") for q in base]
        + [f"{q} graag uitleg" for q in base]
    )
    return [variants[i % len(variants)] for i in range(n)]


def latency(assistant: Assistant, qs: list[str]) -> dict:
    for q in qs[:10]:
        assistant.ask(q)  # warm
    times = []
    for q in qs:
        t = time.perf_counter()
        assistant.ask(q)
        times.append((time.perf_counter() - t) * 1000)
    return {"p50": round(pct(times, 50), 1), "p95": round(pct(times, 95), 1), "n": len(times)}


def ingest_corpus(corpus: Path, data: Path, embedder: Embedder) -> tuple[float, int]:
    settings = Settings(corpus_dir=corpus, data_dir=data)
    t = time.perf_counter()
    report = build_ingestor(settings, embedder, corpus.parent).run()
    return time.perf_counter() - t, report.chunks_embedded


def build_large_index(data: Path, n: int, embedder: Embedder) -> Settings:
    """An index of n chunks without embedding n texts: each chunk's vector is the normalised
    mean of its sentences' vectors (every corpus sentence is embedded once). The answer-latency
    figure depends on the index size, not on how the vectors were made."""
    settings = Settings(corpus_dir=ROOT / "corpus", data_dir=data)
    build_ingestor(settings, embedder, ROOT).run()  # the real corpus, contact and spoed pages
    pool = corpus_sentences()
    vectors = dict(
        zip(pool, np.asarray(embedder.embed_documents(pool), dtype=np.float32), strict=True)
    )
    store = Store(connect(data), settings.collection)
    base = store.read(store.active(), with_embeddings=True)
    texts = chunk_texts(n, seed=7)
    chunks = StoredChunks(
        list(base.ids), list(base.texts), list(base.metadatas), list(base.embeddings)
    )
    from assistant.text import sentences

    for i, text in enumerate(texts):
        v = np.mean(
            [vectors[s] for s in sentences(text) if s in vectors] or [vectors[pool[0]]], axis=0
        )
        v /= np.linalg.norm(v)
        chunks.ids.append(f"syn-{i}:0:0")
        chunks.texts.append(text)
        chunks.metadatas.append(
            {
                "doc_id": f"syn-{i}",
                "doc_key": "",
                "title": f"Synthetisch {i}",
                "type": "pagina",
                "url": "",
                "path": f"synthetisch/{i}.md",
                "summary": "",
                "tags": "",
                "situations": "",
                "updated": "",
                "chunk": 0,
                "ingested_at": "",
            }
        )
        chunks.embeddings.append(v.tolist())
    collection = store.new_generation()
    store.add(collection, chunks)
    store.activate(collection, {"ingested_at": "bench", "chunks": len(chunks)})
    return settings


def rss_mb(pid: int) -> dict:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS", "VmHWM")):
            key, value = line.split(":")
            fields[key] = int(value.split()[0]) / 1024
    return fields


def app_benchmarks(data: Path, users: int = 20, seconds: float = 60) -> dict:
    from app_server import AppServer
    from gradio_client import Client

    server = AppServer(ROOT / "corpus", data)
    t = time.perf_counter()
    server.start()
    client = Client(server.url, verbose=False)
    client.predict("Wat is hechting?", api_name="/ask")
    cold = time.perf_counter() - t
    after_start = rss_mb(server.process.pid)
    qs = questions(200)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def user(k: int) -> None:
        c = Client(server.url, verbose=False)
        i = k
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                result = json.loads(c.predict(qs[i % len(qs)], api_name="/ask"))
                ok = result["kind"] in ("answer", "no_answer", "urgent")
            except Exception:  # noqa: BLE001
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
    after_load = rss_mb(server.process.pid)
    server.stop()
    return {
        "cold_start_app_s": round(cold, 2),
        "rss": {
            "after_start": round(after_start["VmRSS"], 1),
            "after_load": round(after_load["VmRSS"], 1),
            "peak": round(after_load["VmHWM"], 1),
        },
        "load": {
            "users": users,
            "seconds": round(elapsed, 1),
            "requests_per_s": round(len(latencies) / elapsed, 1),
            "p50_ms": round(pct(latencies, 50), 1),
            "p95_ms": round(pct(latencies, 95), 1),
            "errors": errors[0],
        },
    }


def baseline(assistant: Assistant, embedder: Embedder, data: Path) -> dict:
    """Plain LangChain: Chroma similarity_search over the same chunks and model, top-k as answer."""
    from langchain_chroma import Chroma

    from assistant.evaluation import evaluate

    snap = assistant.retriever.snapshot
    keep = [i for i, m in enumerate(snap.chunks.metadatas) if m["type"] != "spoed"]
    db = Chroma(
        collection_name="baseline",
        embedding_function=embedder.langchain,
        client=connect(data),
        collection_metadata={"hnsw:space": "cosine"},
    )
    db.add_texts(
        [embedding_text(snap.chunks.metadatas[i]["title"], snap.chunks.texts[i]) for i in keep],
        metadatas=[{"path": snap.chunks.metadatas[i]["path"]} for i in keep],
    )
    cases = [
        c
        for c in read_cases(EVAL / "dev_questions.tsv")
        if c.expected not in ("NO_ANSWER", "URGENT")
    ]
    r1 = r3 = 0
    times = []
    for c in cases:
        t = time.perf_counter()
        docs = db.similarity_search(c.question, k=3)
        times.append((time.perf_counter() - t) * 1000)
        phrases = c.expected.split("|")
        hits = [
            any(
                p in (ROOT / d.metadata["path"]).read_text(encoding="utf-8").replace("\u00a0", " ")
                for p in phrases
            )
            for d in docs
        ]
        r1 += bool(hits[:1]) and hits[0]
        r3 += any(hits)
    ours_times = []
    for c in cases:
        t = time.perf_counter()
        assistant.ask(c.question)
        ours_times.append((time.perf_counter() - t) * 1000)
    ours = evaluate(assistant, read_cases(EVAL / "dev_questions.tsv"), ROOT)
    return {
        "ours": {
            "right@1": round(ours.right_at_1, 3),
            "right@3": round(ours.right_at_3, 3),
            "p95_ms": round(pct(ours_times, 95), 1),
        },
        "langchain_dense": {
            "right@1": round(r1 / len(cases), 3),
            "right@3": round(r3 / len(cases), 3),
            "p95_ms": round(pct(times, 95), 1),
        },
    }


def main() -> int:
    out_dir = ROOT / "data" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="hechting-bench-"))
    settings = Settings()
    embedder = make_embedder(settings.embedding_model)
    embedder.embed_query("opwarmen")
    result: dict = {"answer_ms": {}, "ingest": {}, "cold_start_s": {}, "app_rss_mb": {}}
    step = lambda name: print(f"... {name}", file=sys.stderr, flush=True)  # noqa: E731

    step("seed ingest")
    seed_data = tmp / "seed"
    full_s, _ = ingest_corpus(ROOT / "corpus", seed_data, embedder)
    unchanged_s, embedded = ingest_corpus(ROOT / "corpus", seed_data, embedder)
    assert embedded == 0
    result["ingest"].update(
        {"seed_full_s": round(full_s, 2), "seed_unchanged_s": round(unchanged_s, 3)}
    )
    seed = Assistant.from_settings(
        Settings(corpus_dir=ROOT / "corpus", data_dir=seed_data), embedder
    )
    result["answer_ms"]["seed"] = latency(seed, questions(200))

    for label, n in (("1k", 1_000), ("10k", 10_000)):
        step(f"ingest {label}")
        corpus = write_corpus(tmp / f"corpus-{label}" / "corpus", n)
        seconds, chunks = ingest_corpus(corpus, tmp / f"data-{label}", embedder)
        result["ingest"][f"chunks_per_s_{label}"] = round(chunks / seconds, 1)
        big = Assistant.from_settings(
            Settings(corpus_dir=corpus, data_dir=tmp / f"data-{label}"), embedder
        )
        result["answer_ms"][label] = latency(big, questions(200))
    step("encode only, 10k")
    texts = [
        embedding_text(f"Synthetisch document {i}", t) for i, t in enumerate(chunk_texts(10_000))
    ]
    t = time.perf_counter()
    embedder.embed_documents(texts)
    result["ingest"]["encode_only_chunks_per_s_10k"] = round(
        len(texts) / (time.perf_counter() - t), 1
    )

    step("100k index")
    big_settings = build_large_index(tmp / "data-100k", 100_000, embedder)
    t = time.perf_counter()
    big = Assistant.from_settings(big_settings, embedder)
    big.retriever.refresh()
    result["index_load_100k_s"] = round(time.perf_counter() - t, 1)
    result["answer_ms"]["100k"] = latency(big, questions(200))
    del big

    step("cold start CLI")
    env = {**os.environ, "HECHTING_DATA_DIR": str(seed_data)}
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "Wat is hechting?"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
    )
    result["cold_start_s"]["cli"] = round(time.perf_counter() - t, 2)
    step("CLI batch of 40 questions")
    batch = "\n".join(c.question for c in read_cases(EVAL / "dev_questions.tsv")) + "\n"
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "--json", "-"],
        cwd=ROOT,
        env=env,
        input=batch,
        text=True,
        capture_output=True,
        check=True,
    )
    result["cli_batch_40_s"] = round(time.perf_counter() - t, 2)

    step("app: cold start, memory, 20 users for 60 s")
    app = app_benchmarks(tmp / "app-data")
    result["cold_start_s"]["app"] = app["cold_start_app_s"]
    result["app_rss_mb"] = app["rss"]
    result["load"] = app["load"]

    step("baseline")
    result["baseline"] = baseline(seed, embedder, tmp / "baseline")
    ours, base = result["baseline"]["ours"], result["baseline"]["langchain_dense"]
    result["baseline"]["ratio"] = {
        k: round(ours[k] / base[k], 2) if base[k] else None for k in ours
    }

    (out_dir / "latest.json").write_text(json.dumps(result, indent=2))
    print(table(result))
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


def table(r: dict) -> str:
    a, i, b = r["answer_ms"], r["ingest"], r["baseline"]
    rows = [
        ("answer p50/p95 ms, seed", f"{a['seed']['p50']} / {a['seed']['p95']}"),
        ("answer p50/p95 ms, 1k chunks", f"{a['1k']['p50']} / {a['1k']['p95']}"),
        ("answer p50/p95 ms, 10k chunks", f"{a['10k']['p50']} / {a['10k']['p95']}"),
        ("answer p50/p95 ms, 100k chunks", f"{a['100k']['p50']} / {a['100k']['p95']}"),
        ("index load at 100k chunks, s", r["index_load_100k_s"]),
        ("ingest seed full / unchanged, s", f"{i['seed_full_s']} / {i['seed_unchanged_s']}"),
        ("ingest chunks/s 1k / 10k", f"{i['chunks_per_s_1k']} / {i['chunks_per_s_10k']}"),
        ("encode only chunks/s 10k", i["encode_only_chunks_per_s_10k"]),
        (
            "ingest / encode at 10k",
            f"{i['chunks_per_s_10k'] / i['encode_only_chunks_per_s_10k']:.0%}",
        ),
        ("cold start CLI / app, s", f"{r['cold_start_s']['cli']} / {r['cold_start_s']['app']}"),
        ("CLI batch of 40 questions, s", r["cli_batch_40_s"]),
        (
            "app RSS MB after start / load / peak",
            f"{r['app_rss_mb']['after_start']} / {r['app_rss_mb']['after_load']} / {r['app_rss_mb']['peak']}",
        ),
        (
            "load: users, req/s, p50/p95 ms, errors",
            f"{r['load']['users']}, {r['load']['requests_per_s']}, {r['load']['p50_ms']} / {r['load']['p95_ms']}, {r['load']['errors']}",
        ),
        (
            "right@1 ours / langchain dense",
            f"{b['ours']['right@1']} / {b['langchain_dense']['right@1']}",
        ),
        (
            "right@3 ours / langchain dense",
            f"{b['ours']['right@3']} / {b['langchain_dense']['right@3']}",
        ),
        (
            "p95 ms ours / langchain dense",
            f"{b['ours']['p95_ms']} / {b['langchain_dense']['p95_ms']}",
        ),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


if __name__ == "__main__":
    sys.exit(main())
