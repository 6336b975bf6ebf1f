"""The layering (docs/architecture.md), checked on the source: arrows point one way only.

checklists ← inspector core ← sync (wire, device client) ← inspector tui/cli; inspector core and reports ← sync.hq.
Inside sync.hq, the front ends (api, cli, console) call the services and never each other."""

from __future__ import annotations

import ast
import functools
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
            # `from sync.hq import cli` imports the module sync.hq.cli: count it under that name too
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
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


INSPECTOR_COMMAND = ROOT / "inspector/cli.py"


def device_side() -> list[Path]:
    """The field side of sync (everything but sync/hq) and the field app, but for the `inspector` command, which
    reaches the `inspector hq ...` commands (test below)."""
    field_app = [p for p in sources("inspector") if p != INSPECTOR_COMMAND]
    return [p for p in sources("sync") if "hq" not in p.relative_to(ROOT).parts] + field_app


def hq_front_end(name: str) -> list[Path]:
    """One HQ front end: a package under sync/hq, or the single module sync/hq/NAME.py."""
    module = ROOT / "sync" / "hq" / f"{name}.py"
    return [module] if module.is_file() else sources(f"sync/hq/{name}")


HQ_FRONT_ENDS = ("api", "cli", "console")


RULES = [
    ("checklists imports nothing of the app", lambda: sources("checklists"), ("inspector", "sync", "textual", "httpx")),
    (
        "the core imports no UI, network or server stack",
        core_files,
        ("textual", "httpx", "fastapi", "starlette", "sqlalchemy", "uvicorn", "inspector.tui", "inspector.cli", "sync"),
    ),
    ("sync never imports the TUI", lambda: sources("sync"), ("textual", "inspector.tui", "inspector.cli")),
    (
        "HQ never imports the laptop's store, the TUI, the inspector command or the device client",
        lambda: sources("sync/hq"),
        (
            "inspector.core.store",
            "tinydb",
            "inspector.tui",
            "inspector.cli",
            "sync.client",
            "sync.credentials",
            "sync.commands",
        ),
    ),
    ("the device side never imports HQ", device_side, ("sync.hq",)),
    (
        "HQ services never import the web stack",
        lambda: sources("sync/hq/services"),
        ("fastapi", "starlette", "uvicorn"),
    ),
    *[
        (
            f"the HQ {name} never imports another HQ front end",
            functools.partial(hq_front_end, name),
            tuple(f"sync.hq.{other}" for other in HQ_FRONT_ENDS if other != name),
        )
        for name in HQ_FRONT_ENDS
    ],
    ("reports import no UI", lambda: sources("inspector/reports"), ("textual", "inspector.tui", "httpx")),
]


@pytest.mark.parametrize(("rule", "files", "forbidden"), RULES, ids=[r[0] for r in RULES])
def test_layer_rule(rule: str, files: object, forbidden: tuple[str, ...]) -> None:
    assert callable(files)
    paths = files()
    assert paths or "console" in rule, f"no sources found for rule {rule!r}"  # the web console is still to come
    assert offenders(paths, forbidden) == []


def test_the_inspector_command_reaches_hq_only_through_its_commands() -> None:
    hq_imports = {n for n in imported_modules(INSPECTOR_COMMAND) if n == "sync.hq" or n.startswith("sync.hq.")}
    assert hq_imports, "the inspector command should dispatch `inspector hq ...` to sync.hq.cli"
    assert [n for n in hq_imports if not n.startswith("sync.hq.cli")] == []


def test_only_the_store_imports_tinydb() -> None:
    allowed = {ROOT / f"inspector/core/store/{name}.py" for name in ("storage", "files", "migrate_v1")}
    everything = sources("checklists") + sources("inspector") + sources("sync")
    users = [p for p in everything if p not in allowed and offenders([p], ("tinydb",))]
    assert users == []


def test_only_the_sync_client_imports_httpx_on_the_field_side() -> None:
    field_side = sources("inspector") + [p for p in sources("sync") if "hq" not in p.parts]
    users = [str(p.relative_to(ROOT)) for p in field_side if offenders([p], ("httpx",))]
    assert set(users) <= {"sync/client/http.py", "sync/client/round.py"}  # round.py: only to type its argument


def test_only_the_tui_imports_textual() -> None:
    outside = [p for p in sources("inspector") if "tui" not in p.relative_to(ROOT).parts]
    assert offenders(outside, ("textual",)) == []


def test_the_scan_sees_imports() -> None:
    """Guard the guard: the scanner must catch both import forms, or every rule above passes vacuously."""
    sample = ROOT / "inspector/cli.py"
    names = imported_modules(sample)
    assert "argparse" in names and "pathlib" in names
