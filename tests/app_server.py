"""Run the real app (python app.py) in a subprocess on a free port (test helper)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from chroma_server import free_port, stop_process
from conftest import ROOT


class AppServer:
    def __init__(
        self,
        corpus: Path,
        data: Path,
        password: str = "test-wachtwoord",
        extra_env: dict | None = None,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.password = password
        self.log = data.parent / f"app-{self.port}.log"
        self.env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "HECHTING_CORPUS_DIR": str(corpus),
            "HECHTING_DATA_DIR": str(data),
            "HECHTING_CURATOR_PASSWORD": password,
            **(extra_env or {}),
        }
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 180) -> AppServer:
        self.process = subprocess.Popen(
            [sys.executable, "app.py", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"app stopped: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url, timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError("app did not start in time")

    def stop(self) -> None:
        stop_process(self.process)
