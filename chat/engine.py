"""The engine: a question (and the conversation so far) to a cited answer."""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from chat.answer import Answer
from chat.composer import Reading, compose_parts
from chat.generation import Checked, Token, generate
from chat.grounding import GroundedDraft
from chat.llm import ChatModel
from chat.prompt import grounded_messages
from chat.question import Part, needs_context, parts, wanted_kind
from chat.errors import QuestionError, QuestionTooLongError
from chat.history import Turn, check_history, check_readable
from chat.settings import Settings
from index import CorruptIndexError, DataDir, Embedder, Hit, IndexMismatchError, SearchIndex, open_index

log = logging.getLogger(__name__)


def _visible(text: str) -> bool:
    # Zero-width and other format characters (Cf: U+200B, U+FEFF, U+2060, ...) show nothing.
    return any(not char.isspace() and unicodedata.category(char) != "Cf" for char in text)


def check_length(question: str, max_chars: int) -> None:
    """Refuse a question over ``max_chars`` characters with a ``QuestionTooLongError`` (413): a limit, not a mistake."""
    if len(question) > max_chars:
        raise QuestionTooLongError(f"The question is {len(question)} characters long; the limit is {max_chars}.")


def check_question(question: object, max_chars: int) -> str:
    """The question, stripped, or a ``QuestionError`` saying what is wrong with it."""
    if not isinstance(question, str):
        raise QuestionError(f"The question must be a string, not {type(question).__name__}.")
    question = question.strip()
    check_length(question, max_chars)
    check_readable(question, "The question")
    if not _visible(question):
        raise QuestionError("The question is empty: ask something about the documents.")
    return question


def leaned_on(question: str, history: list[Turn]) -> str | None:
    """The user's previous question when ``question`` needs it, else None.

    Only a question that cannot be read alone ("When was it signed?", "Where?", "And
    Trump?") takes its subject from the user's previous question; one that names its own
    subject is read alone, whatever came before.
    """
    previous = [t.content for t in history if t.role == "user" and t.content.strip()]
    return previous[-1] if previous and needs_context(question) else None


def retrieval_query(question: str, history: list[Turn]) -> str:
    """What to search for: the question, after the previous question when this one needs it (``leaned_on``)."""
    earlier = leaned_on(question, history)
    return f"{earlier} {question}" if earlier else question


def embedder_for(settings: Settings) -> Embedder:
    """The model ``settings`` name, on their backend, batch size and serving threads (onnx files in ``models_folder()``)."""
    return Embedder(settings.model, settings.batch_size, settings.cpu_threads, backend=settings.backend,
                    models_dir=settings.models_folder())


@dataclass(frozen=True)
class Composed:
    """An extractive answer and what it was composed from."""

    answer: Answer
    index: SearchIndex  # the version that answered
    hits: list[Hit]  # every paragraph retrieved, each once, best first for each part of the question
    earlier: str | None  # the previous question a follow-up was read with (and searched after), else None


