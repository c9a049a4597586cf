"""The real `citewise serve` on loopback, over HTTP: the API, its errors, and deny-by-default security."""

from __future__ import annotations

import json
import socket

import httpx
import pytest
from click.testing import CliRunner

from chat.cli import cli
from index import DataDir
from tests.chat.conftest import ALLOWED_ORIGIN, HOSTILE_QUESTION, PAYLOADS, RATE_LIMIT, TOKEN

# Starts processes (servers, the CLI, a browser): `make test` runs it, `make quick` leaves it out.
pytestmark = pytest.mark.slow

TREATY = "When was the defense treaty signed?"
ANSWER_KEYS = {"question", "answer", "answered", "citations", "mode"}


def ask(server, body, **kwargs) -> httpx.Response:
    content = body if isinstance(body, (str, bytes)) else json.dumps(body)
    headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
    return httpx.post(f"{server.url}/api/ask", content=content, headers=headers, timeout=30, **kwargs)


def client_at(address: str) -> httpx.Client:
    """A client connecting from another loopback address: another client for the rate limit."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


def assert_error(response: httpx.Response, status: int, message: str) -> None:
    """The one error shape of the API, with a message that says what is wrong."""
    assert response.status_code == status, response.text
    assert response.json() == {"ok": False, "error": response.json()["error"], "status": status}
    assert message in response.json()["error"]
    assert "Traceback" not in response.text


def test_healthz_names_the_serving_index_version(open_server, served_data_dir):
    health = httpx.get(f"{open_server.url}/healthz").json()
    assert health["status"] == "ok"
    assert health["index"]["version"] == DataDir(served_data_dir).current()
    assert health["index"]["documents"] == 2 and health["index"]["paragraphs"] > 40


def test_ask_returns_the_cli_json_contract_with_citations(open_server):
    response = ask(open_server, {"question": TREATY})
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == ANSWER_KEYS and answer["answered"] is True
    assert "1960" in answer["answer"] and "[1]" in answer["answer"]
    first = answer["citations"][0]
    assert first["doc"] == "japan-us-alliance.txt" and first["quote"] in first["text"]


def test_a_follow_up_is_read_in_the_context_of_the_history(open_server):
    history = [
        {"role": "user", "content": "What is the defense pact between Japan and the United States?"},
        {"role": "assistant", "content": "The Treaty of Mutual Cooperation and Security. [1]"},
    ]
    other = [{"role": "user", "content": "What did President Biden call the alliance?"}, history[1]]
    followed = ask(open_server, {"question": "When was it signed?", "history": history}).json()
    after_other = ask(open_server, {"question": "When was it signed?", "history": other}).json()
    assert "1960" in followed["answer"]
    assert followed["answer"] != after_other["answer"], "the history, not the question alone, says what 'it' is"


def test_a_question_outside_the_documents_is_refused_not_guessed(open_server):
    answer = ask(open_server, {"question": "What is the boiling point of liquid nitrogen?"}).json()
    assert answer["answered"] is False and answer["citations"] == []


def test_document_markup_comes_back_as_data_never_interpreted(open_server):
    answer = ask(open_server, {"question": HOSTILE_QUESTION}).json()
    cited = " ".join(c["text"] for c in answer["citations"])
    assert all(payload in cited for payload in PAYLOADS), "the API returns text as it is in the document"


@pytest.mark.parametrize(
    "body, status, message",
    [
        ({}, 422, "question: Field required"),
        ({"question": "   "}, 422, "The question is empty"),
        ({"question": 42}, 422, "question: Input should be a valid string"),
        ({"question": ["a list"]}, 422, "question: Input should be a valid string"),
        ({"question": "x" * 1001}, 413, "the limit is 1000"),
        ({"question": "ok?", "history": "not a list"}, 422, "history: Input should be a valid list"),
        ({"question": "ok?", "history": [{"role": "system", "content": "x"}]}, 422, "history turn 1 role"),
        ({"question": "ok?", "history": [{"role": "user"}]}, 422, "history turn 1 content: Field required"),
        ('{"question": "unclosed', 422, "not valid JSON"),
        ("[1, 2]", 422, "must be a JSON object"),
        ({"question": "ok?", "history": [{"role": "user", "content": "y" * 70_000}]}, 413, "over the limit of 64 KiB"),
    ],
)
def test_bad_input_gets_a_clear_4xx_in_the_one_error_shape(open_server, body, status, message):
    assert_error(ask(open_server, body), status, message)


def test_wrong_methods_and_paths_under_api_get_the_error_shape(open_server):
    wrong_method = httpx.get(f"{open_server.url}/api/ask")
    assert_error(wrong_method, 405, "POST /api/ask")
    assert wrong_method.headers["allow"] == "POST"
    assert_error(httpx.post(f"{open_server.url}/api/answer", json={}), 404, "/docs")


def test_openapi_docs_describe_the_ask_endpoint(open_server):
    assert httpx.get(f"{open_server.url}/docs").status_code == 200
    schema = httpx.get(f"{open_server.url}/openapi.json").json()
    assert {"question", "history"} <= set(schema["components"]["schemas"]["AskRequest"]["properties"])


def test_cors_lets_only_the_allowed_origin_in(open_server):
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}
    allowed = httpx.options(f"{open_server.url}/api/ask", headers={"Origin": ALLOWED_ORIGIN, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert {"authorization", "content-type"} <= set(allowed.headers["access-control-allow-headers"].lower().split(", "))

    denied = httpx.options(f"{open_server.url}/api/ask", headers={"Origin": "http://evil.example", **preflight})
    assert denied.status_code == 400 and "access-control-allow-origin" not in denied.headers

    answered = ask(open_server, {"question": TREATY}, headers={"Origin": ALLOWED_ORIGIN})
    assert answered.status_code == 200 and answered.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


def test_a_request_from_another_origin_is_refused_before_any_work(open_server):
    # A form POST skips the preflight; the server must refuse it itself, not rely on the browser.
    response = ask(open_server, {"question": TREATY}, headers={"Origin": "http://evil.example"})
    assert_error(response, 403, "--allow-origin http://evil.example")
    same_origin = ask(open_server, {"question": TREATY}, headers={"Origin": open_server.url})
    assert same_origin.status_code == 200


def test_pages_may_not_be_framed_by_other_sites(open_server):
    page = httpx.get(f"{open_server.url}/")
    assert page.headers["content-security-policy"] == "frame-ancestors 'self'"
    assert page.headers["x-content-type-options"] == "nosniff"


def test_the_token_is_required_and_checked(locked_server):
    with client_at("127.0.0.4") as client:
        url, body = f"{locked_server.url}/api/ask", {"question": TREATY}
        missing = client.post(url, json=body)
        assert_error(missing, 401, "Authorization: Bearer")
        assert missing.headers["www-authenticate"] == "Bearer"
        assert_error(client.post(url, json=body, headers={"Authorization": "Bearer wrong"}), 401, "needs a token")
        assert client.post(url, json=body, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert client.get(f"{locked_server.url}/healthz").status_code == 200, "health checks need no token"


def test_the_rate_limit_holds_per_client(locked_server):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    url, body = f"{locked_server.url}/api/ask", {"question": TREATY}
    with client_at("127.0.0.2") as greedy, client_at("127.0.0.3") as other:
        statuses = [greedy.post(url, json=body, headers=auth).status_code for _ in range(RATE_LIMIT)]
        assert statuses == [200] * RATE_LIMIT
        refused = greedy.post(url, json=body, headers=auth)
        assert_error(refused, 429, f"the limit is {RATE_LIMIT} a minute")
        assert 0 < int(refused.headers["retry-after"]) <= 60
        assert greedy.post(url, json=body).status_code == 429, "refused before the token is even checked"
        assert other.post(url, json=body, headers=auth).status_code == 200, "another client is not affected"


def test_password_guesses_on_the_page_count_against_the_rate_limit(locked_server):
    # With a token the page's password is the token: guessing it there is limited like the API.
    with client_at("127.0.0.5") as guesser:
        tries = [guesser.post(f"{locked_server.url}/login", data={"username": "x", "password": f"guess{i}"}) for i in range(RATE_LIMIT + 1)]
    assert all(t.status_code != 429 for t in tries[:RATE_LIMIT])
    assert_error(tries[-1], 429, f"the limit is {RATE_LIMIT} a minute")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--allow-origin", "http://intranet.example/wiki"], "Invalid allowed origin: 'http://intranet.example/wiki'"),
        (["--rate-limit", "-1"], "Invalid rate_limit: -1"),
    ],
)
def test_bad_server_options_stop_with_a_clear_message(served_data_dir, args, message):
    # In-process, and on a port already taken: were the option accepted, serving would fail, not hang.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = str(taken.getsockname()[1])
        result = CliRunner().invoke(cli, ["serve", "--port", port, "--data-dir", str(served_data_dir), *args])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
