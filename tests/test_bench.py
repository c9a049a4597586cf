"""The benchmark and tuning scripts are run by hand and by `make bench`, never by another test: each
must at least import, so a name one of them uses cannot vanish from the module it comes from unseen."""

from __future__ import annotations

import importlib

import pytest

from tests.conftest import REPO

MODULES = sorted(path.stem for path in (REPO / "bench").glob("*.py") if path.stem != "__init__")


@pytest.mark.parametrize("module", MODULES)
def test_the_benchmark_module_imports(module):
    importlib.import_module(f"bench.{module}")
