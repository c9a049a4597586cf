"""Listing versions and rolling back: checked before the switch, under the build lock."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from chat.cli import cli
from index import CorruptIndexError, DataDir, IndexNotFoundError, list_versions, load_index, rollback_index
from tests.conftest import CORPUS, build_corpus_index


@pytest.fixture
def two_versions(copy_data_dir, embedder, settings_for):
    """The article's data dir with a second version (v0002) serving."""
    build_corpus_index(CORPUS, copy_data_dir, embedder, settings_for(copy_data_dir))
    return DataDir(copy_data_dir)


def test_rollback_serves_the_previous_version(two_versions, embedder):
    assert rollback_index(two_versions) == ("v0002", "v0001")
    assert two_versions.current() == "v0001" and load_index(two_versions, embedder).manifest.version == "v0001"
    assert rollback_index(two_versions, "v0002") == ("v0001", "v0002")


def test_nothing_older_to_roll_back_to(copy_data_dir):
    with pytest.raises(IndexNotFoundError, match="v0001 is the oldest"):
        rollback_index(DataDir(copy_data_dir))
    with pytest.raises(IndexNotFoundError, match="No index version 'v0009'"):
        rollback_index(DataDir(copy_data_dir), "v0009")


def test_a_broken_version_is_not_rolled_back_to(two_versions):
    (two_versions.path_of("v0001") / "dense.faiss").unlink()
    with pytest.raises(CorruptIndexError):
        rollback_index(two_versions)
    assert two_versions.current() == "v0002"


def test_list_marks_the_serving_version_and_reports_broken_ones(two_versions):
    (two_versions.path_of("v0001") / "manifest.json").unlink()
    infos = list_versions(two_versions)
    assert [(i.version, i.serving) for i in infos] == [("v0001", False), ("v0002", True)]
    assert infos[0].manifest is None and "incomplete" in infos[0].problem
    assert infos[1].manifest.paragraphs == 46


def test_list_check_finds_a_damaged_part_the_manifest_does_not_show(two_versions):
    (two_versions.path_of("v0001") / "dense.faiss").unlink()
    assert list_versions(two_versions)[0].problem is None
    checked = list_versions(two_versions, check=True)
    assert "dense.faiss" in checked[0].problem and checked[1].problem is None


def test_cli_list_and_rollback(two_versions):
    runner = CliRunner()
    result = runner.invoke(cli, ["index", "rollback", "--data-dir", str(two_versions.root)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "v0001 is serving (was v0002)"
    lines = runner.invoke(cli, ["index", "list", "--data-dir", str(two_versions.root)]).stdout.splitlines()
    assert [line[:7] for line in lines] == ["* v0001", "  v0002"]
    assert "46 paragraphs" in lines[0]
    result = runner.invoke(cli, ["index", "rollback", "--data-dir", str(two_versions.root)])
    assert result.exit_code == 1 and "oldest" in result.stderr
