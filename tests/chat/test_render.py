"""Answers as page HTML: linked markers, marked sentences, and every document string inert."""

from __future__ import annotations

import re

from chat.answer import Answer, Citation
from chat.render import highlight, render_answer, render_panel, sentence_count

HOSTILE = 'Ships <script>alert(1)</script> sail. Ports <img src=x onerror="alert(2)"> wait.\n\nThen $$x$$.'


def hostile_answer() -> Answer:
    citation = Citation(
        n=1, doc="<b>doc</b>.txt", paragraph=2, section="<i>Harbours</i>", text=HOSTILE,
        quote="Ships <script>alert(1)</script> sail.", score=0.9, title="Ports & <em>ships</em>", spans=((0, 38),),
    )
    return Answer("q", "Ships <script>alert(1)</script> sail. [1] Ports wait. [1]", True, [citation])


def test_no_document_string_survives_as_markup():
    html = render_answer(hostile_answer(), "a1") + render_panel(hostile_answer(), "a1")
    tags = set(re.findall(r"<\s*([a-zA-Z]+)", html))
    assert tags <= {"div", "p", "a", "details", "summary", "span", "mark", "br"}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "onerror=&quot;alert(2)&quot;" in html
    assert "&lt;b&gt;doc&lt;/b&gt;.txt" in html and "&lt;i&gt;Harbours&lt;/i&gt;" in html


def test_the_message_is_one_html_block_so_markdown_never_reads_document_text():
    html = render_answer(hostile_answer(), "a1")
    assert "\n" not in html and html.startswith("<div") and html.endswith("</div>")


def test_each_marker_links_to_its_source_in_the_same_answer():
    html = render_answer(hostile_answer(), "a1")
    assert html.count('<a class="cw-cite" href="#cw-a1-1" data-cite="cw-a1-1">[1]</a>') == 2
    assert 'id="cw-a1-1"' in html and "Sources" in html


def test_supporting_sentences_are_marked():
    assert highlight("One. Two. Three.", ((5, 9), (0, 4))) == "<mark>One.</mark> <mark>Two.</mark> Three."
    assert highlight("a<b", ((0, 3),)) == "<mark>a&lt;b</mark>"


def test_streaming_shows_sentences_one_by_one_and_sources_last():
    answer = hostile_answer()
    assert sentence_count(answer) == 2
    first = render_answer(answer, "a1", sentences=1)
    assert "sail." in first and "Ports wait" not in first and "Sources" not in first
    assert render_answer(answer, "a1", sentences=2) == render_answer(answer, "a1")


def test_a_refusal_has_no_sources():
    refusal = Answer("q", "The documents don't say.", False, [])
    assert "cw-refusal" in render_answer(refusal, "a2") and "Sources" not in render_answer(refusal, "a2")
    assert "don't answer" in render_panel(refusal, "a2")


def test_a_source_names_the_page_of_a_pdf_and_the_slide_of_a_deck():
    def source(doc: str, page: int | None) -> str:
        citation = Citation(n=1, doc=doc, paragraph=4, section="Security", text="Badges.", quote="Badges.", score=0.9,
                            title="Staff Handbook", page=page)
        return render_answer(Answer("q", "Badges. [1]", True, [citation]), "a1")

    assert "Staff Handbook · p. 3 · Security · ¶ 4" in source("handbook.pdf", 3)
    assert '<div class="cw-doc">handbook.pdf, p. 3, paragraph 4 · ' in source("handbook.pdf", 3)
    assert "deck.pptx, slide 2, paragraph 4" in source("deck.pptx", 2)
    assert "notes.txt, paragraph 4" in source("notes.txt", None) and "p. " not in source("notes.txt", None)


def test_a_source_links_to_the_whole_document_and_a_pdf_to_its_page():
    citation = Citation(n=1, doc="hand book.pdf", paragraph=4, section=None, text="Badges are worn.", quote="Badges are worn.",
                        score=0.9, page=3, spans=((0, 16),))
    html = render_answer(Answer("q", "Badges are worn. [1]", True, [citation]), "a1")
    assert 'href="/source/hand%20book.pdf?paragraph=4&amp;mark=0-16#p-4"' in html
    assert 'href="/original/hand%20book.pdf#page=3"' in html
    notes = Citation(n=1, doc="notes.txt", paragraph=2, section=None, text="x", quote="x", score=0.9)
    assert "/original/" not in render_answer(Answer("q", "x [1]", True, [notes]), "a1")