class Engine:
    """Answers questions from one index version with one embedding model.

    Args:
        index: The loaded index to answer from.
        embedder: The model that built it.
        settings: Retrieval and answer settings.
    """

    def __init__(self, index: SearchIndex, embedder: Embedder, settings: Settings) -> None:
        index.manifest.check_compatible(embedder.name, embedder.dimension, embedder.backend)
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._unservable: str | None = None  # a version that failed to load, not retried
        self._bad_pointer: str | None = None  # what is wrong with CURRENT, logged once while it lasts
        self.llm = ChatModel.from_settings(settings)  # None: extractive answers only

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None) -> Engine:
        """Load the serving index version of ``settings.data_dir``, searching as the settings say
        (``Settings.search_options``: retuning needs a restart, not a rebuild), and the model.

        The index loads in a thread while the model loads: checksums, file reads and FAISS
        release the GIL, so at scale its seconds hide behind the model's (bench: cold start).
        ``__init__`` then checks that the two fit.
        """
        with ThreadPoolExecutor(1, thread_name_prefix="citewise-index-load") as pool:
            loading = pool.submit(open_index, DataDir(settings.data_dir), search=settings.search_options())
            embedder = embedder or embedder_for(settings)
            index = loading.result()
        return cls(index, embedder, settings)

    def refresh(self) -> bool:
        """Swap in the version the data directory's CURRENT names, if it is another one.

        The new version is loaded and verified completely before the swap; requests
        already running finish on the version they started with. A version that fails
        to load is logged once and the serving one stays; so is a CURRENT that names no version.

        Returns:
            Whether a new version is now serving.
        """
        data_dir = DataDir(self.settings.data_dir)
        serving = self.index.manifest.version
        problem = data_dir.pointer_problem()
        if problem:  # empty, garbage, a path: one line each time it changes, never a traceback
            if problem != self._bad_pointer:
                log.error("%s %s keeps serving; `citewise index rollback VERSION` repairs CURRENT.", problem, serving)
            self._bad_pointer = problem
            return False
        self._bad_pointer = None
        name = data_dir.current()
        if name is None or name in (serving, self._unservable):
            return False
        try:
            index = open_index(data_dir, self.embedder, self.settings.search_options(), version=name)
        except (CorruptIndexError, IndexMismatchError, OSError) as error:
            self._unservable = name
            log.error("index version %s cannot be served (%s); %s keeps serving", name, error, serving)
            return False
        self.index = index
        log.info("now serving index %s (was %s)", name, serving)
        return True

    def follow_current(self, interval: float) -> threading.Event:
        """Check for a new index version every ``interval`` seconds, in a daemon thread.

        Args:
            interval: Seconds between checks; 0 does not follow at all.

        Returns:
            An event; set it to stop following.
        """
        stop = threading.Event()
        if interval <= 0:
            stop.set()
            return stop

        def follow() -> None:
            last = None
            while not stop.wait(interval):
                try:
                    self.refresh()
                    last = None
                except Exception as error:  # the follower must outlive any surprise, or hot swap silently ends
                    # The traceback once, not at every check while the trouble lasts.
                    again = repr(error) == last
                    last = repr(error)
                    log.log(logging.DEBUG if again else logging.ERROR, "checking %s for a new index version failed",
                            self.settings.data_dir, exc_info=not again)

        threading.Thread(target=follow, name="citewise-index-follower", daemon=True).start()
        return stop

    def ask(self, question: str, history: Sequence[Turn | dict] | None = None) -> Answer:
        """Answer ``question``, reading follow-ups in the context of ``history``.

        With an LLM configured (``llm_url``) the answer is the model's, every sentence checked
        against the paragraph it cites, or the extractive one when that fails; without, extractive.

        Raises:
            QuestionError: the question or history is not acceptable.
        """
        *_, answer = self.ask_stream(question, history)
        return answer

    def ask_stream(self, question: str, history: Sequence[Turn | dict] | None = None) -> Iterator[Token | Checked | Answer]:
        """``ask`` as it happens: the LLM's draft (``Token``), each sentence once checked
        (``Checked``), then the ``Answer``. Extractive answers and refusals come as the answer alone.

        Raises:
            QuestionError: the question or history is not acceptable (before anything is yielded).
        """
        composed = self.extractive(question, history)
        # A refusal is final: the LLM is never asked what the documents don't hold.
        if self.llm is None or not composed.answer.answered:
            return iter([composed.answer])
        messages = grounded_messages(composed.answer.question, composed.hits, composed.earlier)
        draft = GroundedDraft(composed.hits, composed.index, self.embedder, self.settings.llm_min_support)
        return generate(self.llm, messages, draft, composed.answer)

    def extractive(self, question: str, history: Sequence[Turn | dict] | None = None) -> Composed:
        """The extractive answer, and the index version, paragraphs and query it was composed from."""
        s = self.settings
        question = check_question(question, s.max_question_chars)
        turns = check_history(history)
        earlier, query = leaned_on(question, turns), retrieval_query(question, turns)
        index = self.index  # one version for the whole request, even if a new one is swapped in
        # A question of several parts searches each part on its own; a follow-up searches as one.
        asked = parts(question) if query == question else [Part(question, wanted_kind(question))]
        texts = [query] if len(asked) == 1 else [part.text for part in asked]
        vectors = self.embedder.encode(texts)
        readings = [
            Reading(part, index.search(vector, text, s.top_k, s.fusion, s.lexical_weight, s.candidates), vector, text)
            for part, vector, text in zip(asked, vectors, texts)
        ]
        answer = replace(compose_parts(question, index, readings, s), index_version=index.manifest.version)
        log.debug("answered=%s citations=%d question=%r", answer.answered, len(answer.citations), question[:80])
        retrieved = list({hit.row: hit for reading in readings for hit in reading.hits}.values())
        return Composed(answer, index, retrieved, earlier)
