"""Sentence boundaries, as character spans, so a citation can highlight its sentence."""

from __future__ import annotations

import re

# Abbreviations after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st no vs etc e.g i.e u.s u.k u.n inc ltd co corp gen gov sen rep "
    "jan feb mar apr jun jul aug sep sept oct nov dec fig al approx dept est".split()
)
# How far back from a period to look for the word before it: far enough for any
# abbreviation, and bounded, so a line of a million abbreviations is still read in linear time.
_WORD_WINDOW = 64
_BOUNDARY = re.compile(r"[.!?]+[\"”’')\]]*(?=\s+[\"“‘'(\[]?[A-Z0-9])")


def _ends_with_abbreviation(text: str) -> bool:
    words = text.rsplit(None, 1)
    word = words[-1].lower().rstrip(".") if words else ""
    word = word.lstrip("(\"“‘'")
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into sentences.

    Each line is split on its own (list items and table rows are sentences of
    their own), then at ``.``, ``!`` or ``?`` followed by a capitalised word,
    except after common abbreviations and initials.

    Returns:
        ``(start, end)`` character spans into ``text``, whitespace trimmed, in order.

    Example:
        >>> t = "Mr. Abe met Mr. Biden. They talked."
        >>> [t[s:e] for s, e in split_sentences(t)]
        ['Mr. Abe met Mr. Biden.', 'They talked.']
    """
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        for boundary in _BOUNDARY.finditer(line.group()):
            end = line.start() + boundary.end()
            if _ends_with_abbreviation(text[max(start, end - _WORD_WINDOW):end]):
                continue
            spans.append(_trim(text, start, end))
            start = end
        spans.append(_trim(text, start, line.end()))
    return [(s, e) for s, e in spans if e > s]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
