"""The data directory: versions, the serving pointer, and what killed builds leave behind."""

from __future__ import annotations

import pytest

from index import DataDir, IndexNotFoundError


def make_versions(root, *names):
    data_dir = DataDir(root)
    for name in names:
        (data_dir.versions_dir / name).mkdir(parents=True)
    return data_dir


def test_versions_are_ordered_by_number_and_builds_in_progress_are_invisible(tmp_path):
    data_dir = make_versions(tmp_path, "v0010", "v0002", ".build-v0011-123")
    assert data_dir.versions() == ["v0002", "v0010"]
    assert data_dir.next_version() == "v0011"
    assert data_dir.previous("v0010") == "v0002" and data_dir.previous("v0002") is None


def test_switch_replaces_the_pointer_and_leaves_no_temporary_file(tmp_path):
    data_dir = make_versions(tmp_path, "v0001", "v0002")
    data_dir.switch("v0001")
    data_dir.switch("v0002")
    assert data_dir.current() == "v0002"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["CURRENT", "versions"]


def test_switch_to_a_missing_version_is_refused_and_changes_nothing(tmp_path):
    data_dir = make_versions(tmp_path, "v0001")
    data_dir.switch("v0001")
    with pytest.raises(IndexNotFoundError, match="v0007.*citewise index list"):
        data_dir.switch("v0007")
    assert data_dir.current() == "v0001"


def test_prune_keeps_the_newest_and_never_the_serving_version(tmp_path):
    data_dir = make_versions(tmp_path, "v0001", "v0002", "v0003", "v0004")
    data_dir.switch("v0001")  # rolled back
    assert data_dir.prune(2) == ["v0002"]
    assert data_dir.versions() == ["v0001", "v0003", "v0004"]


def test_clean_staging_removes_what_killed_builds_left(tmp_path):
    data_dir = make_versions(tmp_path, "v0001", ".build-v0002-4242")
    (tmp_path / ".CURRENT.4242.tmp").write_text("v0002\n")
    data_dir.switch("v0001")
    assert data_dir.clean_staging() == [".CURRENT.4242.tmp", ".build-v0002-4242"]
    assert data_dir.versions() == ["v0001"] and data_dir.current() == "v0001"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["CURRENT", "versions"]


def test_invalid_version_names_are_refused(tmp_path):
    with pytest.raises(IndexNotFoundError, match="'../etc'.*v0001"):
        DataDir(tmp_path).path_of("../etc")
