"""The one request guard in front of every route (Gradio's included), in-process.

The app is the real ``create_app`` with the real Gradio page, over a stub engine (no model,
no index), driven through httpx's ASGI transport: the attacks of issue 14 points 2, 5, 6 and
9, each a request that got through before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import httpx
import pytest

from chat.answer import Answer, Citation
from chat.engine import check_question
from chat.errors import QuestionError
from chat.history import Turn, check_history
from chat.server import uvicorn_options
from chat.settings import Settings
from tests.chat import in_process
from tests.chat.in_process import call, run_apart

TOKEN = "s3cret"


@dataclass
class StubParagraph:
    doc_id: str
    section: str | None
    doc_title: str = "Stub"


@dataclass
class StubIndex:
    paragraphs: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.paragraphs)


class StubEngine:
    """Answers every question the same way, after the engine's own input checks."""

    def __init__(self, sections: list[str] | None = None) -> None:
        self.index = StubIndex([StubParagraph("stub.txt", s) for s in sections or ["One two three"]])
        self.asked: list[tuple[str, list]] = []

    def ask(self, question, history=None) -> Answer:
        question = check_question(question, 1000)
        turns = check_history(history)
        self.asked.append((question, turns))
        if question == "crash":
            raise RuntimeError("a bug")
        citation = Citation(1, "stub.txt", 1, None, "It is so. Really.", "It is so.", 0.9, spans=((0, 9),))
        return Answer(question, "It is so. [1]", True, [citation], index_version="v0001")


def app_for(engine=None, **settings):
    return in_process.app_for(engine or StubEngine(), **settings)


def assert_refused(response: httpx.Response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is False and body["status"] == status and message in body["error"], body


class Counting:
    """An ASGI receive that counts what the app reads of a body sent in chunks."""

    def __init__(self, chunks: int, size: int) -> None:
        self.left, self.size, self.sent = chunks, size, 0

    async def __call__(self):
        if self.left == 0:
            return {"type": "http.disconnect"}
        self.left -= 1
        self.sent += self.size
        return {"type": "http.request", "body": b"x" * self.size, "more_body": self.left > 0}


def raw_call(app, path: str, headers: list[tuple[bytes, bytes]], receive) -> list[dict]:
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"127.0.0.1:7860"), *headers], "client": ("127.0.0.1", 5), "server": ("127.0.0.1", 7860),
    }
    run_apart(app(scope, receive, send))
    return sent


# Point 2: Gradio's routes are behind the same caps as the API.

PAGE_POSTS = ["/gradio_api/queue/join", "/gradio_api/call/v2/chat", "/gradio_api/call/chat", "/gradio_api/run/predict", "/login"]


@pytest.mark.parametrize("path", PAGE_POSTS)
def test_an_oversized_body_to_a_page_route_is_refused_before_it_is_read(path):
    app = app_for(max_page_request_kb=64)
    big = b'{"data": ["' + b"x" * 200_000 + b'"]}'
    assert_refused(call(app, "POST", path, content=big, headers={"Content-Type": "application/json"}), 413, "64 KiB")


def test_a_chunked_body_is_counted_as_it_arrives_and_cut_off_at_the_cap():
    app = app_for(max_page_request_kb=64)
    receive = Counting(chunks=1000, size=16 * 1024)  # 16 MB offered, no Content-Length
    sent = raw_call(app, "/gradio_api/queue/join", [(b"transfer-encoding", b"chunked")], receive)
    assert sent[0]["status"] == 413
    assert receive.sent <= 64 * 1024 + 16 * 1024, "reading stops at the cap"


def test_the_api_keeps_its_own_smaller_cap():
    app = app_for(max_request_kb=1, max_page_request_kb=64)
    body = json.dumps({"question": "Why?", "history": [{"role": "user", "content": "x" * 2000}]})
    assert_refused(call(app, "POST", "/api/ask", content=body, headers={"Content-Type": "application/json"}), 413, "1 KiB")


@pytest.mark.parametrize("path", ["/gradio_api/queue/join", "/gradio_api/call/v2/chat", "/gradio_api/upload", "/api/ask"])
def test_with_a_token_the_page_routes_refuse_before_reading_the_body(path):
    app = app_for(token=TOKEN)
    # A body over the cap, and no token: the 401 comes first, so nothing was read.
    response = call(app, "POST", path, content=b"{" * 2_000_000, headers={"Content-Type": "application/json"})
    assert_refused(response, 401, "token")


def test_the_page_routes_take_a_signed_in_page_session():
    app = app_for(token=TOKEN)
    body = {"message": "When?"}
    wrong = call(app, "POST", "/gradio_api/call/v2/chat", json=body, headers={"Authorization": "Bearer nope"})
    assert_refused(wrong, 401, "sign in")
    login = call(app, "POST", "/login", data={"username": "any", "password": TOKEN})
    assert login.status_code == 200, login.text
    cookies = "; ".join(f"{name}={value}" for name, value in login.cookies.items())
    signed_in = call(app, "POST", "/gradio_api/call/v2/chat", json=body, headers={"Cookie": cookies})
    assert signed_in.status_code != 401, signed_in.text
    forged = call(app, "POST", "/gradio_api/call/v2/chat", json=body, headers={"Cookie": cookies.replace("=", "=x")})
    assert forged.status_code == 401


