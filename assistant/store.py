"""Chroma storage: one collection per index generation and a pointer to the active one.

An ingest writes a complete new generation and only then flips the pointer, so readers
always see a whole index: the previous one until the swap, the new one after it. The
pointer lives in Chroma itself, so embedded and server mode behave the same.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import StoreUnavailableError

log = logging.getLogger(__name__)

SENTENCES_SUFFIX = "-s"


class Superseded(Exception):  # noqa: N818 - a signal between store and ingest, not an error
    """Another ingest activated a generation since this one read the active one."""


@dataclass
class StoredChunks:
    ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    metadatas: list[dict[str, Any]] = field(default_factory=list)
    embeddings: list[list[float]] | None = None

    def __len__(self) -> int:
        return len(self.ids)


def connect(data_dir: Path, host: str | None = None, port: int = 8000):
    """A Chroma client: HttpClient when a host is set, else PersistentClient under data_dir."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if host:
            return chromadb.HttpClient(host=host, port=port, settings=chroma_settings)
        Path(data_dir).mkdir(mode=0o700, parents=True, exist_ok=True)  # owner-only when new
        path = Path(data_dir) / "index"
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:  # noqa: BLE001
        raise unavailable(host, port, exc) from exc


UNAVAILABLE = "De kennisbank is nu niet bereikbaar. Probeer het over een paar minuten opnieuw."


def unavailable(host: str | None, port: int, cause: BaseException) -> StoreUnavailableError:
    """A short message for users; where and why for the log and the operator."""
    if host:
        details = (
            f"de Chroma-server op {host}:{port} antwoordt niet ({type(cause).__name__}: "
            f"{cause}). Draait hij (bijvoorbeeld 'chroma run --path data/chroma --port {port}') "
            "en kloppen HECHTING_CHROMA_HOST en HECHTING_CHROMA_PORT?"
        )
    else:
        details = (
            f"de lokale index kon niet worden geopend ({type(cause).__name__}: {cause}); "
            "controleer de map HECHTING_DATA_DIR"
        )
    return StoreUnavailableError(UNAVAILABLE, details=details)


