"""Hybrid retrieval: Dutch BM25 (in-process) fused with dense similarity (Chroma)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .embeddings import Embedder
from .errors import IndexMissingError, StoreUnavailableError
from .lexical import BM25Index
from .ranking import SIGNALS, RankingModel, Vote
from .store import Store, StoredChunks, is_stale
from .text import NUMBERS, Analyzer, sentences, stem, vocabulary_of, words

log = logging.getLogger(__name__)

# Types that never answer ordinary questions. None since 2026-11-30: the referral pages (spoed)
# answer questions about themselves ("is 113 gratis?", "wat zijn de stappen van de meldcode?"),
# which were answered from the contact page or "veilige haven" before. Leaving out one training
# file at a time, ranking on the other files was unchanged (right@1 within one question per file)
# and out-of-scope refusal at 3% false refusals went from 0.894 to 0.905.
NOT_RETRIEVED: tuple[str, ...] = ()
# Words that ask for a kind of resource ("is er een boek over ...?") and the types they mean.
RESOURCE_WORDS = {
    "boek": "boek",
    "boeken": "boek",
    "boekje": "boek",
    "handboek": "boek",
    "werkboek": "boek",
    "lezen": "boek",
    "artikel": "artikel",
    "artikelen": "artikel",
    "app": "app",
    "apps": "app",
    "game": "game",
    "games": "game",
    "spel": "game",
    "spelletje": "game",
    "computerspel": "game",
    "webinar": "webinar",
    "video": "webinar",
    "filmpje": "webinar",
    "infosheet": "infosheet",
    "infosheets": "infosheet",
    "publicatie": "publicatie",
    "publicaties": "publicatie",
}
RESOURCE_BOOST = 0.15
# Sentences of an answer may come from more than the best chunk of the best documents.
CONTEXT_DOCUMENTS = 3
CONTEXT_CHUNKS = 2


@dataclass
class Passage:
    chunk_id: str
    doc_id: str
    title: str
    type: str
    url: str
    path: str
    text: str
    score: float
    lexical: float = 0.0
    dense: float = 0.0
    tags: str = ""
    not_quoted: str = ""  # the document's sentences never quoted as an answer, one per line


@dataclass
class Retrieval:
    query: str
    passages: list[Passage]
    coverage: float  # idf-weighted share of the question's content words found in the passages
    dense_top: float  # cosine similarity of the best dense hit
    missing: list[str] = field(default_factory=list)  # content words the corpus lacks
    vector: list[float] | None = None  # the query's embedding
    context: list[Passage] = field(default_factory=list)  # more chunks of the best documents
    # What similar labelled questions point to (empty without a ranking model).
    vote: Vote = field(default_factory=Vote)


@dataclass
class Similarity:
    """Cosine similarities of passage sentences to the query, by chunk id, in sentence order
    (NaN where a sentence has no stored vector)."""

    to_query: dict[str, list[float]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.to_query)


@dataclass
class Candidates:
    """The candidate documents of one question and their signals (see ranking.SIGNALS)."""

    doc_ids: list[str]
    signals: np.ndarray  # (documents, len(SIGNALS))
    rows: list[int]  # each document's best chunk by the fused score


@dataclass
class DocumentInfo:
    id: str
    title: str
    type: str
    url: str
    path: str
    chunks: int
    ingested_at: str
    text: str  # the first chunk (whole document for contact and spoed types)
    situations: tuple[str, ...] = ()
    audience: str = "iedereen"  # a referral only for people who work in care: "zorgverleners"


@dataclass
class Snapshot:
    """Everything a question needs, built from one index generation; swapped atomically."""

    collection: object
    chunks: StoredChunks
    analyzer: Analyzer
    bm25: BM25Index
    retrievable: np.ndarray  # bool mask of chunks that may answer ordinary questions
    info: dict
    row_of: dict[str, int] = field(default_factory=dict)  # chunk id -> row
    documents: list[DocumentInfo] | None = None  # built once, on first use
    by_type: dict[str, list[DocumentInfo]] = field(default_factory=dict)
    by_id: dict[str, DocumentInfo] = field(default_factory=dict)

    excluded: int = 0  # chunks that never answer ordinary questions (spoed)
    sentences: object | None = None  # the generation's sentence-vector collection

    @property
    def name(self) -> str:
        return getattr(self.collection, "name", "")


def _asked_resources(query: str) -> dict[str, str]:
    """The resource words of a question ("boek", "app") and the document types they mean."""
    return {w: t for w in words(query) if (t := RESOURCE_WORDS.get(w))}


def _is_asked_kind(meta: dict, asked: dict[str, str]) -> bool:
    """Whether a chunk's document is the kind of resource the question asks for."""
    title = meta.get("title", "").lower()
    return meta.get("type") in asked.values() or any(w in title for w in asked)


