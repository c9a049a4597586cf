"""Mistakes an operator can fix stop the real `citewise` in well under a second, with the fix in the
message, before the model or Gradio load (issue 10, point 3).

Each runs the CLI in a subprocess with a timeout of a few seconds (loading the model or Gradio takes
longer), and the process reports which heavy packages it imported, so a regression that loads
them fails even on a machine fast enough to beat the timeout.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tests.conftest import CORPUS, REPO

TIMEOUT_SECONDS = 5
HEAVY = ("torch", "sentence_transformers", "gradio")
# Runs `citewise ARGS...`, then says on stderr which of HEAVY it imported on the way.
_RUN_CLI = (
    "import atexit, sys\n"
    f"atexit.register(lambda: print('heavy:', [m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr))\n"
    "from chat.cli import cli\n"
    "cli(sys.argv[1:], prog_name='citewise')\n"
)


def citewise(*args: str, cwd, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CITEWISE_")}
    environment.update({"PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", **(env or {})})
    return subprocess.run(
        [sys.executable, "-c", _RUN_CLI, *args], cwd=cwd, env=environment, capture_output=True, text=True,
        timeout=TIMEOUT_SECONDS,
    )


def assert_stops_early(result: subprocess.CompletedProcess, *messages: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    for message in messages:
        assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert "heavy: []" in result.stderr, f"loaded before failing: {result.stderr}"


def test_ask_without_an_index_says_how_to_build_one(tmp_path):
    result = citewise("ask", "When was the treaty signed?", "--data-dir", str(tmp_path / "var"), cwd=tmp_path)
    assert_stops_early(result, f"No index in '{tmp_path / 'var'}'", "run `citewise index rebuild` first")


def test_serve_without_an_index_or_documents_says_what_to_pass(tmp_path):
    result = citewise("serve", "--data-dir", str(tmp_path / "var"), "--corpus", str(tmp_path / "docs"), cwd=tmp_path)
    assert_stops_early(result, f"no documents at '{tmp_path / 'docs'}'", "--corpus DIR", "`citewise index rebuild --corpus DIR`")


@pytest.mark.parametrize(
    "args, messages",
    [
        (["--allow-origin", "intranet.example"], ["Invalid allowed origin: 'intranet.example'", "http://intranet.example:8080"]),
        (["--allow-origin", "http://intranet.example/wiki"], ["Invalid allowed origin: 'http://intranet.example/wiki'"]),
        (["--rate-limit", "-1"], ["Invalid rate_limit: -1", "--rate-limit 30", "CITEWISE_RATE_LIMIT"]),
        (["--port", "70000"], ["Invalid port: 70000", "--port 8000", "CITEWISE_PORT=8000"]),
        (["--host", "nowhere.invalid"], ["Cannot listen on 'nowhere.invalid'", "--host"]),
    ],
)
def test_bad_server_options_stop_before_anything_loads(tmp_path, args, messages):
    # With documents to build from: were the option accepted, a build (and the model) would follow.
    result = citewise("serve", "--data-dir", str(tmp_path / "var"), "--corpus", str(CORPUS), *args, cwd=tmp_path)
    assert_stops_early(result, *messages)


def test_a_port_in_use_is_refused_with_the_way_to_pick_another(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = citewise("serve", "--port", port, "--data-dir", str(tmp_path / "var"), "--corpus", str(CORPUS), cwd=tmp_path)
    assert_stops_early(result, f"Port {port} on 127.0.0.1 is already in use", "--port 8000", "CITEWISE_PORT=8000")


def test_a_typo_in_citewise_toml_names_the_file_the_line_and_the_setting_meant(tmp_path):
    (tmp_path / "citewise.toml").write_text('top_k = 5\n\nrate_limt = 10\n')
    result = citewise("serve", "--data-dir", str(tmp_path / "var"), "--corpus", str(CORPUS), cwd=tmp_path)
    assert_stops_early(result, "Invalid setting 'rate_limt' in citewise.toml, line 3: did you mean rate_limit?")


def test_a_typo_in_an_environment_variable_names_the_variable_meant(tmp_path):
    result = citewise("serve", "--data-dir", str(tmp_path / "var"), cwd=tmp_path, env={"CITEWISE_RATE_LIMT": "10"})
    assert_stops_early(result, "Invalid setting 'CITEWISE_RATE_LIMT' in the environment: did you mean CITEWISE_RATE_LIMIT?")


def test_an_origin_copied_from_the_address_bar_is_accepted_without_its_slash(tmp_path):
    result = citewise("settings", cwd=tmp_path, env={"CITEWISE_ALLOW_ORIGINS": "http://intranet.example:8080/"})
    assert result.returncode == 0, result.stderr
    assert 'allow_origins = ["http://intranet.example:8080"]' in result.stdout


def test_every_build_the_index_first_message_names_the_same_command():
    from index import REBUILD_COMMAND

    assert REBUILD_COMMAND == "citewise index rebuild"
    # The messages use the constant; only the `index build` command's own help may name it.
    named = [str(p.relative_to(REPO)) for layer in ("index", "chat") for p in (REPO / layer).rglob("*.py")
             if "run `citewise index build" in p.read_text(encoding="utf-8")]
    assert named == []