class Store:
    def __init__(
        self,
        client,
        base_name: str = "hechting",
        host: str | None = None,
        port: int = 8000,
        index_dir: Path | None = None,
    ):
        """`client` is a Chroma client, or a callable that makes one on first use.

        `index_dir` is the embedded store's folder (None for a server), where clean-up also
        removes the files of deleted collections.
        """
        self._client = client
        self.base = base_name
        self.pointer_name = f"{base_name}-pointer"
        self._host = host
        self._port = port
        self.index_dir = Path(index_dir) if index_dir is not None and not host else None

    @classmethod
    def from_location(cls, data_dir: Path, host: str | None, port: int, base_name: str) -> Store:
        """A store that connects on first use, so validation alone never touches the index."""
        index_dir = Path(data_dir) / "index" if data_dir is not None else None
        return cls(lambda: connect(data_dir, host, port), base_name, host, port, index_dir)

    @property
    def client(self):
        if callable(self._client) and not hasattr(self._client, "get_collection"):
            self._client = self._client()
        return self._client

    # -- helpers -----------------------------------------------------------------------------
    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except StoreUnavailableError:
            raise
        except Exception as exc:
            if _is_connection_error(exc):
                raise unavailable(self._host, self._port, exc) from exc
            raise

    def _collection(self, name: str):
        return self._call(self.client.get_collection, name, embedding_function=None)

    # -- pointer -----------------------------------------------------------------------------
    def pointer(self) -> dict[str, Any]:
        try:
            col = self._collection(self.pointer_name)
        except StoreUnavailableError:
            raise
        except Exception:  # noqa: BLE001 - no pointer yet: no index
            return {}
        return dict(col.metadata or {})

    def active(self):
        """The active collection, or None when no index was built yet."""
        name = self.pointer().get("active")
        if not name:
            return None
        try:
            return self._collection(name)
        except StoreUnavailableError:
            raise
        except Exception:  # noqa: BLE001
            log.warning("pointer names a missing collection %s", name)
            return None

    def activate(
        self, collection, info: dict[str, Any], expected_active: str | None = None
    ) -> None:
        """Make `collection` the active generation. With `expected_active`, refuse
        (Superseded) when another ingest activated a different generation meanwhile."""
        previous = self.pointer().get("active", "")
        if expected_active is not None and previous != expected_active:
            raise Superseded(previous)
        meta = {k: v for k, v in info.items() if v is not None}
        meta.update({"active": collection.name, "previous": previous or ""})
        pointer = self._call(
            self.client.get_or_create_collection, self.pointer_name, embedding_function=None
        )
        self._call(pointer.modify, metadata=meta)

    # -- generations -------------------------------------------------------------------------
    def new_generation(self):
        name = f"{self.base}-g{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
        return self._call(
            self.client.create_collection,
            name,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"generation_of": self.base},
            embedding_function=None,
        )

    @staticmethod
    def sentences_name(generation: str) -> str:
        """The collection with a generation's sentence vectors (for choosing answer sentences)."""
        return f"{generation}{SENTENCES_SUFFIX}"

    def new_sentences(self, generation) -> Any:
        """The collection with the sentence vectors of a generation."""
        return self._call(
            self.client.create_collection,
            self.sentences_name(generation.name),
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"sentences_of": generation.name},
            embedding_function=None,
        )

    def sentences(self, generation) -> Any | None:
        """A generation's sentence collection, or None (an index built before it existed)."""
        try:
            return self._collection(self.sentences_name(generation.name))
        except StoreUnavailableError:
            raise
        except Exception:  # noqa: BLE001
            return None

    def vectors(self, collection, ids: list[str]) -> dict[str, list[float]]:
        """Stored embeddings by id (missing ids are left out)."""
        if not ids:
            return {}
        got = self._call(collection.get, ids=ids, include=["embeddings"])
        return {i: e for i, e in zip(got["ids"], got["embeddings"], strict=True)}

    def generations(self) -> list[str]:
        names = [getattr(c, "name", c) for c in self._call(self.client.list_collections)]
        return sorted(
            n for n in names if n.startswith(f"{self.base}-g") and not n.endswith(SENTENCES_SUFFIX)
        )

    def drop(self, name: str) -> None:
        for target in (name, self.sentences_name(name)):
            try:
                self._call(self.client.delete_collection, target)
            except Exception:  # noqa: BLE001 - best effort clean-up (may not exist)
                log.debug("could not delete collection %s", target)

    def cleanup(self) -> None:
        """Delete generations other than the active and the previous one (readers may hold it)."""
        ptr = self.pointer()
        keep = {ptr.get("active"), ptr.get("previous")}
        for name in self.generations():
            if name not in keep:
                self.drop(name)
        self.remove_unused_files()

    # -- files of deleted collections (embedded mode) ----------------------------------------
    def segment_ids(self) -> set[str]:
        """Ids of the segments live collections use, from the embedded store's catalogue."""
        if self.index_dir is None:
            return set()
        database = self.index_dir / "chroma.sqlite3"
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as db:
            return {row[0] for row in db.execute("SELECT id FROM segments")}

    def remove_unused_files(self) -> list[str]:
        """Delete segment folders that no live collection uses.

        chromadb 1.x keeps a deleted collection's vector segment folder (named by the
        segment's UUID) on disk. A folder whose UUID is no longer in the catalogue's
        `segments` table belongs to no collection; ingests hold the ingest lock, so no
        collection is being created while this runs. Server mode: the server's disk is
        not ours to clean.
        """
        if self.index_dir is None or not (self.index_dir / "chroma.sqlite3").exists():
            return []
        live = self.segment_ids()
        removed = []
        for entry in self.index_dir.iterdir():
            if entry.is_dir() and not entry.is_symlink() and _is_uuid(entry.name):
                if entry.name not in live:
                    shutil.rmtree(entry, ignore_errors=True)
                    removed.append(entry.name)
        if removed:
            log.info("removed %d unused segment folders", len(removed))
        return removed

    # -- data --------------------------------------------------------------------------------
    def read(self, collection, with_embeddings: bool = False, batch: int = 5000) -> StoredChunks:
        include = ["documents", "metadatas"] + (["embeddings"] if with_embeddings else [])
        out = StoredChunks(embeddings=[] if with_embeddings else None)
        total = self._call(collection.count)
        for offset in range(0, total, batch):
            got = self._call(collection.get, include=include, limit=batch, offset=offset)
            out.ids.extend(got["ids"])
            out.texts.extend(got["documents"])
            out.metadatas.extend(dict(m) for m in got["metadatas"])
            if with_embeddings:
                out.embeddings.extend([list(map(float, e)) for e in got["embeddings"]])
        return out

    def add(self, collection, chunks: StoredChunks) -> None:
        size = max(1, min(self._call(self.client.get_max_batch_size), 2000))
        for start in range(0, len(chunks), size):
            end = start + size
            self._call(
                collection.add,
                ids=chunks.ids[start:end],
                documents=chunks.texts[start:end],
                metadatas=chunks.metadatas[start:end],
                embeddings=chunks.embeddings[start:end],
            )

    def query(self, collection, embedding: list[float], n: int, where: dict | None = None):
        return self._call(
            collection.query,
            query_embeddings=[embedding],
            n_results=n,
            where=where,
            include=["distances"],
        )


def _is_uuid(name: str) -> bool:
    try:
        return str(uuid.UUID(name)) == name
    except ValueError:
        return False


def is_stale(exc: BaseException) -> bool:
    """Whether Chroma refused a call on a collection, e.g. one a later ingest deleted."""
    from chromadb.errors import ChromaError

    return isinstance(exc, ChromaError)


def _is_connection_error(exc: BaseException) -> bool:
    names = {type(e).__name__ for e in _chain(exc)}
    text = " ".join(str(e) for e in _chain(exc)).lower()
    return bool(
        names
        & {
            "ConnectError",
            "ConnectionError",
            "ConnectTimeout",
            "ReadError",
            "RemoteProtocolError",
            "ConnectionRefusedError",
            "ReadTimeout",
        }
        or "could not connect" in text
        or "connection refused" in text
    )


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__
