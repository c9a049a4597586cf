"""Documents made by the programs that make them in real life, written into a folder at test time.

Chromium prints a three-page handbook (with its own running header and footer on every
page); reportlab draws a two-column newsletter with a word hyphenated across lines, a scan
without a text layer and a password-protected file; python-docx, python-pptx and openpyxl
write a policy, a deck and a workbook; there is a CSV and an intranet page with navigation,
a cookie banner and a footer. ``QUESTIONS`` pairs a question about each with the file (and
page) its answer is in.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking")

HANDBOOK_HTML = """<!doctype html><html lang="en"><head><title>Staff Handbook</title>
<style>body{font-family:serif;font-size:12pt} h1{font-size:24pt} h2{font-size:17pt} p{margin:0 0 12pt 0}
.next{break-before:page}</style></head><body>
<h1>Staff Handbook</h1>
<h2>Security</h2>
<p>Badges must be worn visibly at all times inside the building. A lost badge is reported to the front desk
within one working day, and a replacement badge costs twelve euros after the first one.</p>
<p>Visitors sign the register at reception and are escorted by their host while they are in the offices.</p>
<h2 class="next">Travel</h2>
<p>Train tickets for business travel are booked through the travel office, which compares the fares of three
operators before buying. First-class train tickets need the written approval of a department head.</p>
<h2 class="next">Parking</h2>
<p>The underground garage opens at six in the morning and closes at ten at night. Bicycles park free of charge
on the ground level near the east entrance, where an air pump is provided.</p>
</body></html>"""

INTRANET_PAGE = """<!doctype html><html><head><title>Pay and payslips</title></head><body>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies?</div>
<header><a href="/">Example Corp intranet</a></header>
<nav><a href="/">Home</a> | <a href="/hr">HR</a> | <a href="/it">IT</a></nav>
<main>
<h1>Pay and payslips</h1>
<p>Salaries are paid on the twenty-fifth day of each month, or on the working day before it when the
twenty-fifth falls on a weekend. Visit the <a href="https://intranet.example/pay">pay page</a> for your payslips.</p>
</main>
<aside>Related: holiday calendar, pension plan.</aside>
<footer>© 2026 Example Corp · Contact the webmaster</footer>
</body></html>"""

# A boilerplate line of the page that must never become a paragraph.
INTRANET_BOILERPLATE = ("Home", "HR", "cookies", "© 2026", "Related:", "Example Corp intranet")

SUPPLIERS_CSV = """Supplier,Product,Country
Nordpaper,printer paper,Finland
Lumenix,office lamps,Portugal
Castora,ergonomic chairs,Poland
"""

# (question, file, page or None, a word the cited paragraph holds)
QUESTIONS = [
    ("How much does a replacement badge cost?", "handbook.pdf", 1, "twelve euros"),
    ("Who must approve first-class train tickets?", "handbook.pdf", 2, "department head"),
    ("When does the underground garage open?", "handbook.pdf", 3, "six in the morning"),
    ("On which day is the cafeteria menu published?", "newsletter.pdf", 1, "published on Monday"),
    ("How late is the library open on Fridays?", "newsletter.pdf", 2, "Fridays"),
    ("How large is the equipment allowance for a chair?", "remote-work.docx", None, "200 euros"),
    ("In which country does the mobile app launch first?", "roadmap.pptx", 2, "Brazil"),
    ("When did the Osaka office open?", "offices.xlsx", None, "Osaka"),
    ("Which supplier sells printer paper?", "suppliers.csv", None, "Nordpaper"),
    ("On which day of the month are salaries paid?", "pay.html", None, "twenty-fifth"),
]

# Files that must be skipped, with a word of the reason given.
BROKEN = {"scan.pdf": "no text layer", "locked.pdf": "encrypted", "cut.pdf": "truncated"}


def print_with_chromium(html: str, target: Path) -> None:
    source = target.with_suffix(".print.html")
    source.write_text(html, encoding="utf-8")
    subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--print-to-pdf={target}", source.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    source.unlink()


def _newsletter_page(canvas, page: int, columns: list[tuple[str, list[str]]]) -> None:
    """One page of two columns, each a heading and lines set by hand (so one line ends in a hyphen)."""
    width, height = canvas._pagesize
    canvas.setFont("Helvetica", 9)
    canvas.drawString(50, height - 30, "Facilities Newsletter · Winter issue")
    canvas.drawCentredString(width / 2, 30, f"Page {page} of 2")
    if page == 1:
        canvas.setFont("Helvetica-Bold", 22)
        canvas.drawString(50, height - 70, "News from the building")
    # The right column is drawn first: reading order must come from where the text is, not the file's order.
    for x, (heading, lines) in reversed(list(zip((50, 320), columns))):
        y = height - 110
        canvas.setFont("Helvetica-Bold", 14)
        canvas.drawString(x, y, heading)
        canvas.setFont("Helvetica", 11)
        for line in lines:
            y -= 14 if line else 10
            if line:
                canvas.drawString(x, y, line)
    canvas.showPage()


def write_newsletter(target: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(target), pagesize=A4)
    canvas.setTitle("Facilities Newsletter")
    _newsletter_page(canvas, 1, [
        ("Cafeteria", ["The cafeteria serves a vegetarian lunch", "every day. The menu for the week is pub-",
                       "lished on Monday morning on the notice", "board next to the lifts."]),
        ("Recycling", ["Paper, glass and batteries go into the", "bins on the second floor; the bins are",
                       "emptied every Thursday afternoon."]),
    ])
    _newsletter_page(canvas, 2, [
        ("Gym", ["The gym in the basement offers yoga", "classes on Tuesday and Thursday evenings."]),
        ("Library", ["The library lends books for three weeks.", "It stays open until nine in the evening",
                     "on Fridays, and closes at six on other days."]),
    ])
    canvas.save()


def write_scan(target: Path) -> None:
    """A PDF holding only a picture of a page, as a scanner makes it: no text layer."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    picture = Image.new("L", (600, 800), 255)
    draw = ImageDraw.Draw(picture)
    for row in range(20):
        draw.rectangle((40, 60 + row * 34, 40 + 480 - (row % 3) * 60, 72 + row * 34), fill=30)
    canvas = Canvas(str(target), pagesize=A4)
    canvas.drawImage(ImageReader(picture), 0, 0, *A4)
    canvas.showPage()
    canvas.save()


