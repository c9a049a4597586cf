"""The chat page (Gradio): streamed cited answers, clickable sources, example questions, votes.

Everything the page loads comes from this server: a theme with system font stacks (no
web fonts), our CSS and a small script inlined in the page head.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import re
import uuid
from collections import Counter
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from chat.engine import Engine, check_length
from chat.errors import QuestionError
from chat.generation import Checked, Token
from chat.feedback import FeedbackLog, ShownAnswers
from chat.render import answer_id_of, escape, escape_text, render_answer, render_draft, render_panel, sentence_count
from chat.security import token_matches
from chat.settings import Settings

STATIC = Path(__file__).parent / "static"
_SANS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
_MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
_EXAMPLES = 4
_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_POSSESSIVE = re.compile(r"['’]s$")
# Paragraphs read to tell names from capitalised common words in example headings (a bound for 1M paragraphs).
_NAME_EVIDENCE_PARAGRAPHS = 5000
# Earlier turns the engine is given: a follow-up reads only the previous question, so a
# longer chat costs nothing more (the request size cap bounds what Gradio itself parses).
HISTORY_TURNS = 20


def message_text(content: object) -> str:
    """The plain text of a chat message as the page holds it (a string, or a list of text parts).

    Answers are our HTML and questions are shown escaped (``show_questions_as_text``): both are
    turned back into the text the engine reads.
    """
    if isinstance(content, list):
        return " ".join(message_text(part) for part in content)
    if isinstance(content, dict):
        content = content.get("text", "")
    if not isinstance(content, str):
        return ""
    text = content
    if "<" in text:
        text = " ".join(_TAG.sub(" ", text).split())
    return html.unescape(text)


def _as_text(text: str) -> str:
    # Unescape first, so a question shown again (the whole history is re-sent) is not escaped twice.
    # escape_text makes every punctuation mark an entity: neither HTML nor Markdown
    # (``![x](http://...)``, ``**``, autolinks) can form out of what someone typed.
    return escape_text(html.unescape(text))


def _question_as_text(message: object) -> object:
    if not isinstance(message, dict) or message.get("role") != "user":
        return message
    content = message.get("content")
    if isinstance(content, str):
        return {**message, "content": _as_text(content)}
    if isinstance(content, list):
        parts = [{**p, "text": _as_text(p["text"])} if isinstance(p, dict) and p.get("type") == "text" else p for p in content]
        return {**message, "content": parts}
    return message


def show_questions_as_text(chatbot: gr.Chatbot) -> gr.Chatbot:
    """Make ``chatbot`` show what people type as text: a question holding ``<img onerror=...>``
    or Markdown such as ``![x](http://host/pixel.png)`` shows those characters (Gradio's
    sanitizer alone would silently drop the first and render the second). Example questions
    made from section headings become such user messages when clicked.

    Wraps this one instance's ``postprocess`` rather than subclassing: Gradio writes a
    ``.pyi`` stub next to the module of every Component subclass it sees.
    """
    show = chatbot.postprocess

    def postprocess(value):
        return show([_question_as_text(m) for m in value] if value else value)

    chatbot.postprocess = postprocess
    return chatbot


def conversation(history: list[dict]) -> list[dict]:
    """The page's chat history as the engine's ``[{"role", "content"}]`` turns, as plain text:
    its last ``HISTORY_TURNS`` turns, all a follow-up needs."""
    turns = [turn for turn in history if isinstance(turn, dict) and turn.get("role") in ("user", "assistant")]
    return [{"role": turn["role"], "content": message_text(turn.get("content"))} for turn in turns[-HISTORY_TURNS:]]


def example_questions(engine: Engine, settings: Settings) -> list[str]:
    """``settings.examples``, else a question about each of the first section headings."""
    if settings.examples:
        return list(settings.examples)
    # A dict keeps first-seen order with set-speed membership; stop at the few needed (1M paragraphs).
    sections: dict[str, None] = {}
    for paragraph in engine.index.paragraphs:
        section = paragraph.section
        if section and len(section.split()) >= 3:
            sections.setdefault(section)
            if len(sections) == _EXAMPLES:
                break
    proper = proper_names({_base(w) for s in sections for w in _WORD.findall(s)}, engine.index.paragraphs)
    return [f"What do the documents say about {in_a_sentence(section, proper)}?" for section in sections]


def _base(word: str) -> str:
    return _POSSESSIVE.sub("", word).lower()


def proper_names(words: set[str], paragraphs) -> set[str]:
    """Those of ``words`` (lower case) that the documents write capitalised inside a sentence more
    often than not: names ("Japan", "Tokyo"), not common words a Title Case heading capitalised.
    A word after a sentence's end, a colon or an opening quote says nothing and is not counted.
    """
    capitalised: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    for paragraph in itertools.islice(paragraphs, _NAME_EVIDENCE_PARAGRAPHS):
        text = getattr(paragraph, "text", "") or ""
        for match in _WORD.finditer(text):
            word = _base(match.group())
            if word not in words:
                continue
            i = match.start() - 1
            while i >= 0 and text[i].isspace():
                i -= 1
            if i < 0 or text[i] in ".!?:;\"“‘([":
                continue
            (capitalised if match.group()[0].isupper() else lower)[word] += 1
    return {word for word in words if capitalised[word] > lower[word]}


def in_a_sentence(heading: str, proper: set[str]) -> str:
    """``heading`` as it reads inside a question: "The Depth of the Japan-US Strategic Partnership"
    becomes "the depth of the Japan-US strategic partnership". A word keeps its capitals if it has
    one past its first letter (US, Japan-US, iPhone) or is one of the ``proper`` names."""

    def word(match: re.Match) -> str:
        text = match.group()
        if any(c.isupper() for c in text[1:]) or _base(text) in proper:
            return text
        return text.lower()

    return _WORD.sub(word, heading)


def describe_corpus(engine: Engine, settings: Settings) -> str:
    """The line under the title: ``settings.page_description``, else what the index holds."""
    if settings.page_description:
        return settings.page_description
    index = engine.index
    titles = sorted({paragraph.doc_title or paragraph.doc_id for paragraph in index.paragraphs})
    about = "“" + "”, “".join(titles) + "”" if len(titles) <= 3 else f"{len(titles)} documents"
    return (
        f"Ask about {about} ({len(index)} paragraphs). Every sentence of an answer links to the paragraph "
        "it comes from; when the documents don't say, you are told so instead of a guess."
    )


def page_options(settings: Settings) -> dict:
    """What ``gr.mount_gradio_app`` needs to show the page: theme, CSS, script, login."""
    options = {
        "theme": gr.themes.Base(primary_hue="indigo", neutral_hue="slate", font=_SANS, font_mono=_MONO),
        "css_paths": [STATIC / "page.css"],
        "head": f"<script>{(STATIC / 'page.js').read_text(encoding='utf-8')}</script>",
        "footer_links": [],
        "run_history": False,
        # The page takes no files, so Gradio's upload route (open to anyone) accepts none.
        "max_file_size": 0,
        "show_error": True,
    }
    if settings.token:
        # Deny by default: the page's own API answers questions too, so it asks for the same token.
        options["auth"] = lambda _user, password: token_matches(password, settings.token)
        options["auth_message"] = "This chat needs the access token: enter it as the password (any user name)."
    return options


class VoteError(Exception):
    """A vote on something that is not an answer this server showed (or no longer remembers)."""


def record_vote(feedback: FeedbackLog, shown: ShownAnswers, message: object, liked: bool) -> dict:
    """Save a vote on the answer shown as ``message`` with its question, text and citations.

    The answer is the one the page showed, found by the id the server gave it, with the
    index version that produced it. Nothing is asked again and nothing else the page sends
    is read: a vote costs the same whatever the chat holds.

    Raises:
        VoteError: ``message`` carries no answer id this server handed out and still remembers.
    """
    content = message_text_raw(message)
    answer_id = answer_id_of(content) if content else None
    answer = shown.get(answer_id) if answer_id else None
    if answer is None:
        raise VoteError("This answer can no longer be voted on (the server restarted or it is too old): ask again to vote.")
    return feedback.record(answer, liked)


def message_text_raw(content: object) -> str:
    """The markup of a chat message as the page holds it (a string, or a list of text parts)."""
    if isinstance(content, list):
        return "".join(message_text_raw(part) for part in content[:8])
    if isinstance(content, dict):
        return message_text_raw(content.get("text", content.get("content", "")))
    return content if isinstance(content, str) else ""


def _notice(message: str) -> str:
    return f'<div class="cw-answer cw-notice"><p class="cw-text">{escape(message)}</p></div>'


# What Gradio calls the functions behind the page's answer (ChatInterface wraps ``respond``) and vote.
_WORKING_FUNCTIONS = frozenset({"_submit_fn", "_stream_fn", "vote"})


class PageEvents:
    """What a body sent to the page's queue (``queue/join``) or its ``call/`` routes asks for.

    An event either does work (answers or votes: counted like a question) or is a cheap step
    Gradio chains around it (clear the text box, save the chat: counted in a larger budget).
    Either way a string the page sends as an input is what was typed into the text box (the
    chat itself and the example picked come as lists and numbers), so one over
    ``max_question_chars`` is refused before Gradio queues the event or keeps it in its
    session state: a flood of big messages never reaches memory.

    Args:
        page: The built page, whose events (``page.fns``) are looked up by index or API name.
        max_question_chars: The longest question accepted.
    """

    def __init__(self, page: gr.Blocks, max_question_chars: int) -> None:
        self.max_question_chars = max_question_chars
        self.events = set(page.fns)
        self.working = {i for i, fn in page.fns.items() if getattr(fn.fn, "__name__", "") in _WORKING_FUNCTIONS}
        self.by_api_name = {fn.api_name: i for i, fn in page.fns.items() if fn.api_name}

    def does_work(self, route: str, body: bytes) -> bool:
        """Whether the event ``body`` sent to ``route`` (``queue/join``, ``call/<api name>`` or
        ``call/v2/<api name>``) answers or votes. A body that cannot be read as an event counts as
        work: only a well-formed cheap step goes in the larger budget.

        Raises:
            QuestionTooLongError: a string input of the event is over ``max_question_chars``.
        """
        try:
            event = json.loads(body)
        except ValueError:
            return True
        if not isinstance(event, dict):
            return True
        *call, api_name = route.rstrip("/").split("/")
        if call == ["call", "v2"]:  # the inputs by name, at the top of the body
            inputs = list(event.values())
        else:  # the inputs by position, in ``data``
            inputs = event.get("data") if isinstance(event.get("data"), list) else []
        for value in inputs:
            if isinstance(value, str):
                check_length(value, self.max_question_chars)
        fn_index = event.get("fn_index") if route == "queue/join" else self.by_api_name.get(api_name)
        return not isinstance(fn_index, int) or fn_index in self.working or fn_index not in self.events


def build_ui(engine: Engine, settings: Settings, feedback: FeedbackLog) -> gr.Blocks:
    """The chat page, answering from whatever index version ``engine`` holds at each question.

    The rate limit, token and size checks run before Gradio queues an event
    (``chat.security.RequestGuard``), so nothing here counts requests.
    """

    def respond(message: str, history: list[dict]):
        try:
            # Retry and undo hand back the question as shown, i.e. escaped.
            events = engine.ask_stream(html.unescape(message), conversation(history))
        except QuestionError as error:
            yield _notice(str(error)), gr.skip()
            return
        checked, draft = [], ""
        for event in events:
            if isinstance(event, Token):
                draft = event.draft
            elif isinstance(event, Checked):
                checked.append(event.sentence)
            else:
                answer = event
                break
            yield render_draft(checked, draft), gr.skip()
        answer_id = uuid.uuid4().hex[:10]
        answers_shown.remember(answer_id, answer)
        # An extractive answer comes whole; showing it a sentence at a time lets the reader start early.
        if answer.mode == "extractive":
            for shown in range(1, sentence_count(answer) + 1):
                yield render_answer(answer, answer_id, shown), gr.skip()
        yield render_answer(answer, answer_id), render_panel(answer, answer_id)

    def vote(data: gr.LikeData) -> None:
        if data.liked not in (True, False):
            return
        try:
            record_vote(feedback, answers_shown, data.value, data.liked)
        except VoteError as error:
            gr.Warning(str(error))
            return
        gr.Info("Thanks: your vote is saved with the answer and its sources.")

    answers_shown = ShownAnswers()
    examples = example_questions(engine, settings)
    with gr.Blocks(title=settings.page_title) as page:
        # A function, so each page load describes the index serving now (it may have been swapped).
        gr.HTML(
            lambda: f'<header class="cw-header"><h1>{escape(settings.page_title)}</h1>'
            f"<p>{escape(describe_corpus(engine, settings))}</p></header>",
            elem_id="cw-header",
        )
        panel = gr.HTML(render_panel(None, ""), elem_id="cw-panel", render=False)
        with gr.Row(elem_id="cw-main", equal_height=False):
            with gr.Column(scale=3, min_width=300, elem_id="cw-chat-column"):
                chatbot = show_questions_as_text(gr.Chatbot(
                    elem_id="cw-chat",
                    show_label=False,
                    height="62vh",
                    feedback_options=("Like", "Dislike"),
                    placeholder="Ask a question, or pick one of these:" if examples else "Ask a question about the documents.",
                    layout="bubble",
                    buttons=["copy"],
                    # Document text is text: no "$$" maths, no custom tags kept past the sanitizer.
                    latex_delimiters=[],
                    allow_tags=False,
                ))
                gr.ChatInterface(
                    respond,
                    chatbot=chatbot,
                    textbox=gr.Textbox(
                        placeholder="Ask a question about the documents…",
                        max_length=settings.max_question_chars,
                        show_label=False,
                        submit_btn="Ask",
                    ),
                    examples=examples or None,
                    additional_outputs=[panel],
                    api_name="chat",
                    fill_height=False,
                )
            with gr.Column(scale=2, min_width=260, elem_id="cw-side"):
                gr.HTML('<h2 class="cw-side-title">Sources</h2>')
                panel.render()
        # No inputs: the vote reads only the liked message, never the whole chat.
        chatbot.like(vote, None, None)
    return page
