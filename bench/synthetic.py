"""Deterministic synthetic corpora made from the corpus's own Dutch sentences."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from assistant.corpus import load_corpus
from assistant.text import sentences

ROOT = Path(__file__).resolve().parent.parent


def corpus_sentences() -> list[str]:
    docs = load_corpus(ROOT / "corpus", ROOT)
    out: list[str] = []
    for d in docs:
        if d.type not in ("contact", "spoed"):
            out += [s for s in sentences(d.body) if len(s) > 30]
    return out


def chunk_texts(n: int, seed: int = 42) -> list[str]:
    """n texts of 2-4 recombined corpus sentences, each short enough to be one chunk."""
    rng = random.Random(seed)
    pool = corpus_sentences()
    return [" ".join(rng.sample(pool, rng.randint(2, 4))) for _ in range(n)]


def write_corpus(target: Path, n: int, seed: int = 42) -> Path:
    """A corpus folder with n synthetic documents (about one chunk each) plus the contact page."""
    if target.exists():
        shutil.rmtree(target)
    (target / "synthetisch").mkdir(parents=True)
    shutil.copytree(ROOT / "corpus" / "contact", target / "contact")
    for i, text in enumerate(chunk_texts(n, seed)):
        (target / "synthetisch" / f"doc-{i:06d}.md").write_text(
            f"---\nid: doc-{i:06d}\ntitle: Synthetisch document {i}\ntype: pagina\n---\n\n{text}\n",
            encoding="utf-8",
        )
    return target
