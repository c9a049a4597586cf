"""What a question asks for: the kind of answer it wants, its parts, whether it leans on the conversation.

Plain English patterns, no model: "how many" wants a number, "when" a date, "who" a person,
"where" a place. The composer uses the kind to put the sentence that holds such an answer
first, and to refuse when no retrieved sentence holds one ("How many US bases are in
Japan?" over a paragraph with no number in it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NUMBER, DATE, PERSON, PLACE = "number", "date", "person", "place"

_MONTHS = "january february march april may june july august september october november december"
_MONTH = rf"(?:{'|'.join(_MONTHS.split())}|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?"
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands "
    "million millions billion billions trillion dozen dozens half quarter once twice thrice single double triple"
)
# What each kind of answer looks like in a sentence.
_HOLDS = {
    # "the two countries" names things already known; it does not count them.
    NUMBER: re.compile(rf"\d|(?<!\bthe\s)\b(?:{'|'.join(_NUMBER_WORDS.split())})\b|%", re.I),
    DATE: re.compile(
        rf"\b(?:1\d{{3}}|20\d{{2}})s?\b|\b{_MONTH}\b|\b\d{{1,2}}(?:st|nd|rd|th)\b|\b(?:century|centuries|decade|decades|"
        r"day|days|eve|holiday|holidays|week|weeks|weekend|monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|ago|annual|annually|yearly|daily|weekly|"
        r"monthly|spring|summer|autumn|fall|winter|bc|ad|bce|ce|era|age|dynasty|period|war|"
        # A time of day answers "when" too: "from six in the morning", "at 9:30", "until 5 pm".
        r"morning|mornings|afternoon|afternoons|evening|evenings|night|nights|noon|midnight|hour|hours|o’clock|o'clock)\b"
        r"|\b\d{1,2}:\d{2}\b|\b\d{1,2}\s*(?:a\.m\.|p\.m\.|am\b|pm\b)",
        re.I,
    ),
}
# "Who approves it?" is answered by a role as well as by a name: "the department head", "the board".
_ROLES = re.compile(
    r"\b(?:head|heads|manager|managers|director|directors|officer|officers|supervisor|supervisors|staff|employee|employees|"
    r"committee|board|team|department|secretary|secretariat|chair|chairman|chairwoman|chairperson|lead|owner|owners|"
    r"administrator|administrators|boss|council|office|agency|ministry|government|representative|representatives|"
    r"member|members|worker|workers|student|students|customer|customers|visitor|visitors|user|users)\b",
    re.I,
)
_CAPITALISED = re.compile(r"(?<![.!?:;]\s)(?<!^)\b[A-Z][\w’'-]*[a-z][\w’'-]*")

# Nouns that name a measure: "what is the budget", "what percentage".
_MEASURES = (
    "number amount budget cost price population percentage percent proportion share rate size length height width depth "
    "weight area distance speed temperature total count sum value salary revenue income age capacity score"
)
_TIMES = "year date day month century decade time period era season"
_PLACES = "country city town place region state province nation continent island location area port capital"
_PEOPLE = (
    "person man woman president minister leader king queen emperor author writer founder ruler general chancellor "
    "ambassador chairman ceo director scientist analyst player coach"
)
_KIND_NOUNS = {
    NUMBER: frozenset(_MEASURES.split()),
    DATE: frozenset(_TIMES.split()),
    PLACE: frozenset(_PLACES.split()),
    PERSON: frozenset(_PEOPLE.split()),
}
_WH_NOUN = re.compile(r"^\s*(?:in |on |at |from |during |by |of |to )?(?:what|which)\s+(\w+)(?:\s+(\w+))?", re.I)


def wanted_kind(question: str) -> str | None:
    """The kind of answer ``question`` asks for (``NUMBER``, ``DATE``, ``PERSON``, ``PLACE``), or None.

    Example:
        >>> wanted_kind("How many US bases are in Japan?"), wanted_kind("When was it signed?")
        ('number', 'date')
    """
    text = question.strip().lower()
    if re.match(r"^(?:and |so |but )?how (?:many|much|long|old|far|big|large|tall|high|fast)\b", text):
        return NUMBER
    if re.match(r"^(?:and |so |but )?(?:since |until )?when\b", text) or re.search(r"\bwhat (?:year|date|day|month|century|decade)\b", text):
        return DATE
    if re.match(r"^(?:and |so |but )?(?:who|whom|whose)\b", text):
        return PERSON
    if re.match(r"^(?:and |so |but )?where\b", text):
        return PLACE
    for asked in (_WH_NOUN.match(text), re.search(r"\b(?:what|which) (?:is|was|are|were) the (\w+)(?:\s+(\w+))?", text)):
        for noun in [w for w in asked.groups() if w] if asked else []:
            stem = noun.rstrip("s") if len(noun) > 3 else noun
            for kind, nouns in _KIND_NOUNS.items():
                if noun in nouns or stem in nouns:
                    return kind
    return None


def holds(kind: str | None, sentence: str, question: str) -> bool:
    """Whether ``sentence`` holds an answer of ``kind``: a number, a date, a name (person or
    place) that the question does not already name. Any sentence holds ``None``."""
    if kind is None:
        return True
    if kind in _HOLDS:
        return bool(_HOLDS[kind].search(sentence))
    asked = {w.lower() for w in re.findall(r"[\w’'-]+", question)}
    names = _CAPITALISED.findall(sentence) + (_ROLES.findall(sentence) if kind == PERSON else [])
    return any(name.lower() not in asked for name in names)


KIND_NAMES = {NUMBER: "number", DATE: "date", PERSON: "name", PLACE: "place"}


@dataclass(frozen=True)
class Part:
    """One question of a (perhaps) multi-part question: its text and the kind of answer it wants."""

    text: str
    kind: str | None


_SECOND_QUESTION = re.compile(
    r"(?:,\s*|\s+)(?:and|also|plus)\s+(?=(?:what|which|who|whom|whose|when|where|why|how)\b)|[?;]\s+(?=\S)", re.I
)


def parts(question: str) -> list[Part]:
    """The questions ``question`` asks: "Which prime minister met Biden, and what is the pact
    called?" is two. Each part keeps its own kind of answer."""
    pieces = [p.strip(" ,;?") for p in _SECOND_QUESTION.split(question)]
    pieces = [p for p in pieces if len(p.split()) >= 2]
    if len(pieces) < 2:
        return [Part(question, wanted_kind(question))]
    return [Part(p + "?", wanted_kind(p)) for p in pieces]


