"""Every reader on files made by real writers: Chromium and reportlab PDFs, python-docx, python-pptx,
openpyxl, a CSV and an intranet page (tests/real_documents.py)."""

from __future__ import annotations

import pytest

from ingest import read_corpus, split_paragraphs
from ingest.readers import CorpusReading, read_document
from tests.real_documents import BROKEN, INTRANET_BOILERPLATE

# Starts processes (servers, the CLI, a browser, Chromium printing, a Ray cluster): `make quick` leaves it out.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reading(mixed_corpus):
    return read_corpus(mixed_corpus)


@pytest.fixture(scope="module")
def paragraphs(reading):
    return {d.id: split_paragraphs(d, 200) for d in reading.documents}


def texts(paragraphs, doc):
    return [p.text for p in paragraphs[doc]]


def test_every_format_is_read_and_every_broken_pdf_reported_with_its_reason(reading):
    assert sorted(d.id for d in reading.documents) == [
        "handbook.pdf", "newsletter.pdf", "offices.xlsx", "pay.html", "remote-work.docx", "roadmap.pptx", "suppliers.csv",
    ]
    reasons = {problem.source.name: problem.reason for problem in reading.problems}
    assert set(reasons) == set(BROKEN)
    for name, reason in BROKEN.items():
        assert reason in reasons[name]


def test_titles_come_from_the_documents(reading):
    titles = {d.id: d.title for d in reading.documents}
    assert titles["handbook.pdf"] == "Staff Handbook"  # the PDF's metadata (Chromium: the page's <title>)
    assert titles["remote-work.docx"] == "Remote Work Policy"  # the Word file's properties
    assert titles["roadmap.pptx"] == "Product Roadmap 2027"
    assert titles["pay.html"] == "Pay and payslips"


def test_chromium_pdf_keeps_pages_and_drops_its_running_header_and_footer(paragraphs, mixed_corpus):
    handbook = paragraphs["handbook.pdf"]
    assert [p.page for p in handbook] == [1, 1, 2, 3]
    assert [p.section for p in handbook] == ["Security", "Security", "Travel", "Parking"]
    # Chromium prints the date and title at the top of each page, the file's URL and "1/3" at the bottom.
    joined = " ".join(p.text for p in handbook)
    assert mixed_corpus.as_uri() not in joined and "1/3" not in joined and "Staff Handbook" not in joined
    # A paragraph printed on two lines is one paragraph.
    assert "front desk within one working day" in handbook[0].text


def test_two_column_pdf_is_read_column_by_column_with_hyphenated_words_joined(paragraphs):
    newsletter = paragraphs["newsletter.pdf"]
    assert [(p.section, p.page) for p in newsletter] == [("Cafeteria", 1), ("Recycling", 1), ("Gym", 2), ("Library", 2)]
    assert "The menu for the week is published on Monday morning" in newsletter[0].text
    assert not any("Page 1 of 2" in p.text or "Newsletter" in p.text for p in newsletter)


def test_word_file_has_sections_lists_and_tables_read_with_their_header(paragraphs):
    policy = paragraphs["remote-work.docx"]
    assert {p.section for p in policy} == {"Eligibility", "Equipment"}
    assert "• A laptop issued by the IT department\n• A quiet room with a door that closes" in texts(paragraphs, "remote-work.docx")
    table = next(p for p in policy if p.kind == "table")
    assert "Item: Chair; Allowance: 200 euros" in table.text.splitlines()
    assert all(p.page is None for p in policy)


def test_slides_are_sections_with_their_number_as_page_and_speaker_notes_kept(paragraphs):
    deck = paragraphs["roadmap.pptx"]
    notes = next(p for p in deck if "Brazil" in p.text)
    assert (notes.section, notes.page) == ("Mobile App", 2)
    assert {p.section: p.page for p in deck} == {"Product Roadmap 2027": 1, "Mobile App": 2, "Data Centers": 3}


def test_spreadsheet_and_csv_rows_are_units_read_with_their_headers(paragraphs):
    assert texts(paragraphs, "offices.xlsx")[0] == "City: Osaka; Opened: 2021; Staff: 45"
    assert {p.section for p in paragraphs["offices.xlsx"]} == {"Offices", "Meeting rooms"}
    assert texts(paragraphs, "suppliers.csv") == [
        "Supplier: Nordpaper; Product: printer paper; Country: Finland",
        "Supplier: Lumenix; Product: office lamps; Country: Portugal",
        "Supplier: Castora; Product: ergonomic chairs; Country: Poland",
    ]


def test_a_huge_sheet_is_cut_with_a_note_not_a_crash(tmp_path, monkeypatch):
    import openpyxl

    from ingest import sheet_reader

    monkeypatch.setattr(sheet_reader, "MAX_ROWS", 50)
    monkeypatch.setattr(sheet_reader, "MAX_COLUMNS", 4)
    workbook = openpyxl.Workbook()
    workbook.active.append([f"Field {n}" for n in range(10)])
    for row in range(200):
        workbook.active.append([f"value {row}-{n}" for n in range(10)])
    workbook.save(tmp_path / "big.xlsx")
    reading = CorpusReading()
    read_document(tmp_path / "big.xlsx", "big.xlsx", reading)
    rows = split_paragraphs(reading.documents[0], 200)
    assert len(rows) == 50 and rows[0].text == "Field 0: value 0-0; Field 1: value 0-1; Field 2: value 0-2; Field 3: value 0-3"
    assert sorted(note.reason for note in reading.notes) == [
        "sheet 'Sheet': only its first 4 columns were read", "sheet 'Sheet': only its first 50 rows were read",
    ]


def test_intranet_page_keeps_its_main_content_and_link_targets_only(paragraphs):
    page = texts(paragraphs, "pay.html")
    assert len(page) == 1
    assert "Visit the pay page (https://intranet.example/pay) for your payslips." in page[0]
    assert not any(word in page[0] for word in INTRANET_BOILERPLATE)


@pytest.mark.parametrize("name, data, reason", [
    ("broken.docx", b"PK\x03\x04 not really a zip", "not a readable Word file"),
    ("broken.pptx", b"\x00\x01garbage", "not a readable PowerPoint file"),
    ("broken.xlsx", b"<html>an error page saved as .xlsx</html>", "not a readable Excel workbook"),
    ("empty.pdf", b"", "empty file"),
])
def test_a_broken_office_file_is_reported_and_the_rest_still_read(mixed_corpus, tmp_path, name, data, reason):
    reading = CorpusReading()
    (tmp_path / name).write_bytes(data)
    read_document(tmp_path / name, name, reading)
    assert not reading.documents and reason in reading.problems[0].reason
