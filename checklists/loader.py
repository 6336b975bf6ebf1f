"""Load checklist and module YAML files into the schema, reporting every problem as `FILE:LINE: message`.

Why this is more than `yaml.safe_load` + `model_validate`: a checklist author (often not a programmer) needs to
see all the mistakes of a file at once, each with the line to fix, in Chinese. So the file is composed into YAML
nodes that remember their line (`yaml_lines`), pydantic's errors are worded and put on the nearest node's line
(`schema_errors`), and the checks pydantic cannot make (duplicate keys, duplicate item codes across sections and
modules, includes that do not resolve) are made on the nodes directly, here. Bad input never raises: every
problem becomes a `ChecklistError` (`messages` holds the words).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from yaml.nodes import Node, SequenceNode

from checklists.messages import MESSAGES, ChecklistError
from checklists.schema import Checklist, Module
from checklists.schema_errors import validate
from checklists.yaml_lines import Parsed, duplicate_keys, entry_value, key_line, mapping_entry, parse, scalar_text

__all__ = [
    "BUILTIN_DIR",
    "BUILTIN_MODULES_DIR",
    "ChecklistError",
    "LoadResult",
    "load_checklist",
    "load_file",
    "load_files",
    "load_module",
]

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"
BUILTIN_MODULES_DIR = BUILTIN_DIR / "modules"

MODULE_ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]*$")

Kind = Literal["checklist", "module"]


@dataclass
class LoadResult:
    """What loading one file gave: the document (None when any error was found) and every error."""

    path: str
    kind: Kind | None = None
    document: Checklist | Module | None = None
    errors: list[ChecklistError] = field(default_factory=list)
    key_line: int = 1  # the line of `id:` / `module:`, for messages about the file's identity
    version_line: int = 1


def _item_codes(items_node: Node | None) -> list[tuple[str, int]]:
    """(code, line) of each item in an `items:` sequence node, read off the nodes so it works on a broken file."""
    codes: list[tuple[str, int]] = []
    if isinstance(items_node, SequenceNode):
        for item in items_node.value:
            entry = mapping_entry(item, "code")
            code = scalar_text(entry[1]) if entry else None
            if entry is not None and code:
                codes.append((code, entry[1].start_mark.line + 1))
    return codes


# ----------------------------------------------------------------------------------------------- loading


class _Session:
    """One batch of loads sharing the modules it has read, so a module included by many checklists is read once."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.modules: dict[Path, LoadResult] = {}

    def load(self, path: str | os.PathLike[str], expect: Kind | None = None) -> LoadResult:
        shown = os.fspath(path)
        file = Path(shown)
        parsed = parse(file, shown, self.lang)
        result = LoadResult(path=shown, errors=list(parsed.errors))
        if parsed.root is None:
            return result
        has_module, has_id = mapping_entry(parsed.root, "module"), mapping_entry(parsed.root, "id")
        kind: Kind = "module" if has_module and not has_id else "checklist"
        result.kind = kind
        result.key_line = key_line(parsed.root, "module" if kind == "module" else "id")
        result.version_line = key_line(parsed.root, "version")
        if expect is not None and kind != expect:
            key = "is_module" if kind == "module" else "is_checklist"
            result.errors.append(ChecklistError(shown, result.key_line, MESSAGES(key, self.lang)))
            return result
        if kind == "module":
            self._load_module(file, shown, parsed, result)
        else:
            self._load_checklist(file, shown, parsed, result)
        return result

    def _load_module(self, file: Path, shown: str, parsed: Parsed, result: LoadResult) -> None:
        assert parsed.root is not None
        errors = duplicate_keys(parsed.root, shown, self.lang)
        module, schema_errors = validate(Module, parsed, shown, self.lang)
        errors += schema_errors
        name = scalar_text(entry[1]) if (entry := mapping_entry(parsed.root, "module")) else None
        if name and MODULE_ID_PATTERN.match(name) and file.suffix in (".yaml", ".yml") and file.stem != name:
            errors.append(
                ChecklistError(
                    shown, result.key_line, MESSAGES("module_name_mismatch", self.lang, stem=file.stem, value=name)
                )
            )
        errors += self._duplicate_codes(shown, [(None, _item_codes(entry_value(parsed.root, "items")))])
        result.errors += sorted(errors, key=lambda e: e.line)
        result.document = module if not result.errors else None

    def _load_checklist(self, file: Path, shown: str, parsed: Parsed, result: LoadResult) -> None:
        assert parsed.root is not None
        errors = duplicate_keys(parsed.root, shown, self.lang)
        checklist, schema_errors = validate(Checklist, parsed, shown, self.lang)
        errors += schema_errors
        foreign: list[ChecklistError] = []  # errors inside included module files
        modules: dict[int, Module] = {}  # section index -> resolved module
        groups: list[tuple[tuple[str, int] | None, list[tuple[str, int]]]] = []
        sections = entry_value(parsed.root, "sections")
        for index, section in enumerate(sections.value if isinstance(sections, SequenceNode) else []):
            groups.append((None, _item_codes(entry_value(section, "items"))))
            include = mapping_entry(section, "include")
            name = scalar_text(include[1]) if include else None
            if include is None or name is None:
                continue  # absent, or not text (the schema reports the wrong type)
            line = include[1].start_mark.line + 1
            module = self._resolve(name, file, shown, line, errors, foreign)
            if module is not None:
                modules[index] = module
                groups.append(((name, line), [(item.code, line) for item in module.items]))
        errors += self._duplicate_codes(shown, groups)
        result.errors += sorted(errors, key=lambda e: e.line) + foreign
        if result.errors or checklist is None:
            return
        resolved = [
            s.model_copy(update={"items": [*s.items, *modules[i].items], "include": None}) if i in modules else s
            for i, s in enumerate(checklist.sections)
        ]
        result.document = checklist.model_copy(update={"sections": resolved})

    def _resolve(
        self, name: str, file: Path, shown: str, line: int, errors: list[ChecklistError], foreign: list[ChecklistError]
    ) -> Module | None:
        if not MODULE_ID_PATTERN.match(name):
            errors.append(ChecklistError(shown, line, MESSAGES("bad_module_id", self.lang, value=name)))
            return None
        places = _module_dirs(file)
        for folder in places:
            candidate = folder / f"{name}.yaml"
            if candidate.is_file():
                key = candidate.resolve()
                if key not in self.modules:
                    self.modules[key] = self.load(candidate, expect="module")
                    foreign += self.modules[key].errors
                loaded = self.modules[key]
                if isinstance(loaded.document, Module):
                    return loaded.document
                errors.append(
                    ChecklistError(shown, line, MESSAGES("module_broken", self.lang, module=name, path=loaded.path))
                )
                return None
        shown_places = ", ".join(str(p) for p in places)
        errors.append(
            ChecklistError(shown, line, MESSAGES("module_not_found", self.lang, module=name, places=shown_places))
        )
        return None

    def _duplicate_codes(
        self, shown: str, groups: Iterable[tuple[tuple[str, int] | None, list[tuple[str, int]]]]
    ) -> list[ChecklistError]:
        """Item codes must be unique across the whole checklist; report each repeat where it appears second."""
        errors: list[ChecklistError] = []
        first: dict[str, tuple[int, str | None]] = {}  # code -> (line, module that brought it)
        for origin, codes in groups:
            reported_modules: set[str] = set()
            for code, line in codes:
                if code not in first:
                    first[code] = (line, origin[0] if origin else None)
                    continue
                first_line, first_module = first[code]
                if origin is not None:
                    key = "duplicate_code_from_module"
                    if code in reported_modules:
                        continue
                    reported_modules.add(code)
                    message = MESSAGES(key, self.lang, module=origin[0], code=code, first=first_line)
                elif first_module is not None:
                    message = MESSAGES(
                        "duplicate_code_module", self.lang, code=code, first=first_line, module=first_module
                    )
                else:
                    message = MESSAGES("duplicate_code", self.lang, code=code, first=first_line)
                errors.append(ChecklistError(shown, line, message))
        return errors


