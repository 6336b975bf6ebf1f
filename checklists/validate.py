"""`inspector checklist validate|list`: check checklist files before they are installed, and show what is installed.

The validator prints compiler-style `FILE:LINE: message` lines so editors and CI can jump to them, and it checks
what one file alone cannot show: an inspection pins a checklist by id and version, so two different checklists
must never share an id@version (neither with each other nor with a built-in one).
"""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from checklists.i18n import Catalogue, Plural, pick
from checklists.loader import ChecklistError, LoadResult, load_files
from checklists.registry import BUILTIN_MODULES_DIR, BuiltinChecklistError, builtin_checklist_paths, builtin_checklists
from checklists.schema import Checklist, Module

__all__ = ["list_main", "validate_main"]

MESSAGES = Catalogue(
    "checklists.validate",
    {
        "no_files": ("没有给出要检查的文件", "no files given"),
        "ok_checklist": (
            "{path}: OK（检查表 {key}，{sections}，{items}）",
            "{path}: OK (checklist {key}: {sections}, {items})",
        ),
        "ok_module": ("{path}: OK（模块 {key}，{items}）", "{path}: OK (module {key}: {items})"),
        "sections": ("{n} 个分节", Plural("{n} section", "{n} sections")),
        "items": ("{n} 个条目", Plural("{n} item", "{n} items")),
        "reused": (
            "{what} {key} 的 id 和版本已在 {other} 中使用；内容不同的{what}必须换一个 version",
            "{what} {key} already exists in {other} with the same id and version; a different one needs a new version",
        ),
        "reused_builtin": (
            "{what} {key} 与内置{what}同 id 同版本，但内容不同；修改内容时请提高 version",
            "{what} {key} has the id and version of a built-in one but different content; raise its version",
        ),
        "checklist": ("检查表", "checklist"),
        "module": ("模块", "module"),
        "builtin_broken": (
            "内置检查表有错误（安装包已损坏）：",
            "the built-in checklists are broken (damaged install):",
        ),
        "list_header": ("id|版本|点位类型|分节|条目|来源|标题", "id|version|site type|sections|items|origin|title"),
        "origin.builtin": ("内置", "built-in"),
        "origin.hq": ("总部发布", "HQ published"),
        "origin.local": ("本机加入", "added locally"),
    },
)

# The label of each origin a row can have (ORIGINS).
_ORIGIN_LABEL = {"builtin": "origin.builtin", "hq": "origin.hq", "local": "origin.local"}


def _identity(document: Checklist | Module) -> tuple[str, str]:
    if isinstance(document, Checklist):
        return "checklist", document.key
    return "module", f"{document.module}@{document.version}"


def _same_file(a: str, b: str | Path) -> bool:
    try:
        return Path(a).samefile(b)
    except OSError:
        return False


def _builtin_documents(lang: str) -> dict[tuple[str, str], tuple[Checklist | Module, Path]]:
    """The installed documents by identity, to refuse a user file that reuses one's id@version with new content."""
    found: dict[tuple[str, str], tuple[Checklist | Module, Path]] = {}
    try:
        checklists = builtin_checklists()
    except BuiltinChecklistError:
        return found  # the test suite guards the built-ins; here they only add a comparison
    for path, checklist in zip(builtin_checklist_paths(), checklists, strict=False):
        found[_identity(checklist)] = (checklist, path)
    for result in load_files(sorted(BUILTIN_MODULES_DIR.glob("*.yaml")), lang):
        if isinstance(result.document, Module):
            found[_identity(result.document)] = (result.document, Path(result.path))
    return found


