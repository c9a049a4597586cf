"""Session fixtures for the server tests: one index with a hostile document, two real servers.

Each `citewise serve` costs ~14 s to start (Gradio's import), so there are two, shared:
``open_server`` (an allowed origin, no rate limit) for most tests, and ``locked_server``
(a token and a limit of 5 a minute) for the token and rate-limit tests.
"""

from __future__ import annotations

import pytest

# The hostile document's question and payloads, for the tests here; served_data_dir lives in tests/conftest.py.
from tests.conftest import HOSTILE_QUESTION, PAYLOADS  # noqa: F401
from tests.live_server import LiveServer, running_server

ALLOWED_ORIGIN = "http://intranet.example:8080"
TOKEN = "s3cret"
RATE_LIMIT = 5


@pytest.fixture(scope="session")
def open_server(served_data_dir) -> LiveServer:
    with running_server(served_data_dir, "--allow-origin", ALLOWED_ORIGIN, "--rate-limit", "0") as server:
        yield server


@pytest.fixture(scope="session")
def locked_server(served_data_dir) -> LiveServer:
    with running_server(served_data_dir, "--token", TOKEN, "--rate-limit", str(RATE_LIMIT)) as server:
        yield server
