"""The real `citewise serve` in a subprocess on a free loopback port, for tests that talk HTTP."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
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
def running_process(
    command: list[str], health_url: str, log: Path, name: str, seconds: float = _STARTUP_SECONDS, **popen
) -> Iterator[subprocess.Popen]:
    """Start ``command`` (its output in ``log``) and wait, at most ``seconds``, until ``health_url`` answers 200.

    The process is stopped (and waited for) when the block ends. ``name`` says which server
    failed to start, with its output.
    """
    with open(log, "wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, **popen)
    try:
        deadline = time.monotonic() + seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{log.read_text(errors='replace')}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(health_url, timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer {health_url} in {seconds:g} s:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def running_server(
    data_dir: Path, *args: str, cwd: Path | None = None, env: dict | None = None, port: int | None = None
) -> Iterator[LiveServer]:
    """Start `citewise serve --data-dir DATA_DIR ARGS...` (on ``port``, by default a free one) and wait until /healthz answers.

    The server is stopped (and waited for) when the block ends; its output is in ``log``.
    """
    port = port or free_port()
    log = Path(tempfile.gettempdir()) / f"citewise-server-{port}.log"
    environment = {**os.environ, "PYTHONPATH": str(REPO), "GRADIO_ANALYTICS_ENABLED": "False", **(env or {})}
    command = [sys.executable, "-m", "chat", "serve", "--port", str(port), "--data-dir", str(data_dir), *args]
    url = f"http://127.0.0.1:{port}"
    with running_process(command, f"{url}/healthz", log, "citewise serve", cwd=cwd or Path(data_dir).parent, env=environment) as process:
        yield LiveServer(url, process, log)


class AskingClient(threading.Thread):
    """Asks ``question`` at ``url`` over and over, ``pause`` seconds apart, counting answers and failures, until stopped.

    A failure is any answer but a 200 that answers, or a transport error: what a user would see.
    """

    def __init__(self, url: str, question: str, pause: float = 0.0) -> None:
        super().__init__(daemon=True)
        self.url, self.question, self.pause = url, question, pause
        self.stop = threading.Event()
        self.served = 0
        self.failures: list[str] = []

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as client:
            while not self.stop.is_set():
                try:
                    response = client.post("/api/ask", json={"question": self.question})
                    if response.status_code == 200 and response.json()["answered"]:
                        self.served += 1
                    else:
                        self.failures.append(f"{response.status_code}: {response.text[:200]}")
                except httpx.HTTPError as error:
                    self.failures.append(repr(error))
                self.stop.wait(self.pause)


def serving_version(url: str) -> str | None:
    """The index version the server at ``url`` names on /healthz; None while it does not answer."""
    try:
        return httpx.get(f"{url}/healthz", timeout=10).json()["index"]["version"]
    except httpx.HTTPError:
        return None