def _module_dirs(file: Path) -> list[Path]:
    """Where `include: NAME` looks for NAME.yaml: beside the file, its modules/ folder, then the built-in modules."""
    places: list[Path] = []
    for folder in (file.parent, file.parent / "modules", BUILTIN_MODULES_DIR):
        if folder.is_dir() and all(folder.resolve() != p.resolve() for p in places):
            places.append(folder)
    return places


# ----------------------------------------------------------------------------------------------- public API


def load_file(path: str | os.PathLike[str], lang: str = "zh") -> LoadResult:
    """Load a checklist or a module file, whichever it is (a module file has `module:` and no `id:`)."""
    return load_files([path], lang)[0]


def load_files(paths: Iterable[str | os.PathLike[str]], lang: str = "zh") -> list[LoadResult]:
    """Load several files, reading each included module once."""
    session = _Session(lang)
    return [_guarded(session, p) for p in paths]


def load_checklist(path: str | os.PathLike[str], lang: str = "zh") -> tuple[Checklist | None, list[ChecklistError]]:
    """A checklist with its includes resolved, or None and every error found (never raises for bad input)."""
    result = _guarded(_Session(lang), path, expect="checklist")
    return (result.document if isinstance(result.document, Checklist) else None), result.errors


def load_module(path: str | os.PathLike[str], lang: str = "zh") -> tuple[Module | None, list[ChecklistError]]:
    """A shared module file, or None and every error found (never raises for bad input)."""
    result = _guarded(_Session(lang), path, expect="module")
    return (result.document if isinstance(result.document, Module) else None), result.errors


def _guarded(session: _Session, path: str | os.PathLike[str], expect: Kind | None = None) -> LoadResult:
    try:
        return session.load(path, expect)
    except Exception as exc:  # the last safety net: bad input must never surface as a traceback
        shown = os.fspath(path)
        detail = f"{type(exc).__name__}: {exc}"
        return LoadResult(path=shown, errors=[ChecklistError(shown, 1, MESSAGES("crash", session.lang, detail=detail))])
