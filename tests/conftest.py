"""Fixtures shared by the TUI tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.core.store import Store
from tests.tui_support import open_demo_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A data dir with the demo sites, closed (its lock released) after the test. Modules may define their own."""
    store = open_demo_store(tmp_path)
    yield store
    store.close()
