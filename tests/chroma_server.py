"""Start and stop a real `chroma run` server on a free loopback port (test helper)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    def __init__(self, path: Path, port: int | None = None):
        self.path = path
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> ChromaServer:
        chroma = Path(sys.executable).parent / "chroma"
        self.process = subprocess.Popen(
            [
                str(chroma),
                "run",
                "--path",
                str(self.path),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if (
                    httpx.get(
                        f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=1
                    ).status_code
                    == 200
                ):
                    return self
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("chroma run stopped during start-up")
            time.sleep(0.2)
        raise RuntimeError("chroma run did not answer in time")

    def stop(self) -> None:
        stop_process(self.process)


def stop_process(process: subprocess.Popen | None, timeout: float = 15) -> None:
    """Terminate a child process, killing it if it does not stop in time."""
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