def write_locked(target: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(target), pagesize=A4, encrypt="secret-password")
    canvas.drawString(72, 700, "The vault code is changed every quarter.")
    canvas.showPage()
    canvas.save()


def write_docx(target: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = "Remote Work Policy"
    document.add_heading("Eligibility", level=1)
    document.add_paragraph("Employees may work from home up to three days a week once their probation period has ended.")
    document.add_paragraph("A laptop issued by the IT department", style="List Bullet")
    document.add_paragraph("A quiet room with a door that closes", style="List Bullet")
    document.add_heading("Equipment", level=1)
    document.add_paragraph("The company pays a one-time allowance for home office equipment:")
    table = document.add_table(rows=3, cols=2)
    for row, cells in zip(table.rows, [("Item", "Allowance"), ("Monitor", "150 euros"), ("Chair", "200 euros")]):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    document.save(target)


def write_pptx(target: Path) -> None:
    import pptx

    deck = pptx.Presentation()
    deck.core_properties.title = "Product Roadmap 2027"
    title_slide = deck.slides.add_slide(deck.slide_layouts[0])
    title_slide.shapes.title.text = "Product Roadmap 2027"
    title_slide.placeholders[1].text = "Planning meeting of the product team"
    for heading, bullets, notes in [
        ("Mobile App", ["A new mobile app for customers", "Offline mode and dark theme"],
         "The mobile app launches first in Brazil in March, then in Mexico."),
        ("Data Centers", ["A second data center opens in Frankfurt", "Energy from wind farms"],
         "Frankfurt goes live in the autumn."),
    ]:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = heading
        body = slide.placeholders[1].text_frame
        body.text = bullets[0]
        for bullet in bullets[1:]:
            body.add_paragraph().text = bullet
        slide.notes_slide.notes_text_frame.text = notes
    deck.save(target)


def write_xlsx(target: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Offices"
    for row in [("City", "Opened", "Staff"), ("Osaka", 2021, 45), ("Lyon", 2018, 120), ("Denver", 2015, 80)]:
        sheet.append(row)
    rooms = workbook.create_sheet("Meeting rooms")
    for row in [("Room", "Seats", "Floor"), ("Aurora", 12, 3), ("Borealis", 6, 2)]:
        rooms.append(row)
    workbook.save(target)


def write_mixed_corpus(folder: Path) -> Path:
    """One file of every format (and the three broken PDFs) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    print_with_chromium(HANDBOOK_HTML, folder / "handbook.pdf")
    write_newsletter(folder / "newsletter.pdf")
    write_docx(folder / "remote-work.docx")
    write_pptx(folder / "roadmap.pptx")
    write_xlsx(folder / "offices.xlsx")
    (folder / "suppliers.csv").write_text(SUPPLIERS_CSV, encoding="utf-8")
    (folder / "pay.html").write_text(INTRANET_PAGE, encoding="utf-8")
    write_scan(folder / "scan.pdf")
    write_locked(folder / "locked.pdf")
    whole = (folder / "handbook.pdf").read_bytes()
    (folder / "cut.pdf").write_bytes(whole[: len(whole) // 2])
    return folder
