"""A generated answer: the grounded prompt to the user's LLM, its text checked as it streams.

What a streaming client gets, in order: ``Token`` pieces of the model's draft as they arrive
(each with the whole draft not yet checked), ``Checked`` sentences as each one passes the
check (a sentence judged leaves the draft, kept or not), and last the
``Answer``: the checked one, or the extractive one when the model failed or nothing it wrote
was supported. Failure is one log line, never an error for the reader.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace

from chat.answer import Answer
from chat.grounding import GroundedDraft
from chat.llm import ChatModel, LLMError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Token:
    """A piece of the model's text (``text``), and all of its draft not checked yet (``draft``)."""

    text: str
    draft: str


@dataclass(frozen=True)
class Checked:
    """A sentence of the answer that passed the check, markers renumbered."""

    sentence: str


def generate(model: ChatModel, messages: list[dict], draft: GroundedDraft, extractive: Answer) -> Iterator[Token | Checked | Answer]:
    """Ask ``model`` the grounded prompt ``messages``; its text checked by ``draft``, the answer last.

    Args:
        model: The user's LLM.
        messages: The grounded prompt (``chat.prompt``) of ``draft.hits``, numbered in that order.
        draft: The checker, holding the sources the model is given.
        extractive: What is served when the model fails or nothing it wrote is supported.
    """
    try:
        for piece in model.stream(messages):
            yield from (Checked(sentence) for sentence in draft.feed(piece))
            yield Token(piece, draft.unchecked)
        yield from (Checked(sentence) for sentence in draft.finish())
    except LLMError as error:
        log.warning("LLM gave no answer (%s); serving the extractive one", error)
        yield extractive
        return
    generated = draft.answer(extractive.question)
    log.info("generated answer: %d sentences kept, %d dropped by the check%s", len(draft.kept), draft.dropped,
             "" if generated else "; serving the extractive one")
    yield replace(generated, index_version=extractive.index_version) if generated else extractive
