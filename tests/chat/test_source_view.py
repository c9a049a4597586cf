"""The source view and the original PDFs: the cited paragraph in its whole document, inert, and
nothing but the corpus's indexed documents ever served, behind the token and the rate limit."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient

from chat.source_view import _original_file, render_document
from ingest import Paragraph


@pytest.fixture(scope="module")
def app_for(mixed_data_dir, mixed_corpus, embedder):
    from chat.engine import Engine
    from chat.server import create_app
    from chat.settings import Settings

    def make(**overrides) -> TestClient:
        settings = Settings().with_overrides(data_dir=mixed_data_dir, corpus=mixed_corpus, **overrides)
        return TestClient(create_app(Engine.from_settings(settings, embedder=embedder), settings), base_url="http://127.0.0.1:7860")

    return make


@pytest.fixture(scope="module")
def client(app_for):
    return app_for()


def test_the_source_view_shows_the_whole_document_with_the_cited_paragraph_marked(client):
    response = client.get("/source/handbook.pdf?paragraph=3&mark=0-19")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]  # no script runs there
    html = response.text
    assert html.count("<section") == 4 and '<section id="p-3" class="cited">' in html
    assert "<mark>Train tickets for b</mark>" in html and "¶ 3 · p. 2" in html
    assert '<a href="/original/handbook.pdf">The original PDF</a>' in html


def test_the_original_pdf_is_served_as_it_is(client, mixed_corpus):
    response = client.get("/original/handbook.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content == (mixed_corpus / "handbook.pdf").read_bytes()


@pytest.mark.parametrize("path", [
    "/original/%2e%2e/%2e%2e/etc/passwd",
    "/original/..%2f..%2fetc%2fpasswd",
    "/original//etc/passwd",
    "/original/suppliers.csv",  # indexed, but not a PDF
    "/original/scan.pdf",  # in the folder, but skipped: not in the index
    "/source/scan.pdf",
    "/source/%2e%2e/pyproject.toml",
])
def test_nothing_but_an_indexed_document_is_shown(client, path):
    response = client.get(path)
    assert response.status_code == 404, response.text
    assert response.json()["ok"] is False


def test_a_link_swapped_in_for_an_indexed_pdf_is_not_followed_out_of_the_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (tmp_path / "secret.pdf").write_bytes(b"%PDF-1.4 secret")
    os.symlink(tmp_path / "secret.pdf", corpus / "handbook.pdf")
    with pytest.raises(Exception, match="only the PDFs of the corpus"):
        _original_file(corpus, "handbook.pdf")


def test_a_bad_mark_is_refused_with_the_expected_shape(client):
    response = client.get("/source/handbook.pdf?paragraph=1&mark=1;2")
    assert response.status_code == 422 and "character ranges" in response.json()["error"]


def test_document_text_is_rendered_inert():
    hostile = Paragraph("x.txt", "<b>T</b>", 1, 'Ships <script>alert(1)</script> sail.', section="<i>S</i>")
    html = render_document("x.txt", [[hostile]], 1, 0, ((0, 5),))
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;i&gt;S&lt;/i&gt;" in html
    assert "<mark>Ships</mark>" in html


def test_with_a_token_documents_need_it_and_count_against_the_rate_limit(app_for):
    locked = app_for(token="s3cret", rate_limit=3)
    assert locked.get("/original/handbook.pdf").status_code == 401
    assert locked.get("/source/handbook.pdf", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert locked.get("/source/handbook.pdf", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert locked.get("/original/handbook.pdf", headers={"Authorization": "Bearer s3cret"}).status_code == 429
