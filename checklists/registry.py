"""The built-in checklists, loaded once per process and shared.

Loading parses YAML and validates with pydantic (about 20 ms for the three built-ins with libyaml); the app asks
for checklists from many places (start-up, each inspection, the list command), so the result is cached.
A broken built-in file is a packaging bug, caught by the test suite: it raises `BuiltinChecklistError` here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from checklists.loader import BUILTIN_DIR, BUILTIN_MODULES_DIR, ChecklistError, load_files
from checklists.schema import Checklist

__all__ = [
    "BUILTIN_DIR",
    "BUILTIN_MODULES_DIR",
    "SITE_TYPE_ALIASES",
    "BuiltinChecklistError",
    "builtin_checklist",
    "builtin_checklist_paths",
    "builtin_checklists",
    "checklist_for_site_type",
]

# Words inspectors and site lists use for the same kind of site as a built-in checklist's `site_type`.
SITE_TYPE_ALIASES: dict[str, str] = {
    "居民小区": "楼院",
    "小区": "楼院",
    "住宅小区": "楼院",
    "街巷": "背街小巷",
    "小街巷": "背街小巷",
    "广场": "公共广场",
}


class BuiltinChecklistError(RuntimeError):
    """A built-in checklist file does not load: the package itself is broken."""

    def __init__(self, errors: list[ChecklistError]) -> None:
        self.errors = errors
        super().__init__("built-in checklists are broken:\n" + "\n".join(str(e) for e in errors))


def builtin_checklist_paths() -> list[Path]:
    """The built-in checklist files (modules excluded), in a stable order."""
    return sorted(BUILTIN_DIR.glob("*.yaml"))


@cache
def _load_builtins() -> tuple[Checklist, ...]:
    results = load_files(builtin_checklist_paths(), lang="en")
    errors = [e for r in results for e in r.errors]
    checklists = [r.document for r in results if isinstance(r.document, Checklist)]
    seen: dict[str, str] = {}
    for result in results:
        document = result.document
        if isinstance(document, Checklist):
            if document.key in seen:
                message = f"checklist {document.key} is also defined in {seen[document.key]}"
                errors.append(ChecklistError(result.path, result.version_line, message))
            seen[document.key] = result.path
        elif not result.errors:
            errors.append(ChecklistError(result.path, result.key_line, "a module file among the checklists"))
    if errors:
        raise BuiltinChecklistError(errors)
    return tuple(checklists)


def builtin_checklists() -> list[Checklist]:
    """Every built-in checklist with its includes resolved. Loaded on first call, then served from memory."""
    return list(_load_builtins())


def builtin_checklist(checklist_id: str) -> Checklist | None:
    """The built-in checklist with this id, or None."""
    return next((c for c in _load_builtins() if c.id == checklist_id), None)


def checklist_for_site_type(site_type: str) -> Checklist | None:
    """The built-in checklist to walk at a site of this type (楼院, 背街小巷, 公共广场 or an alias), or None."""
    wanted = SITE_TYPE_ALIASES.get(site_type.strip(), site_type.strip())
    return next((c for c in _load_builtins() if c.site_type == wanted), None)
