"""The chat page: asked through the official gradio_client on the real server, and its parts."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AuthenticationError
from markdown_it import MarkdownIt

from chat.answer import Answer, Citation
from chat.feedback import FeedbackLog, ShownAnswers
from chat.render import answer_id_of, render_answer
from chat.settings import Settings
from chat.ui import (
    STATIC,
    VoteError,
    _notice,
    build_ui,
    conversation,
    example_questions,
    in_a_sentence,
    message_text,
    proper_names,
    record_vote,
    show_questions_as_text,
)
from tests.chat.conftest import HOSTILE_QUESTION, PAYLOADS, TOKEN
from tests.chat.test_guard import StubEngine


@pytest.fixture(scope="module")
def page_client(open_server) -> Client:
    return Client(open_server.url, verbose=False, download_files=False, analytics_enabled=False)


@pytest.mark.slow  # a live server
def test_gradio_client_gets_a_cited_answer_and_its_sources(page_client):
    message, panel = page_client.predict("When was the defense treaty signed?", api_name="/chat")
    assert "1960" in message
    links = re.findall(r'<a class="cw-cite" href="#(cw-[\w-]+)"', message)
    assert links, "every [n] is a link"
    assert all(f'id="{target}"' in message for target in links), "each link opens a source of this answer"
    assert "<mark>" in panel and "japan-us-alliance.txt" in panel


@pytest.mark.slow  # a live server
def test_document_markup_on_the_page_is_text(page_client):
    message, panel = page_client.predict(HOSTILE_QUESTION, api_name="/chat")
    assert "Quince Orchard" in message
    for payload in PAYLOADS:
        escaped = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        assert escaped in message + panel
    assert "<script" not in message + panel and "<img" not in message + panel


@pytest.mark.slow  # a live server
def test_a_question_over_the_limit_is_refused_with_the_limit_before_gradio_queues_it(page_client, open_server):
    # The page's own text box stops at the limit (max_length); any other client gets a 413 that says it.
    with pytest.raises(httpx.HTTPStatusError) as refused:
        page_client.predict("x" * 1001, api_name="/chat")
    assert refused.value.response.status_code == 413 and "the limit is 1000" in refused.value.response.text


@pytest.mark.slow  # a live server
def test_the_page_asks_for_the_token_when_one_is_set(locked_server):
    options = {"verbose": False, "download_files": False, "analytics_enabled": False}
    with pytest.raises(AuthenticationError):
        Client(locked_server.url, **options)
    with pytest.raises(ValueError, match="Could not login"):
        Client(locked_server.url, auth=("anyone", "wrong"), **options)
    client = Client(locked_server.url, auth=("anyone", TOKEN), **options)
    message, _panel = client.predict("When was the defense treaty signed?", api_name="/chat")
    assert "1960" in message


@pytest.mark.slow  # a live server
def test_nothing_on_the_page_loads_from_the_internet(open_server):
    page = httpx.get(f"{open_server.url}/").text
    loaded = re.findall(r'<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)="([^"]+)"', page)
    assert loaded, "the page loads its own assets"
    assert [url for url in loaded if re.match(r"(https?:)?//", url)] == []
    config = httpx.get(f"{open_server.url}/config").json()
    assert config.get("stylesheets", []) == []
    theme = httpx.get(f"{open_server.url}/theme.css").text
    assert "googleapis" not in theme and not re.search(r"url\(['\"]?(https?:)?//", theme)


def test_examples_come_from_the_section_headings(article_engine, settings_for, tmp_path):
    examples = example_questions(article_engine, settings_for(tmp_path))
    sections = {p.section.lower() for p in article_engine.index.paragraphs if p.section}
    assert 1 <= len(examples) <= 4
    assert all(any(section in example.lower() for section in sections) for example in examples)
    assert example_questions(article_engine, settings_for(tmp_path, examples=["Why?"])) == ["Why?"]


def test_examples_read_like_a_sentence_with_the_names_kept(article_engine, settings_for, tmp_path):
    examples = example_questions(article_engine, settings_for(tmp_path))
    assert examples[0] == "What do the documents say about the depth of the Japan-US strategic partnership?"
    assert "What do the documents say about Japan’s key role in the US-Japan security alliance?" in examples


def test_a_heading_word_is_a_name_if_the_documents_capitalise_it_inside_sentences():
    @dataclass
    class Paragraph:
        text: str
        section: str | None = "The Role of Kyoto Trade in Tokyo"
        doc_id: str = "d.txt"
        doc_title: str = "D"

    paragraphs = [
        Paragraph("Trade grew. Most trade went through Kyoto, and the role of Tokyo grew."),
        Paragraph("In Kyoto the NATO envoy met traders: Role models said so."),
    ]
    words = {"the", "role", "of", "kyoto", "trade", "in", "tokyo"}
    # "Trade" and "Role" are capitalised only where a sentence starts; Kyoto and Tokyo inside one.
    assert proper_names(words, paragraphs) == {"kyoto", "tokyo"}
    assert in_a_sentence("The Role of Kyoto Trade in Tokyo", {"kyoto", "tokyo"}) == "the role of Kyoto trade in Tokyo"
    assert in_a_sentence("NATO and the Japan-US Alliance", set()) == "NATO and the Japan-US alliance"
    engine = StubEngine()
    engine.index.paragraphs = paragraphs
    assert example_questions(engine, Settings()) == ["What do the documents say about the role of Kyoto trade in Tokyo?"]


def test_a_notice_in_the_chat_is_not_offered_votes_or_retry_like_an_answer():
    # Gradio shows thumbs, retry and copy on every bot message; the page's CSS hides them on a
    # notice (tests/browser/test_page.py checks it in a browser), and a vote on one is refused.
    css = (STATIC / "page.css").read_text(encoding="utf-8")
    assert "#cw-chat .message-row:has(.cw-notice) .message-buttons" in css
    notice = _notice("The question is over the limit of 1000 characters.")
    assert 'class="cw-answer cw-notice"' in notice and answer_id_of(notice) is None
    with pytest.raises(VoteError):
        record_vote(FeedbackLog(Path("unused.jsonl")), ShownAnswers(), {"role": "assistant", "content": notice}, True)


def test_page_history_becomes_plain_engine_turns():
    history = [
        {"role": "user", "content": [{"type": "text", "text": "When was it signed?"}]},
        {"role": "assistant", "content": '<div class="cw-answer"><p>In 1960 &amp; later. <a href="#x">1</a></p></div>'},
        {"role": "system", "content": "ignored"},
    ]
    assert conversation(history) == [
        {"role": "user", "content": "When was it signed?"},
        {"role": "assistant", "content": "In 1960 & later. 1"},
    ]
    assert message_text("a < b") == "a < b"


def a_shown_answer(question: str) -> Answer:
    citation = Citation(1, "doc.txt", 3, "Intro", "A paragraph. It says so.", "It says so.", 0.8, spans=((13, 24),))
    return Answer(question, "It says so. [1]", True, [citation], index_version="v0007")


def test_a_vote_logs_the_answer_the_page_showed(tmp_path):
    log, shown = FeedbackLog(tmp_path / "votes" / "feedback.jsonl"), ShownAnswers()
    # What the page showed under this id is what gets logged, not an answer computed anew
    # (a swapped-in index could answer differently).
    showed = a_shown_answer("When was the defense treaty signed?")
    shown.remember("0a1b2c3d4e", showed)
    liked = [{"type": "text", "text": render_answer(showed, "0a1b2c3d4e")}]  # Gradio's LikeData.value
    record = record_vote(log, shown, liked, liked=False)
    assert record["rating"] == "down" and record["question"] == showed.question
    assert record["answer"] == showed.answer and record["citations"] == showed.to_dict()["citations"]
    assert record["index_version"] == "v0007"


@pytest.mark.parametrize(
    "message",
    [
        '<div class="cw-answer" id="cw-ffffffffff">an answer id never handed out</div>',
        "a question, not an answer",
        [{"type": "text", "text": "x" * 100_000}],
        None,
    ],
)
def test_a_vote_on_an_answer_never_shown_is_refused_and_nothing_is_asked(tmp_path, message):
    # Issue 14, point 3: any message index used to make the server ask the last question again.
    log, shown = FeedbackLog(tmp_path / "feedback.jsonl"), ShownAnswers()
    shown.remember("0a1b2c3d4e", a_shown_answer("Shown?"))
    with pytest.raises(VoteError, match="ask again to vote"):
        record_vote(log, shown, message, liked=True)
    assert not log.path.exists()


def test_the_page_sends_no_history_with_a_vote():
    # A vote event carried the whole chat (200,000 turns cost seconds of CPU); now it carries the liked message only.
    page = build_ui(StubEngine(), Settings(examples=["Why?"]), FeedbackLog(Path("unused.jsonl")))
    likes = [d for d in page.config["dependencies"] if any(t[1] == "like" for t in d["targets"])]
    assert likes and all(d["inputs"] == [] for d in likes)


@pytest.mark.slow  # a live server
def test_the_page_accepts_no_uploads(open_server):
    # Gradio's upload route is open to anyone; the page takes no files, so it takes none.
    response = httpx.post(f"{open_server.url}/gradio_api/upload", files={"files": ("a.txt", b"hello")})
    assert response.status_code == 413


def test_typed_markup_shows_as_text_however_often_the_history_is_shown():
    chat = show_questions_as_text(gr.Chatbot(render=False))
    question = '<img src=x onerror="alert(1)"> & <b>why</b>?'
    shown = chat.postprocess([{"role": "user", "content": question}, {"role": "assistant", "content": "<div>ok</div>"}])
    again = chat.postprocess([message.model_dump() for message in shown.root])
    for value in (shown, again):
        user, assistant = value.root
        assert "<" not in user.content[0].text and html.unescape(user.content[0].text) == question
        assert assistant.content[0].text == "<div>ok</div>", "our answers are HTML already"
    assert message_text(again.root[0].model_dump()["content"]) == question


PIXEL = "![x](http://host/pixel.png)"


def as_markdown(text: str) -> str:
    """What a CommonMark renderer (as Gradio's chat bubbles are) makes of ``text``; raw HTML allowed, like Gradio."""
    return MarkdownIt("commonmark", {"html": True}).render(text)


def test_markdown_typed_as_a_question_shows_as_text():
    # Issue 14, point 7: a typed question holding an image link loaded the image in the bubble.
    chat = show_questions_as_text(gr.Chatbot(render=False))
    for question in (PIXEL, "**bold** [link](http://x.example) `code` www.x.example <b>b</b> # heading"):
        shown = chat.postprocess([{"role": "user", "content": question}])
        again = chat.postprocess([message.model_dump() for message in shown.root])
        for value in (shown, again):
            text = value.root[0].content[0].text
            rendered = as_markdown(text)
            assert not re.search(r"<(img|a|strong|code|b|h1)\b", rendered), rendered
            assert html.unescape(re.sub(r"</?p>", "", rendered)).strip() == question
        assert message_text(again.root[0].model_dump()["content"]) == question


def test_an_example_question_from_a_markdown_heading_stays_text_when_clicked():
    engine = StubEngine(sections=[f"Harbour rules {PIXEL} today"])
    (example,) = example_questions(engine, Settings())
    assert PIXEL in example, "the example shows the heading as it is (Gradio shows examples as plain text)"
    chat = show_questions_as_text(gr.Chatbot(render=False))
    bubble = chat.postprocess([{"role": "user", "content": example}]).root[0].content[0].text  # the click, as Gradio does it
    assert "<img" not in as_markdown(bubble) and PIXEL in html.unescape(as_markdown(bubble))


def test_markdown_in_document_text_stays_text_in_an_answer():
    citation = Citation(1, "doc.txt", 3, f"Rules {PIXEL}", f"It says {PIXEL} so.", "It says", 0.8, spans=((0, 7),))
    answer = Answer("Why?", f"It says {PIXEL} so. [1]", True, [citation])
    rendered = as_markdown(render_answer(answer, "0a1b2c3d4e"))
    assert "<img" not in rendered and PIXEL in html.unescape(rendered)
