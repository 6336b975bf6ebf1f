"""ruff and mypy run clean: part of the suite, so CI fails when either finds something."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["checklists", "inspector", "sync", "tests", "bench", "run.py"]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, encoding="utf-8", check=False)


@pytest.mark.xdist_group("quality")
def test_ruff_is_clean() -> None:
    result = run(sys.executable, "-m", "ruff", "check", "--no-cache", *PACKAGES)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.xdist_group("quality")
def test_ruff_format_is_clean() -> None:
    result = run(sys.executable, "-m", "ruff", "format", "--check", "--no-cache", *PACKAGES)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.xdist_group("quality")
def test_mypy_strict_is_clean() -> None:
    result = run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr
