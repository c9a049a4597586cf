"""citewise as a model for other clients, through their standard clients: the ``openai`` SDK against
``/v1/chat/completions`` of the real server (a scripted LLM behind it), an MCP client session
against `citewise mcp`, and the streaming ``/api/ask``. The token and the rate limit hold for all."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import httpx
import openai
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.chat.in_process import run_apart
from tests.chat.test_server import client_at
from tests.conftest import REPO
from tests.live_server import running_server
from tests.scripted_llm import mixed_reply, scripted_llm

# Starts processes (servers, the CLI, a browser, Chromium printing, a Ray cluster): `make quick` leaves it out.
pytestmark = pytest.mark.slow

TOKEN = "s3cret-llm"
RATE_LIMIT = 6
TREATY = "When was the defense treaty signed?"


@pytest.fixture(scope="module")
def llm():
    with scripted_llm(mixed_reply) as server:
        yield server


@pytest.fixture(scope="module")
def generating_server(served_data_dir, llm):
    with running_server(served_data_dir, "--llm-url", llm.url, "--llm-timeout", "30", "--token", TOKEN,
                        "--rate-limit", str(RATE_LIMIT)) as server:
        yield server


def openai_client(server, address: str, api_key: str = TOKEN) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=api_key, max_retries=0, http_client=client_at(address))


def test_the_openai_sdk_gets_the_cited_answer_and_its_citations(generating_server):
    reply = openai_client(generating_server, "127.0.0.2").chat.completions.create(
        model="citewise", messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": TREATY}]
    )
    text = reply.choices[0].message.content
    answer = reply.model_extra["citewise"]
    assert answer["mode"] == "generated" and answer["answered"]
    assert text.startswith(answer["answer"]) and "\n\nSources:\n[1] " in text
    assert "Moon" not in text and "[9]" not in text
    assert [c["n"] for c in answer["citations"]] == [1] and answer["citations"][0]["quote"] in text


def test_the_openai_sdk_streams_the_same_answer(generating_server):
    client = openai_client(generating_server, "127.0.0.3")
    chunks = list(client.chat.completions.create(model="citewise", messages=[{"role": "user", "content": TREATY}], stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    answer = chunks[-1].model_extra["citewise"]
    assert chunks[-1].choices[0].finish_reason == "stop" and answer["mode"] == "generated"
    assert text.startswith(answer["answer"]) and "Sources:" in text and "Moon" not in text


def test_an_out_of_corpus_question_through_openai_is_refused_without_the_llm(generating_server, llm):
    asked = len(llm.requests)
    reply = openai_client(generating_server, "127.0.0.4").chat.completions.create(
        model="citewise", messages=[{"role": "user", "content": "What is the capital of France?"}]
    )
    assert reply.model_extra["citewise"]["answered"] is False and "don't say" in reply.choices[0].message.content
    assert len(llm.requests) == asked


def test_the_token_and_the_rate_limit_hold_for_the_openai_route(generating_server):
    with pytest.raises(openai.AuthenticationError):
        openai_client(generating_server, "127.0.0.5", api_key="wrong").chat.completions.create(
            model="citewise", messages=[{"role": "user", "content": TREATY}])
    client = openai_client(generating_server, "127.0.0.6", api_key="wrong")
    statuses = []
    for _ in range(RATE_LIMIT + 1):
        try:
            client.chat.completions.create(model="citewise", messages=[{"role": "user", "content": TREATY}])
        except openai.APIStatusError as error:
            statuses.append(error.status_code)
    assert statuses == [401] * RATE_LIMIT + [429]


def test_api_ask_streams_draft_then_checked_sentences_then_the_answer(generating_server):
    events = []
    with client_at("127.0.0.7") as client, client.stream(
        "POST", f"{generating_server.url}/api/ask", json={"question": TREATY, "stream": True},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        name = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[len("data: "):])))
    names = [n for n, _ in events]
    assert names[0] == "token" and names[-1] == "answer" and names.count("sentence") == 1
    assert names.index("sentence") < len(names) - 1
    answer = events[-1][1]
    assert answer["mode"] == "generated" and answer["answer"] == events[names.index("sentence")][1]["sentence"]


def test_api_ask_stream_refuses_a_bad_question_before_streaming(generating_server):
    response = client_at("127.0.0.8").post(f"{generating_server.url}/api/ask", json={"question": " ", "stream": True},
                                           headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 422 and response.json()["ok"] is False


def test_an_mcp_client_session_asks_and_searches_and_meets_the_rate_limit(served_data_dir):
    environment = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "CITEWISE_RATE_LIMIT": "2"}
    parameters = StdioServerParameters(command=sys.executable, args=["-m", "chat", "mcp", "--data-dir", str(served_data_dir)],
                                       env=environment, cwd=str(served_data_dir.parent))

    async def session() -> tuple:
        async with stdio_client(parameters) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            tools = {tool.name for tool in (await client.list_tools()).tools}
            wait = 120.0
            asked = await client.call_tool("ask", {"question": TREATY}, read_timeout_seconds=wait)
            found = await client.call_tool("search", {"query": "annual joint military drill", "k": 3}, read_timeout_seconds=wait)
            limited = await client.call_tool("ask", {"question": TREATY}, read_timeout_seconds=wait)
            return tools, asked, found, limited

    tools, asked, found, limited = run_apart(asyncio.wait_for(session(), 240))
    assert {"ask", "search"} <= tools
    answer = json.loads(asked.content[0].text)  # what an MCP client reads: the tool's JSON as text
    assert not asked.is_error and answer["answered"] and answer["mode"] == "extractive" and answer["citations"]
    hits = [json.loads(item.text) for item in found.content]
    assert len(hits) == 3 and any("Keen Sword" in hit["text"] for hit in hits)
    assert limited.is_error and "Too many requests" in limited.content[0].text


def test_the_models_list_names_citewise(generating_server):
    models = httpx.get(f"{generating_server.url}/v1/models").json()
    assert [m["id"] for m in models["data"]] == ["citewise"]


def test_the_page_shows_the_draft_then_the_checked_answer(generating_server):
    from gradio_client import Client

    client = Client(generating_server.url, auth=("anyone", TOKEN), verbose=False, download_files=False, analytics_enabled=False)
    job = client.submit(TREATY, api_name="/chat")
    final_message, panel = job.result(timeout=120)
    shown = [output[0] for output in job.outputs()]
    assert any("cw-draft" in message for message in shown[:-1])  # the model's words, dimmed, while it writes
    assert "Moon" in " ".join(shown) and "Moon" not in final_message  # the unsupported draft never stays
    assert "cw-sources" in final_message and "cw-panel" in panel
