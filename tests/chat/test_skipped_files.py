"""Nothing skipped silently: the rebuild counts skipped files, `index info` and /healthz list them, --strict fails."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient

from chat.cli import cli


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "guide.txt").write_text("Guide\n\nThe lobby opens at eight in the morning on weekdays.\n", encoding="utf-8")
    (folder / "report.pdf").write_bytes(b"%PDF-1.7\n1 0 obj")  # cut short: no %%EOF
    (folder / "slides.key").write_bytes(b"PK\x03\x04")
    return folder


def rebuild(corpus, data_dir, *flags):
    return CliRunner().invoke(cli, ["index", "rebuild", "--corpus", str(corpus), "--data-dir", str(data_dir), *flags])


def test_the_rebuild_summary_counts_skipped_files_and_names_each_with_its_reason(corpus, tmp_path):
    result = rebuild(corpus, tmp_path / "var")
    assert result.exit_code == 0, result.output
    assert "skipped 2 files (see above)" in result.output
    assert f"skipped {corpus / 'report.pdf'}: a truncated PDF" in result.output
    assert "unsupported file type '.key'" in result.output


def test_strict_exits_with_1_naming_the_skipped_files_and_still_builds(corpus, tmp_path):
    result = rebuild(corpus, tmp_path / "var", "--strict")
    assert result.exit_code == 1
    assert "2 files of the corpus skipped (--strict): report.pdf: a truncated PDF" in result.output
    assert (tmp_path / "var" / "CURRENT").exists()
    (corpus / "report.pdf").unlink()
    (corpus / "slides.key").unlink()
    again = rebuild(corpus, tmp_path / "var", "--strict")
    assert again.exit_code == 0, again.output


def test_a_newly_skipped_file_makes_a_new_version_that_lists_it(corpus, tmp_path):
    (corpus / "report.pdf").unlink()
    (corpus / "slides.key").unlink()
    assert rebuild(corpus, tmp_path / "var").exit_code == 0
    (corpus / "broken.docx").write_bytes(b"not a zip")
    result = rebuild(corpus, tmp_path / "var", "--json")
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["built"] and report["skipped"] == 1 and report["embedded"] == 0
    assert report["skipped_files"][0]["file"] == "broken.docx"


def test_index_info_and_healthz_carry_the_count_and_the_list(corpus, tmp_path, embedder, settings_for):
    from chat.api import api_router
    from chat.engine import Engine

    rebuild(corpus, tmp_path / "var")
    info = json.loads(CliRunner().invoke(cli, ["index", "info", "--data-dir", str(tmp_path / "var")]).stdout)
    assert info["skipped_count"] == 2
    assert {s["file"] for s in info["skipped"]} == {"report.pdf", "slides.key"}
    app = FastAPI()
    app.include_router(api_router(Engine.from_settings(settings_for(tmp_path / "var"), embedder=embedder)))
    health = TestClient(app).get("/healthz").json()["index"]
    assert health["skipped_count"] == 2 and health["skipped"] == info["skipped"]
