"""`make run` takes the port and the allowed origins from the command line (issue 10, point 7)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.conftest import REPO


def serve_command(*variables: str) -> str:
    """The `citewise serve` line `make run VARIABLES...` would run (make -n: nothing runs)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("PORT", "ORIGIN")}  # make would read them too
    result = subprocess.run(
        ["make", "-n", "run", *variables], cwd=REPO, env=environment, capture_output=True, text=True, timeout=30, check=True
    )
    return [line for line in result.stdout.splitlines() if "citewise serve" in line][-1]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_passes_port_and_origins_only_when_given():
    assert serve_command().endswith("citewise serve")
    assert serve_command("PORT=8000").endswith("citewise serve --port 8000")
    assert serve_command("PORT=8000", "ORIGIN=http://intranet.example:8080 https://wiki.example").endswith(
        "citewise serve --port 8000 --allow-origin http://intranet.example:8080 --allow-origin https://wiki.example"
    )
