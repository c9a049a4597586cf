"""Errors a user can fix carry their meaning and are translated once, at each edge; a bug keeps its traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from chat.cli import cli
from chat.errors import QuestionTooLongError
from index import CacheUnavailableError, DataDir, IndexNotFoundError
from ingest import CitewiseError
from tests.chat.in_process import app_for, call
from tests.chat.test_guard import StubEngine


def test_a_user_error_in_a_command_is_one_line_with_the_fix_and_exit_1(tmp_path):
    result = CliRunner().invoke(cli, ["index", "info", "--data-dir", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "citewise index rebuild" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_a_bug_in_a_command_keeps_its_traceback(tmp_path, monkeypatch):
    def broken(self):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(DataDir, "current_path", broken)
    result = CliRunner().invoke(cli, ["index", "info", "--data-dir", str(tmp_path)])
    assert isinstance(result.exception, ZeroDivisionError), "not turned into a user message"


class FailingEngine(StubEngine):
    """Fails every question with the error it was given."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def ask(self, question, history=None):
        raise self.error


@pytest.mark.parametrize(
    "error, status",
    [
        (IndexNotFoundError("No index yet: run `citewise index rebuild`."), 503),
        (QuestionTooLongError("The question is 2000 characters long; the limit is 1000."), 413),
        (CacheUnavailableError("The cache is locked."), 400),
    ],
)
def test_the_api_answers_a_user_error_with_its_own_status_in_the_one_shape(error, status):
    response = call(app_for(FailingEngine(error)), "POST", "/api/ask", json={"question": "When?"})
    assert response.status_code == status
    assert response.json() == {"ok": False, "error": str(error), "status": status}


def test_an_error_carries_its_headers_to_the_response():
    class Busy(CitewiseError):
        status = 503

        def headers(self) -> dict[str, str]:
            return {"Retry-After": "7"}

    response = call(app_for(FailingEngine(Busy("Rebuilding: ask again in a moment."))), "POST", "/api/ask", json={"question": "When?"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "7"


def test_a_bug_behind_the_api_is_a_500_without_its_traceback():
    response = call(app_for(FailingEngine(ZeroDivisionError("a bug"))), "POST", "/api/ask", json={"question": "When?"})
    assert response.status_code == 500 and response.json()["status"] == 500
    assert "a bug" not in response.text and "Traceback" not in response.text
