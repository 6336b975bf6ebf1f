"""The layering of design §2, checked on the source: arrows point one way only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def offenders(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in files:
        for name in imported_modules(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


def core_files() -> list[Path]:
    return sources("inspector/core")


RULES = [
    ("checklists imports nothing of the app", lambda: sources("checklists"), ("inspector", "sync", "textual", "httpx")),
    (
        "the core imports no UI, network or server stack",
        core_files,
        ("textual", "httpx", "fastapi", "starlette", "sqlalchemy", "uvicorn", "inspector.tui", "inspector.cli", "sync"),
    ),
    ("sync never imports the TUI", lambda: sources("sync"), ("textual", "inspector.tui", "inspector.cli")),
    ("the server never imports the field store", lambda: sources("sync/hq"), ("inspector.core.store", "tinydb")),
    ("reports import no UI", lambda: sources("inspector/reports"), ("textual", "inspector.tui", "httpx")),
]


@pytest.mark.parametrize(("rule", "files", "forbidden"), RULES, ids=[r[0] for r in RULES])
def test_layer_rule(rule: str, files: object, forbidden: tuple[str, ...]) -> None:
    assert callable(files)
    paths = files()
    assert paths or rule.startswith("the server"), f"no sources found for rule {rule!r}"
    assert offenders(paths, forbidden) == []


def test_only_the_store_imports_tinydb() -> None:
    allowed = {ROOT / "inspector/core/store.py", ROOT / "inspector/core/storage.py"}
    everything = sources("checklists") + sources("inspector") + sources("sync")
    users = [p for p in everything if p not in allowed and offenders([p], ("tinydb",))]
    assert users == []


def test_only_the_sync_client_imports_httpx_on_the_field_side() -> None:
    field_side = sources("inspector") + [p for p in sources("sync") if "hq" not in p.parts]
    users = [str(p.relative_to(ROOT)) for p in field_side if offenders([p], ("httpx",))]
    assert users in ([], ["sync/client.py"])


def test_only_the_tui_imports_textual() -> None:
    outside = [p for p in sources("inspector") if "tui" not in p.relative_to(ROOT).parts]
    assert offenders(outside, ("textual",)) == []


def test_the_scan_sees_imports() -> None:
    """Guard the guard: the scanner must catch both import forms, or every rule above passes vacuously."""
    sample = ROOT / "inspector/cli.py"
    names = imported_modules(sample)
    assert "argparse" in names and "pathlib" in names