def _reuse_errors(results: list[LoadResult], lang: str) -> list[ChecklistError]:
    errors: list[ChecklistError] = []
    builtins: dict[tuple[str, str], tuple[Checklist | Module, Path]] | None = None
    seen: dict[tuple[str, str], str] = {}
    for result in results:
        document = result.document
        if document is None:
            continue
        identity = _identity(document)
        what = MESSAGES(identity[0], lang)
        other = seen.get(identity)
        if other is not None and not _same_file(other, result.path):
            message = MESSAGES("reused", lang, what=what, key=identity[1], other=other)
            errors.append(ChecklistError(result.path, result.version_line, message))
            continue
        seen[identity] = result.path
        if builtins is None:
            builtins = _builtin_documents(lang)
        installed = builtins.get(identity)
        changed = installed is not None and installed[0].model_dump() != document.model_dump()
        if installed is not None and changed and not _same_file(result.path, installed[1]):
            message = MESSAGES("reused_builtin", lang, what=what, key=identity[1])
            errors.append(ChecklistError(result.path, result.version_line, message))
    return errors


def validate_main(paths: Sequence[str], out: TextIO, err: TextIO, lang: str = "zh") -> int:
    """Check each file; one `FILE:LINE: message` per error on `err`, one OK line per valid file on `out`.

    Returns 0 when every file is valid, else 1.
    """
    if not paths:
        err.write(MESSAGES("no_files", lang) + "\n")
        return 1
    results = load_files(paths, lang)
    reuse = _reuse_errors(results, lang)
    printed: set[str] = set()
    bad_files = 0
    for result in results:
        errors = result.errors + [e for e in reuse if e.path == result.path]
        if errors:
            bad_files += 1
            for error in errors:
                line = str(error)
                if line not in printed:  # a module included by several files reports its errors once
                    printed.add(line)
                    err.write(line + "\n")
            continue
        document = result.document
        if isinstance(document, Checklist):
            sections = MESSAGES("sections", lang, n=len(document.sections))
            items = MESSAGES("items", lang, n=len(document.items))
            out.write(
                MESSAGES("ok_checklist", lang, path=result.path, key=document.key, sections=sections, items=items)
            )
            out.write("\n")
        elif isinstance(document, Module):
            items = MESSAGES("items", lang, n=len(document.items))
            out.write(MESSAGES("ok_module", lang, path=result.path, key=_identity(document)[1], items=items) + "\n")
    return 1 if bad_files else 0


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


ORIGINS = ("builtin", "hq", "local")  # where a checklist comes from: shipped, published by HQ, `checklist add`


def list_main(
    as_json: bool,
    out: TextIO,
    lang: str = "zh",
    err: TextIO | None = None,
    held: Sequence[tuple[Checklist, str]] = (),
) -> int:
    """Print the checklists: the built-ins, then those the laptop holds (`held`: each with its origin, "hq" or
    "local"), with id, version, site type, section and item counts, origin and title (JSON on request). A held copy
    identical to a built-in (pinned by a walk) is the built-in."""
    try:
        checklists = builtin_checklists()
    except BuiltinChecklistError as exc:
        stream = err if err is not None else sys.stderr
        stream.write(MESSAGES("builtin_broken", lang) + "\n" + "\n".join(str(e) for e in exc.errors) + "\n")
        return 1
    listed: list[tuple[Checklist, str]] = [(c, "builtin") for c in checklists]
    shipped = {c.key: c for c in checklists}
    others = [(c, origin) for c, origin in held if shipped.get(c.key) != c]
    listed += sorted(others, key=lambda co: (co[0].site_type, co[0].id, co[0].version))
    rows = [
        {
            "id": c.id,
            "version": c.version,
            "key": c.key,
            "title": pick((c.title, c.title_en or c.title), lang),
            "site_type": c.site_type,
            "sections": len(c.sections),
            "items": len(c.items),
            "builtin": origin == "builtin",
            "origin": origin,
        }
        for c, origin in listed
    ]
    if as_json:
        out.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    table = [MESSAGES("list_header", lang).split("|")]
    table += [
        [
            str(r["id"]),
            str(r["version"]),
            str(r["site_type"]),
            str(r["sections"]),
            str(r["items"]),
            MESSAGES(_ORIGIN_LABEL[str(r["origin"])], lang),
            str(r["title"]),
        ]
        for r in rows
    ]
    widths = [max(_width(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        out.write("  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() + "\n")
    return 0