# Words that point back at an earlier turn ("and when was *it* signed?"); "that" only where it
# cannot be a relative pronoun ("the treaty that was signed"), "there" only where it is a place.
_REFERRING = re.compile(
    r"\b(?:it|its|they|them|their|theirs|this|these|those|he|him|his|she|her|hers|then)\b"
    r"|(?:\b(?:about|of|in|on|for|with|is|was|did|does|do|after|before)\s+|^)that\b|\bthat\s*[?.!]*$"
    r"|(?<!\bis\s)(?<!\bare\s)(?<!\bwas\s)(?<!\bwere\s)\bthere\b(?!\s+(?:is|are|was|were|be|been|any|many|much)\b)",
    re.I,
)
_CONTINUING = re.compile(r"^\s*(?:and|so|but|what about|how about|also)\b", re.I)
_CONTENT_WORD = re.compile(r"[A-Za-z][a-z]{3,}|[A-Z]{2,}|\d+")
_ASKING = frozenset(
    "what which whom whose when where why many much does were have been being about also else tell more please again".split()
)


def needs_context(question: str) -> bool:
    """Whether ``question`` can only be read with the conversation before it.

    It refers back ("When was *it* signed?", "What did *he* say?"), goes on from the last
    answer ("And Trump?", "What about China?"), or names nothing at all ("Where?", "Why?").
    A question that names its own subject stands alone, whatever came before.

    Example:
        >>> needs_context("When was it signed?"), needs_context("What did Yuki Nakamura say?")
        (True, False)
    """
    words = [w for w in _CONTENT_WORD.findall(question) if w.lower() not in _ASKING]
    if not words or _CONTINUING.match(question):
        return True
    if len(question.split()) < 3 and not named(question):
        return True  # "Who signed?": too short to say what it is about
    referring = _REFERRING.search(question)
    # "When did the Normans gain *their* identity?": the question names what it refers to.
    return bool(referring) and not _CAPITALISED.search(question[: referring.start()])


_NAME_OR_NUMBER = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][\w’'-]*|\b\d[\d,.]*\b")


def named(question: str) -> list[str]:
    """The names and numbers ``question`` asks about ("Okinawa", "Shinzo Abe", "2021"): words
    an answer must be about, not ones a paraphrase may swap. The first word is left out
    (capitalised because it starts the question)."""
    return list(dict.fromkeys(w.strip("’'.,") for w in _NAME_OR_NUMBER.findall(question.strip())))


def numbers(question: str) -> list[str]:
    """The numbers ``question`` writes in digits ("2021", "1,500")."""
    return [n.strip(".,") for n in re.findall(r"\b\d[\d,.]*\b", question)]


_CELL_BREAK = re.compile(r"(?<=[a-z0-9)%])\s+(?=[A-Z])")


def cells(row: str) -> list[str]:
    """A table row's cells: split at " | " (Markdown, HTML), else where a capitalised word
    follows a lower-case one ("Technological advancements Promotion of ..." is two cells)."""
    if " | " in row:
        return [cell.strip() for cell in row.split(" | ")]
    return _CELL_BREAK.split(row.strip())


_ROLE = re.compile(
    r"^\s*(?:who|what|which)\s+(?:is|was|are|were)\s+the\s+([\w’'\s-]+?)(?=\s+(?:of|to|in|for|at|on|with|from|by|that|who|which|"
    r"whose|when|where)\b|\s*[?,.]|\s*$)",
    re.I,
)


def asked_about(question: str) -> str | None:
    """The thing a "who/what is the X" question asks for ("Who was the US *ambassador* to
    Japan?"): documents that never use the word hold no such thing to name."""
    found = _ROLE.match(question)
    return found.group(1).split()[-1] if found else None


_NEGATION = re.compile(r"\b(?:not|never|no|none|nobody|nothing|neither|nor|without|cannot|unable|fail|failed)\b|n[’']t\b", re.I)


def negated(text: str) -> bool:
    """Whether ``text`` says no ("never", "not", "didn't"): a question that negates what its
    passage says is a different question."""
    return bool(_NEGATION.search(text))
