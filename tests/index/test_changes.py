"""Telling added, changed, deleted and unchanged paragraphs apart by key and content."""

from __future__ import annotations

from dataclasses import replace

from index import diff_paragraphs
from ingest import Paragraph


def paragraph(doc, number, text, **fields):
    return Paragraph(doc_id=doc, doc_title=doc, number=number, text=text, **fields)


def test_each_paragraph_falls_in_exactly_one_group():
    old = [paragraph("a", 1, "Kept."), paragraph("a", 2, "Edited."), paragraph("b", 1, "Gone.")]
    new = [paragraph("a", 1, "Kept."), paragraph("a", 2, "Edited, now longer."), paragraph("c", 1, "New.")]
    changes = diff_paragraphs(old, new)
    assert (changes.added, changes.changed, changes.deleted, changes.unchanged) == (["c#1"], ["a#2"], ["b#1"], ["a#1"])
    assert changes.any
    assert changes.summary() == "added 1, changed 1, deleted 1, unchanged 1 paragraphs"


def test_a_new_title_or_section_counts_as_a_change_because_both_are_embedded():
    old = [paragraph("a", 1, "Same text.", section="Intro")]
    assert diff_paragraphs(old, [replace(old[0], section="Overview")]).changed == ["a#1"]
    assert diff_paragraphs(old, [replace(old[0], doc_title="Renamed")]).changed == ["a#1"]


def test_identical_corpora_have_no_changes():
    old = [paragraph("a", 1, "One."), paragraph("a", 1, "Two.", part=1)]
    changes = diff_paragraphs(old, list(old))
    assert not changes.any and changes.counts() == {"added": 0, "changed": 0, "deleted": 0, "unchanged": 2}


def test_first_build_adds_everything():
    changes = diff_paragraphs([], [paragraph("a", 1, "One."), paragraph("a", 2, "Two.")])
    assert changes.counts()["added"] == 2 and changes.any
