"""Splitting the article (and Markdown/HTML) into citable paragraphs."""

from __future__ import annotations

import pytest

from ingest import Document, read_corpus, split_paragraphs
from ingest.markup import html_blocks, markdown_blocks
from tests.conftest import CORPUS
from tests.ingest.hang_guard import finishes_within


@pytest.fixture(scope="module")
def article():
    (document,) = read_corpus(CORPUS).documents
    return split_paragraphs(document, max_words=180)


def paragraph_with(paragraphs, needle):
    (found,) = [p for p in paragraphs if needle in p.text]
    return found


def test_paragraph_ids_are_document_and_number(article):
    assert [p.number for p in article] == list(range(1, len(article) + 1))
    assert article[0].id == "japan-us-alliance.txt#1"
    assert len({p.key for p in article}) == len(article)


def test_ids_and_hashes_are_stable_across_reads(article):
    (again,) = read_corpus(CORPUS).documents
    assert [(p.key, p.hash) for p in split_paragraphs(again, 180)] == [(p.key, p.hash) for p in article]


def test_headings_become_sections_of_the_paragraphs_below(article):
    treaty = paragraph_with(article, "signed in 1960")
    assert treaty.section == "Japan’s Key Role in the US-Japan Security Alliance"
    assert not any(p.text == "The Role of Trade" for p in article), "a heading is not a paragraph"
    assert paragraph_with(article, "win-win").section == "The Role of Trade"


def test_quote_stays_with_its_attribution(article):
    biden = paragraph_with(article, "Our alliance is the cornerstone")
    assert "said President Joe Biden during his trip" in biden.text
    assert biden.kind == "quote"


def test_table_is_one_unit_with_its_header(article):
    table = paragraph_with(article, "Strengthened trade relations")
    assert table.kind == "table"
    assert table.text.splitlines()[0] == "Benefits of Japan-US Economic Alliance Impact on Global Economy"
    assert "Promotion of global economic integration" in table.text


def test_bullet_list_keeps_its_lead_in_and_items(article):
    takeaways = paragraph_with(article, "Key Takeaways:")
    assert takeaways.kind == "list"
    assert takeaways.text.count("•") == 5


def test_long_paragraph_is_split_at_sentences_keeping_its_id():
    sentences = [f"Sentence number {i} talks about the alliance in some detail." for i in range(40)]
    document = Document("long.txt", "Long", tuple(read_corpus_blocks(" ".join(sentences))))
    parts = split_paragraphs(document, max_words=50)
    assert len(parts) > 1
    assert {p.id for p in parts} == {"long.txt#1"}
    assert [p.part for p in parts] == list(range(len(parts)))
    assert all(len(p.text.split()) <= 50 for p in parts)
    assert " ".join(p.text for p in parts) == " ".join(sentences), "no sentence lost or cut"


def read_corpus_blocks(text):
    from ingest.blocks import blocks_from_plain_text

    return blocks_from_plain_text(text)


def test_a_sentence_longer_than_the_budget_is_cut_at_word_boundaries():
    words = [f"clause{i}" for i in range(500)]
    sentence = "It went on and on with " + " ".join(words) + " until the end."
    document = Document("run-on.txt", "Run on", tuple(read_corpus_blocks(f"A short opener. {sentence} A short closer.")))
    parts = split_paragraphs(document, max_words=50)
    assert all(len(p.text.split()) <= 50 for p in parts)
    assert {p.id for p in parts} == {"run-on.txt#1"}
    assert " ".join(p.text for p in parts).split() == f"A short opener. {sentence} A short closer.".split()


def test_text_without_spaces_is_cut_into_bounded_parts():
    blob = "x" * 1_000_000
    parts = split_paragraphs(Document("blob.txt", "Blob", tuple(read_corpus_blocks(blob))), max_words=180)
    assert max(len(p.text) for p in parts) <= 180 * 20
    assert "".join(p.text for p in parts) == blob


def test_a_file_of_lower_case_paragraphs_is_split_in_linear_time(tmp_path):
    # Each paragraph continues the one before (it starts in lower case), so all of them
    # merge into one unit: concatenating at each merge took minutes for this 4 MB file,
    # joining once takes well under a second; the guard fails a quadratic merge.
    text = "\n\n".join(f"and then paragraph {i} went on." for i in range(120_000))
    (tmp_path / "lower.txt").write_text(text, encoding="utf-8")
    (document,) = read_corpus(tmp_path).documents
    parts = finishes_within(20, split_paragraphs, document, max_words=180)
    assert all(len(p.text.split()) <= 180 for p in parts)
    assert " ".join(p.text for p in parts).split() == text.split()


def test_a_paragraph_of_abbreviations_is_split_in_linear_time():
    # No period after "Mr" ends a sentence, and the word before each one was found by
    # copying the whole sentence so far: minutes for this paragraph, now well under a second.
    text = "Mr. Abe " * 400_000
    document = Document("titles.txt", "Titles", tuple(read_corpus_blocks(text)))
    parts = finishes_within(20, split_paragraphs, document, max_words=180)
    assert all(len(p.text.split()) <= 180 for p in parts)
    assert " ".join(p.text for p in parts).split() == text.split()


def test_markdown_headings_lists_tables_and_quotes():
    title, blocks = markdown_blocks(
        "# The Guide\n\n## Setup\nInstall it **now**.\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> wise words\n"
    )
    assert title == "The Guide"
    assert [b.kind for b in blocks] == ["heading", "text", "list", "table", "quote"]
    assert blocks[1].text == "Install it now."
    assert blocks[3].text == "a | b\n1 | 2"


def test_html_drops_scripts_and_keeps_structure():
    title, blocks = html_blocks(
        "<html><head><title>Page</title><script>alert(1)</script></head><body>"
        "<h2>Part</h2><p>Hello <b>world</b>.</p><ul><li>x</li><li>y</li></ul>"
        "<table><tr><th>k</th><th>v</th></tr><tr><td>1</td><td>2</td></tr></table></body></html>"
    )
    assert title == "Page"
    assert [b.kind for b in blocks] == ["heading", "text", "list", "table"]
    assert "alert" not in " ".join(b.text for b in blocks)
    assert blocks[3].text == "k | v\n1 | 2"