@pytest.mark.parametrize("path", ["/gradio_api/queue/join", "/gradio_api/call/v2/chat", "/login", "/api/ask"])
def test_the_rate_limit_counts_page_events_before_gradio_queues_them(path):
    app = app_for(rate_limit=3)
    statuses = [call(app, "POST", path, client="10.1.1.1", json={"data": []}).status_code for _ in range(4)]
    assert 429 not in statuses[:3] and statuses[3] == 429
    assert call(app, "POST", path, client="10.1.1.2", json={"data": []}).status_code != 429, "another client is not affected"


def page_event(app, name: str) -> int:
    """The fn_index of the page's event whose function is called ``name``."""
    blocks = next(route.app.get_blocks() for route in app.routes if hasattr(getattr(route, "app", None), "get_blocks"))
    return next(fn_id for fn_id, fn in blocks.fns.items() if getattr(fn.fn, "__name__", "") == name)


def test_a_page_question_counts_once_and_its_cheap_steps_in_their_own_budget(tmp_path):
    # Gradio chains cheap steps after an answer ("enable the text box"): were they counted as
    # requests, a question would count several times, and a refused step would leave the page's
    # text box disabled. Uncounted, a flood of them filled Gradio's session memory (issue 14, point 2).
    app = app_for(rate_limit=2, data_dir=str(tmp_path))
    answer = {"data": ["Why?", []], "fn_index": page_event(app, "_submit_fn"), "session_hash": "s1"}
    cheap = {"data": [], "fn_index": page_event(app, "<lambda>"), "session_hash": "s1"}
    statuses = []
    for _ in range(3):
        statuses.append(call(app, "POST", "/gradio_api/queue/join", client="10.2.2.2", json=answer).status_code)
        assert call(app, "POST", "/gradio_api/queue/join", client="10.2.2.2", json=cheap).status_code != 429
    assert statuses[:2] != [429, 429] and statuses[2] == 429, statuses
    steps = [call(app, "POST", "/gradio_api/queue/join", client="10.2.2.3", json=cheap).status_code for _ in range(21)]
    assert 429 not in steps[:20] and steps[20] == 429, "cheap steps get ten times the limit, then 429"


@pytest.mark.parametrize("route", ["queue/join", "call/chat", "call/v2/chat"])
def test_a_page_message_longer_than_a_question_is_refused_before_gradio_keeps_it(route):
    # 1,500 page calls of 200 KB messages grew the server by 1.3 GB: Gradio keeps what a text box
    # sends in its session state, and clearing the text box is a cheap step, never answered.
    app = app_for(max_question_chars=1000)
    message = "x" * 1001
    if route == "queue/join":
        body = {"data": [message], "fn_index": page_event(app, "_clear_and_save_textbox"), "session_hash": "s1"}
    elif route == "call/chat":
        body = {"data": [message, []]}
    else:
        body = {"message": message}
    assert_refused(call(app, "POST", f"/gradio_api/{route}", json=body), 413, "the limit is 1000")
    body_at_limit = json.loads(json.dumps(body).replace(message, message[:-1]))
    assert call(app, "POST", f"/gradio_api/{route}", json=body_at_limit).status_code == 200


def test_the_page_keeps_the_state_of_at_most_page_sessions_sessions():
    app = app_for(page_sessions=3)
    clear = page_event(app, "_clear_and_save_textbox")
    for session in range(6):
        body = {"data": ["Why?"], "fn_index": clear, "session_hash": f"s{session}"}
        assert call(app, "POST", "/gradio_api/queue/join", json=body).status_code == 200
    holder = next(route.app.state_holder for route in app.routes if hasattr(getattr(route, "app", None), "state_holder"))
    assert holder.capacity == 3 and len(holder.session_data) <= 3


def test_the_answer_function_cannot_be_called_around_the_queue():
    # Gradio's default (api_open) runs a queued function directly at /gradio_api/run/<name>, uncounted.
    response = call(app_for(), "POST", "/gradio_api/run/chat", json={"data": ["When?", []]})
    assert response.status_code == 404, response.text


# Point 5: X-Forwarded-For is believed only from proxies the operator names.