def lexical_text(meta: dict, text: str) -> str:
    return " \n".join([meta.get("title", ""), meta.get("tags", ""), meta.get("summary", ""), text])


class Retriever:
    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        top_k: int = 5,
        lexical_weight: float = 0.7,
        fusion: Literal["weighted", "rrf"] = "weighted",
        check_seconds: float = 5.0,
        ranker: RankingModel | None = None,
    ):
        self.store = store
        # Ranks the candidate documents when fitted for this embedding model (see ranking.py).
        self.ranker = ranker
        self.embedder = embedder
        self.top_k = top_k
        self.lexical_weight = lexical_weight
        self.fusion = fusion
        self._snapshot: Snapshot | None = None
        self._refresh_lock = threading.Lock()
        # How often a question checks whether another process swapped in a new index.
        self.check_seconds = check_seconds
        self._checked = 0.0

    # -- index lifecycle --------------------------------------------------------------------
    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            self.refresh()
        if self._snapshot is None:
            raise IndexMissingError(
                "De kennisbank is nog niet klaar. Probeer het later opnieuw.",
                details="er is nog geen index; bouw die met 'python ingest.py' (of 'make run')",
            )
        return self._snapshot

    def refresh(self, force: bool = False) -> bool:
        """Load the active generation if it is not the one in memory; True when swapped."""
        with self._refresh_lock:
            self._checked = time.monotonic()
            pointer = self.store.pointer()
            name = pointer.get("active")
            if not name:
                return False
            if not force and self._snapshot is not None and self._snapshot.name == name:
                return False
            collection = self.store.active()
            if collection is None:
                return False
            chunks = self.store.read(collection)
            texts = [
                lexical_text(m, t) for m, t in zip(chunks.metadatas, chunks.texts, strict=True)
            ]
            analyzer = Analyzer(vocabulary_of(texts))
            bm25 = BM25Index(analyzer).build(texts)
            mask = np.array([m.get("type") not in NOT_RETRIEVED for m in chunks.metadatas], bool)
            row_of = {cid: i for i, cid in enumerate(chunks.ids)}
            self._snapshot = Snapshot(
                collection,
                chunks,
                analyzer,
                bm25,
                mask,
                pointer,
                row_of,
                excluded=int((~mask).sum()),
                sentences=self.store.sentences(collection),
            )
            log.info("index %s loaded: %d chunks", name, len(chunks))
            return True

    def documents(self) -> list[DocumentInfo]:
        return self._indexed(self.snapshot).documents or []

    def _indexed(self, snap: Snapshot) -> Snapshot:
        """The snapshot with its document lookups built (once)."""
        if snap.documents is None:
            docs = self._documents(snap)
            by_type: dict[str, list[DocumentInfo]] = {}
            for doc in docs:
                by_type.setdefault(doc.type, []).append(doc)
            # Build locally, then publish: concurrent first calls never see half a lookup.
            snap.by_type, snap.by_id = by_type, {d.id: d for d in docs}
            snap.documents = docs
        return snap

    def document(self, doc_id: str) -> DocumentInfo | None:
        return self._indexed(self.snapshot).by_id.get(doc_id)

    def documents_of_type(self, doc_type: str) -> list[DocumentInfo]:
        return self._indexed(self.snapshot).by_type.get(doc_type, [])

    @staticmethod
    def _documents(snap: Snapshot) -> list[DocumentInfo]:
        docs: dict[str, DocumentInfo] = {}
        for meta, text in zip(snap.chunks.metadatas, snap.chunks.texts, strict=True):
            info = docs.get(meta["doc_id"])
            if info is None:
                docs[meta["doc_id"]] = DocumentInfo(
                    id=meta["doc_id"],
                    title=meta.get("title", ""),
                    type=meta.get("type", ""),
                    url=meta.get("url", ""),
                    path=meta.get("path", ""),
                    chunks=1,
                    ingested_at=meta.get("ingested_at", ""),
                    text=text if meta.get("chunk", 0) == 0 else "",
                    situations=tuple(
                        s.strip() for s in meta.get("situations", "").split(",") if s.strip()
                    ),
                    audience=meta.get("audience", "") or "iedereen",
                )
            else:
                info.chunks += 1
                if meta.get("chunk", 0) == 0:
                    info.text = text
        return sorted(docs.values(), key=lambda d: d.path)

    # -- terms (for composing) -------------------------------------------------------------
    def terms(self, text: str) -> list[str]:
        snap = self.snapshot
        resolved = (snap.bm25.resolve(t) for t in snap.analyzer.terms(text, query=True))
        return [t for t in resolved if t is not None]

    def idf(self, term: str) -> float:
        return self.snapshot.bm25.term_idf(term)

    # -- search -----------------------------------------------------------------------------
    def embed(self, text: str) -> list[float]:
        return self.embedder.embed_query(text)

    def search(
        self, query: str, top_k: int | None = None, vector: list[float] | None = None
    ) -> Retrieval:
        """Passages for a query; `vector` is the query's embedding when already computed."""
        if self._snapshot is not None and time.monotonic() - self._checked > self.check_seconds:
            self.refresh()
        snap = self.snapshot
        try:
            return self._search(snap, query, top_k, vector)
        except StoreUnavailableError:
            raise
        except Exception as exc:
            # Our generation may have been cleaned up by a later ingest: retry once on the
            # newer one. Any other error is raised as is and never reloads the index.
            if not (is_stale(exc) and self._swapped_since(snap)):
                raise
            log.info("index changed during a question; retried on the new one")
            return self._search(self.snapshot, query, top_k, vector)

    def sentence_vectors(self, passages: list[Passage]) -> dict[str, list[float]]:
        """Stored vectors of the passages' sentences, by id '<chunk id>#<n>' (empty if none)."""
        snap = self.snapshot
        if snap.sentences is None:
            return {}
        ids = [f"{p.chunk_id}#{n}" for p in passages for n in range(len(sentences(p.text)))]
        try:
            return self.store.vectors(snap.sentences, ids)
        except StoreUnavailableError:
            raise
        except Exception:  # noqa: BLE001 - a generation cleaned up meanwhile: answer without
            log.info("sentence vectors unavailable for this question")
            return {}

    def similarity(self, retrieval: Retrieval, passages: list[Passage]) -> Similarity:
        """Each passage sentence's cosine similarity to the query."""
        out = Similarity()
        if retrieval.vector is None:
            return out
        vectors = self.sentence_vectors(passages)
        if not vectors:
            return out
        query = np.asarray(retrieval.vector, dtype=np.float32)
        for p in passages:
            row = [vectors.get(f"{p.chunk_id}#{n}") for n in range(len(sentences(p.text)))]
            out.to_query[p.chunk_id] = [
                float(query @ np.asarray(v, dtype=np.float32)) if v is not None else float("nan")
                for v in row
            ]
        return out

    def _swapped_since(self, snap: Snapshot) -> bool:
        """Whether another generation is active than `snap`; loads it (once, for all threads)."""
        self.refresh()
        return self._snapshot is not None and self._snapshot is not snap

    def _search(
        self, snap: Snapshot, query: str, top_k: int | None, vector: list[float] | None = None
    ) -> Retrieval:
        k = top_k or self.top_k
        fused, lex, dense, vector = self._scores(snap, query, k, vector)
        candidates = self._candidates(fused, 40 * k)
        vote = Vote()
        if self.ranker is not None and vector is not None:
            found = self._signals(snap, query, fused, lex, dense, candidates)
            vote = self.ranker.vote(vector)
            probability = self.ranker.rank(found.doc_ids, found.signals, vote)
            best = np.argsort(-probability, kind="stable")[:k]
            order = [found.rows[j] for j in best]
            scores = [float(probability[j]) for j in best]
        else:
            self._resource_boost(snap, query, fused, candidates)
            order = self._best_per_document(snap, fused, candidates, k)
            scores = [float(fused[i]) for i in order]
        passages = [
            self._passage(snap, i, score, lex[i], dense[i])
            for i, score in zip(order, scores, strict=True)
        ]
        more = self._more_of_documents(snap, fused, candidates, order[:CONTEXT_DOCUMENTS])
        context = [self._passage(snap, i, fused[i], lex[i], dense[i]) for i in more]
        coverage, missing = self._coverage(snap, query, order[:3])
        dense_top = float(np.nanmax(dense)) if np.isfinite(dense).any() else 0.0
        return Retrieval(query, passages, coverage, dense_top, missing, vector, context, vote)

    def candidates(self, query: str, vector: list[float] | None = None) -> Candidates:
        """The candidate documents of a query with their signals (for fitting the ranker)."""
        snap = self.snapshot
        k = self.top_k
        fused, lex, dense, vector = self._scores(snap, query, k, vector)
        rows = self._candidates(fused, 40 * k)
        return self._signals(snap, query, fused, lex, dense, rows)

    def _scores(self, snap: Snapshot, query: str, k: int, vector: list[float] | None):
        """Fused, BM25 and dense scores of every chunk (dense NaN outside the dense pool)."""
        n = len(snap.chunks)
        terms = snap.analyzer.terms(query, query=True)
        lex = snap.bm25.scores(terms)
        lex = np.where(snap.retrievable, lex, 0.0)
        dense = np.full(n, np.nan, dtype=np.float32)
        # No metadata filter in the query (Chroma's `where` costs ~200 ms at 100k chunks):
        # ask for a few more hits and drop the non-retrievable ones here.
        pool = min(n, max(4 * k, 20) + snap.excluded)
        if pool:
            vector = vector if vector is not None else self.embed(query)
            hits = self.store.query(snap.collection, vector, pool)
            for cid, dist in zip(hits["ids"][0], hits["distances"][0], strict=True):
                i = snap.row_of.get(cid)
                if i is not None and snap.retrievable[i]:
                    dense[i] = 1.0 - float(dist)
        return self._fuse(lex, dense, k), lex, dense, vector

    @staticmethod
    def _signals(
        snap: Snapshot,
        query: str,
        fused: np.ndarray,
        lex: np.ndarray,
        dense: np.ndarray,
        rows: np.ndarray,
    ) -> Candidates:
        """Per document among the candidate chunks: best dense, best BM25, resource kind.
        A document outside the dense pool gets the pool's lowest similarity."""
        finite = dense[np.isfinite(dense)]
        floor = float(finite.min()) if finite.size else 0.0
        asked = _asked_resources(query)
        best: dict[str, list] = {}
        for i in rows:
            if not snap.retrievable[i]:
                continue
            meta = snap.chunks.metadatas[i]
            d = float(dense[i]) if np.isfinite(dense[i]) else floor
            entry = best.get(meta["doc_id"])
            if entry is None:
                kind = bool(asked) and _is_asked_kind(meta, asked)
                best[meta["doc_id"]] = [int(i), d, float(lex[i]), float(kind)]
            else:
                if fused[i] > fused[entry[0]]:
                    entry[0] = int(i)
                entry[1], entry[2] = max(entry[1], d), max(entry[2], float(lex[i]))
        doc_ids = list(best)
        signals = np.asarray([best[d][1:] for d in doc_ids], dtype=np.float64).reshape(
            len(doc_ids), len(SIGNALS)
        )
        return Candidates(doc_ids, signals, [best[d][0] for d in doc_ids])

    @staticmethod
    def _more_of_documents(
        snap: Snapshot, fused: np.ndarray, rows: np.ndarray, best: list[int]
    ) -> list[int]:
        """Next-best chunks of the best documents: an answer may stand in another chunk."""
        wanted = {snap.chunks.metadatas[i]["doc_id"]: 0 for i in best}
        chosen = set(best)
        out = []
        for i in rows[np.argsort(-fused[rows], kind="stable")]:
            doc = snap.chunks.metadatas[i]["doc_id"]
            if i in chosen or doc not in wanted or wanted[doc] >= CONTEXT_CHUNKS or fused[i] <= 0:
                continue
            wanted[doc] += 1
            out.append(int(i))
        return out

    @staticmethod
    def _candidates(fused: np.ndarray, n: int) -> np.ndarray:
        """The n best rows, best first, without sorting every chunk."""
        if fused.size > n:
            top = np.argpartition(-fused, n)[:n]
        else:
            top = np.arange(fused.size)
        return top[np.argsort(-fused[top], kind="stable")]

    @staticmethod
    def _resource_boost(snap: Snapshot, query: str, fused: np.ndarray, rows: np.ndarray) -> None:
        """Raise, in place, candidates whose type or title is the kind of resource asked for."""
        asked = _asked_resources(query)
        if not asked:
            return
        for i in rows:
            if fused[i] > 0 and _is_asked_kind(snap.chunks.metadatas[i], asked):
                fused[i] += RESOURCE_BOOST

    @staticmethod
    def _best_per_document(
        snap: Snapshot, fused: np.ndarray, rows: np.ndarray, k: int
    ) -> list[int]:
        order, seen = [], set()
        for i in rows[np.argsort(-fused[rows], kind="stable")]:
            if fused[i] <= 0 or len(order) >= k:
                break
            doc = snap.chunks.metadatas[i]["doc_id"]
            if doc not in seen:
                seen.add(doc)
                order.append(int(i))
        return order

    def _fuse(self, lex: np.ndarray, dense: np.ndarray, k: int) -> np.ndarray:
        has_dense = np.isfinite(dense)
        if self.fusion == "rrf":
            fused = np.zeros_like(lex)
            lex_rank = np.argsort(-lex, kind="stable")
            for r, i in enumerate(lex_rank[: max(50, k)]):
                if lex[i] > 0:
                    fused[i] += self.lexical_weight / (60 + r)
            dense_idx = np.where(has_dense)[0]
            for r, i in enumerate(dense_idx[np.argsort(-dense[dense_idx])]):
                fused[i] += (1 - self.lexical_weight) / (60 + r)
            return fused
        lex_max = float(lex.max()) if lex.size else 0.0
        lex_norm = lex / lex_max if lex_max > 0 else np.zeros_like(lex)
        dense_norm = np.zeros_like(lex)
        if has_dense.any():
            values = dense[has_dense]
            lo, hi = float(values.min()), float(values.max())
            dense_norm[has_dense] = (values - lo) / (hi - lo) if hi > lo else 1.0
        return self.lexical_weight * lex_norm + (1 - self.lexical_weight) * dense_norm

    def _coverage(self, snap: Snapshot, query: str, rows: list[int]) -> tuple[float, list[str]]:
        """Which share of the question's content words (weighted by rarity) the top rows hold."""
        found: set[str] = set()
        for row in rows:
            found |= snap.bm25.doc_terms[row]
        total = covered = 0.0
        missing: list[str] = []
        for word in dict.fromkeys(snap.analyzer.query_words(query)):
            whole = snap.bm25.resolve(NUMBERS.get(word) or stem(word))
            # A word the index knows counts once; an unknown compound counts by its parts.
            parts = [word] if whole else (list(snap.analyzer.split_compound(word)) or [word])
            for part in parts:
                term = whole if part == word else snap.bm25.resolve(stem(part))
                if term is not None and term in found:
                    weight = snap.bm25.term_idf(term)
                    covered += weight
                elif term is not None:
                    weight = snap.bm25.term_idf(term)
                else:
                    weight = snap.bm25.unknown_idf()
                    missing.append(part)
                total += weight
        return (covered / total if total else 0.0), missing

    @staticmethod
    def _passage(snap: Snapshot, i: int, score: float, lex: float, dense: float) -> Passage:
        meta = snap.chunks.metadatas[i]
        return Passage(
            chunk_id=snap.chunks.ids[i],
            doc_id=meta["doc_id"],
            title=meta.get("title", ""),
            type=meta.get("type", ""),
            url=meta.get("url", "") or "",
            path=meta.get("path", ""),
            text=snap.chunks.texts[i],
            score=round(float(score), 4),
            lexical=round(float(lex), 4),
            dense=round(float(dense), 4) if np.isfinite(dense) else 0.0,
            tags=meta.get("tags", ""),
            not_quoted=meta.get("not_quoted", "") or "",
        )
