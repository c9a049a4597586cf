"""The real `citewise serve` in a subprocess on a free loopback port, for tests that talk HTTP."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import REPO

_STARTUP_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        """What the server has printed so far (for assertion messages)."""
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def running_server(
    data_dir: Path, *args: str, cwd: Path | None = None, env: dict | None = None, port: int | None = None
) -> Iterator[LiveServer]:
    """Start `citewise serve --data-dir DATA_DIR ARGS...` (on ``port``, by default a free one) and wait until /healthz answers.

    The server is stopped (and waited for) when the block ends; its output is in ``log``.
    """
    port = port or free_port()
    cwd = cwd or Path(data_dir).parent
    log = Path(tempfile.gettempdir()) / f"citewise-server-{port}.log"
    environment = {**os.environ, "PYTHONPATH": str(REPO), "GRADIO_ANALYTICS_ENABLED": "False", **(env or {})}
    command = [sys.executable, "-m", "chat", "serve", "--port", str(port), "--data-dir", str(data_dir), *args]
    with open(log, "wb") as sink:
        process = subprocess.Popen(command, cwd=cwd, env=environment, stdout=sink, stderr=subprocess.STDOUT)
    server = LiveServer(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + _STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"citewise serve exited with {process.returncode}:\n{server.output()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"citewise serve did not answer /healthz in {_STARTUP_SECONDS} s:\n{server.output()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
