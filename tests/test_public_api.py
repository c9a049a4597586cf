"""Each layer's public names are a list, and the layers import one way: chat -> index -> ingest."""

from __future__ import annotations

import importlib
import re

import pytest

from tests.conftest import REPO


@pytest.mark.parametrize("package", ["ingest", "index", "chat"])
def test_all_lists_importable_public_names(package):
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, name
        assert not name.startswith("_")


@pytest.mark.parametrize("lower, higher", [("ingest", "index"), ("ingest", "chat"), ("index", "chat")])
def test_lower_layers_never_import_higher_ones(lower, higher):
    pattern = re.compile(rf"^\s*(from|import) {higher}\b", re.M)
    offenders = [str(p.relative_to(REPO)) for p in (REPO / lower).rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []
