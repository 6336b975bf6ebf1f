"""`inspector checklist add FILE.yaml`: a laptop without HQ takes a checklist of its own.

The file is checked exactly as `inspector checklist validate` checks it (the same `FILE:LINE:` messages) and kept
in the store beside the versions HQ publishes; a new inspection of its site type then walks it when it is the
newest version there (inspector/core/overview.py `checklist_for_site`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from checklists.i18n import Catalogue
from checklists.schema import Checklist
from inspector.core.store import Store

TEXT = Catalogue(
    "checklist.add",
    {
        "added": (
            "已加入检查表 {key}（{site_type}，{items} 项）：此后新建的{site_type}检查将使用它",
            "added checklist {key} ({site_type}, {items} items): new inspections of a {site_type} walk it",
        ),
        "same": ("检查表 {key} 已在本机，内容相同", "checklist {key} is already here, with the same content"),
        "clash": (
            "本机已有内容不同的 {key}：同一 id 和版本只能有一种内容，请提高 version 后再加入",
            "a different {key} is already here: an id and version have one content only; raise its version",
        ),
        "not_checklist": (
            "{path} 是模块，不是检查表：模块由检查表 include，不能单独加入",
            "{path} is a module, not a checklist: a module is included by a checklist, never added alone",
        ),
    },
)


def checklist_add_main(store: Store, path: Path, out: TextIO, err: TextIO, lang: str = "zh") -> int:
    from checklists.loader import load_files
    from checklists.validate import validate_main

    if validate_main([str(path)], out, err, lang) != 0:
        return 1
    document = load_files([str(path)], lang)[0].document
    if not isinstance(document, Checklist):
        err.write(TEXT("not_checklist", lang, path=path) + "\n")
        return 1
    held = store.checklist(document.id, document.version)
    if held is not None:
        if held == document:
            out.write(TEXT("same", lang, key=document.key) + "\n")
            return 0
        err.write(TEXT("clash", lang, key=document.key) + "\n")
        return 1
    store.put_checklist(document)
    _remember_added(store.data_dir, document.key)
    out.write(TEXT("added", lang, key=document.key, site_type=document.site_type, items=len(document.items)) + "\n")
    return 0


# The keys of the checklists added here, so `inspector checklist list` can tell them from HQ's (the store keeps
# both alike). A small JSON list beside the records; lost, the list calls those checklists HQ's, nothing else.
ADDED_FILE = "checklists_added.json"


def added_keys(data_dir: Path) -> set[str]:
    try:
        loaded = json.loads((data_dir / ADDED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {str(key) for key in loaded} if isinstance(loaded, list) else set()


def _remember_added(data_dir: Path, key: str) -> None:
    keys = sorted(added_keys(data_dir) | {key})
    temp = data_dir / (ADDED_FILE + ".tmp")
    temp.write_text(json.dumps(keys, ensure_ascii=False, indent=1), encoding="utf-8")
    temp.replace(data_dir / ADDED_FILE)  # whole or not at all, on Windows too


def held_with_origin(store: Store) -> list[tuple[Checklist, str]]:
    """The checklists the laptop holds, each "local" (added here) or "hq" (published by HQ, or a pinned copy of one;
    list_main tells a pinned built-in by its content)."""
    added = added_keys(store.data_dir)
    return [(c, "local" if c.key in added else "hq") for c in store.checklists()]
