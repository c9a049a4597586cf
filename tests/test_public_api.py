"""Each layer's public names are a list, and the layers import one way: chat -> index -> ingest."""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

from tests.conftest import REPO


LAYERS = ["ingest", "index", "chat"]


@pytest.mark.parametrize("package", LAYERS)
def test_all_lists_importable_public_names(package):
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, name
        assert not name.startswith("_")


@pytest.mark.parametrize("package", ["ingest", "index"])
def test_all_is_exactly_what_the_package_exports(package):
    # As httpx's test_exported_members: a name imported into the package is public only if listed.
    module = importlib.import_module(package)
    exported = {name for name, value in vars(module).items() if not name.startswith("_") and not inspect.ismodule(value)}
    assert exported - {"annotations"} == set(module.__all__)


def _reaches_past(package: str, path) -> list[str]:
    """Imports in ``path`` of ``package``'s modules rather than of the names it exports."""
    pattern = re.compile(rf"^\s*(?:from|import) {package}\.(\w+)", re.M)
    return [f"{path.relative_to(REPO)}: {package}.{module}" for module in pattern.findall(path.read_text())]


@pytest.mark.parametrize("package", ["ingest", "index"])
def test_other_layers_use_only_the_exported_names(package):
    others = [REPO / layer for layer in (*LAYERS, "bench") if layer != package]
    offenders = [hit for folder in others for path in folder.rglob("*.py") for hit in _reaches_past(package, path)]
    assert offenders == []


@pytest.mark.parametrize("lower, higher", [("ingest", "index"), ("ingest", "chat"), ("index", "chat")])
def test_lower_layers_never_import_higher_ones(lower, higher):
    pattern = re.compile(rf"^\s*(from|import) {higher}\b", re.M)
    offenders = [str(p.relative_to(REPO)) for p in (REPO / lower).rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []
