"""Fitted weights stored as JSON: written atomically, versioned, vectors as base64 float16."""

from __future__ import annotations

import base64
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np


def save(path: Path, weights) -> None:
    """Write a weights dataclass; a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(weights), ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def load(path: Path, version: int) -> dict:
    """The stored fields; ValueError when the file has another format version."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("version") != version:
        raise ValueError(f"{path}: weights format {data.get('version')}, expected {version}")
    return data


def pack_rows(z: np.ndarray) -> dict:
    rows = np.asarray(z, dtype="<f2")
    return {"rows": base64.b64encode(rows.tobytes()).decode("ascii"), "shape": list(rows.shape)}


def unpack_rows(packed: dict) -> np.ndarray:
    rows = np.frombuffer(base64.b64decode(packed["rows"]), dtype="<f2").astype(np.float32)
    return rows.reshape(packed["shape"])