def test_forwarded_for_from_an_untrusted_peer_does_not_change_the_client():
    app = app_for(rate_limit=2)
    statuses = [
        call(app, "POST", "/api/ask", client="127.0.0.1", json={"question": "Why?"},
             headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 429], "each forged address was still the same loopback client"


def test_a_trusted_proxy_names_the_client_and_only_its_own_hop_counts():
    app = app_for(rate_limit=2, trusted_proxies=["10.0.0.2"])
    ask = {"json": {"question": "Why?"}, "client": "10.0.0.2"}
    alice = [call(app, "POST", "/api/ask", headers={"X-Forwarded-For": "198.51.100.7"}, **ask).status_code for _ in range(3)]
    assert alice == [200, 200, 429]
    assert call(app, "POST", "/api/ask", headers={"X-Forwarded-For": "198.51.100.8"}, **ask).status_code == 200
    # A client forging a hop in front of its own: the proxy appends the real one, which is what counts.
    forged = call(app, "POST", "/api/ask", headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.7"}, **ask)
    assert forged.status_code == 429


def test_uvicorn_does_not_trust_forwarded_headers_itself():
    options = uvicorn_options(Settings())
    assert options["proxy_headers"] is False


# Point 6: DNS rebinding.


@pytest.mark.parametrize("path, method", [("/", "GET"), ("/api/ask", "POST"), ("/gradio_api/queue/join", "POST"), ("/healthz", "GET")])
def test_a_request_for_another_host_name_is_refused(path, method):
    app = app_for()
    response = call(app, method, path, url="http://rebind.evil.com:7860", json={"question": "Why?"},
                    headers={"Origin": "http://rebind.evil.com:7860"})
    assert_refused(response, 400, "--allow-host rebind.evil.com")


@pytest.mark.parametrize("url", ["http://localhost:7860", "http://127.0.0.1:7860", "http://[::1]:7860", "http://192.168.1.9:7860"])
def test_loopback_names_and_addresses_are_served(url):
    assert call(app_for(), "POST", "/api/ask", url=url, json={"question": "Why?"}).status_code == 200


def test_the_bind_host_and_allowed_hosts_are_served():
    app = app_for(host="chat.internal", allow_hosts=["chat.example"])
    for url in ("http://chat.internal:7860", "http://CHAT.example."):
        assert call(app, "POST", "/api/ask", url=url, json={"question": "Why?"}).status_code == 200
    assert call(app, "POST", "/api/ask", url="http://other.example", json={"question": "Why?"}).status_code == 400


# Point 9: clear errors for odd input.


@pytest.mark.parametrize(
    "body, message",
    [
        ('{"question": "\\ud800"}', "lone surrogate"),
        ('{"question": "Why?", "history": [{"role": "user", "content": "a\\udfffb"}]}', "history turn 1"),
        ('{"question": "\\u200b\\u200d\\ufeff\\u2060"}', "The question is empty"),
        ('{"question": ', "not valid JSON"),
        (b'{"question": "\xff"}', "not valid JSON"),  # not UTF-8: FastAPI's own 400
    ],
)
def test_odd_input_gets_a_clear_422(body, message):
    response = call(app_for(), "POST", "/api/ask", content=body, headers={"Content-Type": "application/json"})
    assert_refused(response, 422, message)


def test_an_unexpected_error_is_json_not_a_plain_text_trace():
    response = call(app_for(), "POST", "/api/ask", json={"question": "crash"})
    assert_refused(response, 500, "the error is in its log")


def test_a_non_ascii_token_works_as_utf8():
    app = app_for(token="clé-秘密")
    good = call(app, "POST", "/api/ask", json={"question": "Why?"}, headers={"Authorization": "Bearer clé-秘密".encode()})
    assert good.status_code == 200, good.text
    latin1 = call(app, "POST", "/api/ask", json={"question": "Why?"}, headers={"Authorization": "Bearer clé".encode("latin-1")})
    assert latin1.status_code == 401


def test_the_api_reference_loads_nothing_from_elsewhere():
    app = app_for()
    page = call(app, "GET", "/docs")
    assert page.status_code == 200 and "/api/ask" in page.text
    assert "cdn" not in page.text.lower() and "<script" not in page.text and "http" not in page.text.replace('href="/openapi.json"', "")
    assert call(app, "GET", "/redoc").status_code != 200 or "cdn" not in call(app, "GET", "/redoc").text
    assert "/api/ask" in call(app, "GET", "/openapi.json").json()["paths"]


def test_history_is_cut_to_its_last_turns_and_each_turn_to_a_bound():
    turns = [{"role": "user", "content": f"q{i}"} for i in range(200_000)] + [{"role": "user", "content": "y" * 100_000}]
    kept = check_history(turns)
    assert len(kept) == 20 and kept[-2].content == "q199999" and len(kept[-1].content) == 4000


def test_history_is_checked_once_where_it_enters():
    # Turns the API parsed are taken as they are; plain dicts (the library, MCP, the page) are checked
    # against the same model, a malformed or unreadable one refused with the turn's number.
    parsed = [Turn(role="user", content="What is the treaty?")]
    assert check_history(parsed)[0] is parsed[0]
    with pytest.raises(QuestionError, match="history turn 2 is malformed: each turn needs"):
        check_history([{"role": "user", "content": "a"}, {"role": "system", "content": "b"}])
    with pytest.raises(QuestionError, match="history turn 1 is malformed: its content holds a lone surrogate"):
        check_history([{"role": "user", "content": "\ud800"}])
    app = app_for()
    surrogate = '{"question": "Why?", "history": [{"role": "user", "content": "\\ud800"}]}'
    assert_refused(call(app, "POST", "/api/ask", content=surrogate, headers={"Content-Type": "application/json"}), 422, "lone surrogate")
