"""YAML text to nodes that remember their line: read a file safely, parse it, and find the line of any field.

`yaml.safe_load` gives plain data and forgets where it came from; a checklist author needs `FILE:LINE:` for every
mistake. So the file is composed into YAML nodes (each keeps its start mark) and constructed from them, and the
loader walks those nodes to put a line on each problem. Garbage must not exhaust the parser: huge files, deep
nesting and alias bombs are refused before composing, with the line where they start.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from checklists.messages import MESSAGES, ChecklistError, describe, yaml_problem

__all__ = [
    "MAX_DEPTH",
    "MAX_EXPANDED_NODES",
    "MAX_FILE_BYTES",
    "Parsed",
    "duplicate_keys",
    "entry_value",
    "key_line",
    "line_of",
    "mapping_entry",
    "non_text_key_line",
    "parse",
    "scalar_text",
]

MAX_FILE_BYTES = 2 * 1024 * 1024  # a checklist is tens of kilobytes; anything this big is a wrong file
MAX_DEPTH = 50  # a checklist nests 5 levels deep; deep nesting only ever comes from garbage (and crashes libyaml)
MAX_EXPANDED_NODES = 200_000  # YAML aliases can multiply a small file into billions of nodes

_NOT_YAML_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_STR_TAG = "tag:yaml.org,2002:str"

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster


@dataclass
class Parsed:
    """A file composed into nodes (`root`) and constructed into data, or the errors that stopped it."""

    root: Node | None = None
    data: Any = None
    errors: list[ChecklistError] = field(default_factory=list)


def _read_text(path: Path, shown: str, lang: str) -> tuple[str | None, list[ChecklistError]]:
    def fail(line: int, key: str, **values: Any) -> tuple[None, list[ChecklistError]]:
        return None, [ChecklistError(shown, line, MESSAGES(key, lang, **values))]

    try:
        if path.is_dir():
            return fail(0, "is_directory")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return fail(0, "too_big", size=size, limit=MAX_FILE_BYTES)
        raw = path.read_bytes()
    except FileNotFoundError:
        return fail(0, "missing_file")
    except OSError as exc:
        return fail(0, "unreadable", reason=exc.strerror or type(exc).__name__)
    if raw.startswith(b"\xef\xbb\xbf"):  # Windows Notepad writes a BOM; it is still UTF-8
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return fail(raw.count(b"\n", 0, exc.start) + 1, "not_utf8", byte=raw[exc.start])
    bad = _NOT_YAML_PRINTABLE.search(text)
    if bad:
        return fail(text.count("\n", 0, bad.start()) + 1, "bad_char", code=ord(bad.group()))
    return text, []


def _yaml_message(exc: yaml.MarkedYAMLError, text: str, lang: str) -> tuple[int, str]:
    problem = exc.problem or ""
    mark = exc.problem_mark or exc.context_mark
    if "unexpected end of stream" in problem and exc.context_mark is not None:
        mark = exc.context_mark  # an unclosed quote: point where it opened, not at the end of the file
    line = mark.line + 1 if mark is not None else 1
    lines = text.splitlines()
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in source_line[: len(source_line) - len(source_line.lstrip())]:
        problem = "found character '\\t'"  # libyaml does not name the tab; editors hide it: say it plainly
    return line, MESSAGES("yaml", lang, detail=yaml_problem(problem, lang))


def _mark_line(mark: Any) -> int:
    return int(mark.line) + 1 if mark is not None else 1


def _check_shape(text: str, shown: str, lang: str) -> list[ChecklistError]:
    """Refuse garbage that would exhaust the parser: deep nesting and alias bombs (libyaml crashes on the former)."""
    depth = 0
    sizes: list[int] = [0]
    anchored: dict[str, int] = {}
    pending_anchor: list[str | None] = []
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return [
                    ChecklistError(shown, _mark_line(event.start_mark), MESSAGES("too_deep", lang, limit=MAX_DEPTH))
                ]
            sizes.append(1)
            pending_anchor.append(event.anchor)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            size = sizes.pop()
            anchor = pending_anchor.pop()
            if anchor:
                anchored[anchor] = size
            sizes[-1] += size
        elif isinstance(event, yaml.ScalarEvent):
            sizes[-1] += 1
            if event.anchor:
                anchored[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            sizes[-1] += anchored.get(event.anchor or "", 1)
        if sizes[-1] > MAX_EXPANDED_NODES or sum(sizes) > MAX_EXPANDED_NODES:
            return [ChecklistError(shown, _mark_line(event.start_mark), MESSAGES("too_many_nodes", lang))]
    return []


def parse(path: Path, shown: str, lang: str) -> Parsed:
    """Read and compose one file, shown in messages as `shown`; its top level must be a mapping."""
    text, errors = _read_text(path, shown, lang)
    if text is None:
        return Parsed(errors=errors)
    try:
        errors = _check_shape(text, shown, lang)
        if errors:
            return Parsed(errors=errors)
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        if exc.context == "expected a single document in the stream" and exc.problem_mark is not None:
            return Parsed(errors=[ChecklistError(shown, exc.problem_mark.line + 1, MESSAGES("many_documents", lang))])
        line, message = _yaml_message(exc, text, lang)
        return Parsed(errors=[ChecklistError(shown, line, message)])
    except Exception as exc:  # PyYAML's constructors fail on odd scalars with any kind of exception
        # A ReaderError has no line mark (its characters were screened above), and the constructors trip on odd
        # explicit tags (`!!timestamp 2001-99-99` raises AttributeError): all bad input, reported on the file.
        return Parsed(errors=[ChecklistError(shown, 1, MESSAGES("internal", lang, detail=type(exc).__name__))])
    if root is None or (isinstance(root, ScalarNode) and data is None):
        return Parsed(errors=[ChecklistError(shown, 1, MESSAGES("empty", lang))])
    if not isinstance(root, MappingNode) or not isinstance(data, dict):
        actual = describe(data, lang)
        return Parsed(
            errors=[ChecklistError(shown, root.start_mark.line + 1, MESSAGES("not_mapping", lang, actual=actual))]
        )
    return Parsed(root=root, data=data)


def duplicate_keys(root: Node, shown: str, lang: str) -> list[ChecklistError]:
    """Keys repeated in one mapping: YAML keeps the last silently, so the author would lose the first."""
    errors: list[ChecklistError] = []
    stack: list[Node] = [root]
    seen_nodes: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:  # aliases share nodes
            continue
        seen_nodes.add(id(node))
        if isinstance(node, MappingNode):
            first_line: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    ident = (key.tag, key.value)
                    if ident in first_line:
                        message = MESSAGES("duplicate_key", lang, key=key.value, first=first_line[ident])
                        errors.append(ChecklistError(shown, key.start_mark.line + 1, message))
                    else:
                        first_line[ident] = key.start_mark.line + 1
                stack.append(value)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return sorted(errors, key=lambda e: e.line)


def mapping_entry(node: Node, key: str) -> tuple[ScalarNode, Node] | None:
    """The (key, value) nodes of `key` in a mapping node; the last one wins, as in the constructed data."""
    found: tuple[ScalarNode, Node] | None = None
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == key:
                found = (k, v)
    return found


def _walk(root: Node, loc: Sequence[int | str]) -> tuple[Node | None, int]:
    """The node at a pydantic error location (None when the path leaves the nodes) and the 0-based line of the
    nearest node on the way: a key's line for a field, an entry's line for a list index."""
    node = root
    line = root.start_mark.line
    for part in loc:
        if isinstance(node, MappingNode):
            entry = mapping_entry(node, str(part))
            if entry is None:
                return None, line
            line = entry[0].start_mark.line
            node = entry[1]
        elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line
        else:
            return None, line
    return node, line


def line_of(root: Node, loc: Sequence[int | str]) -> int:
    """The 1-based line of the node nearest to a pydantic error location (a key's line for a field)."""
    return _walk(root, loc)[1] + 1


def non_text_key_line(root: Node, loc: Sequence[int | str], key: object) -> int:
    """The 1-based line of the key `key` (a number, true/false or null, not text) in the mapping at `loc`.

    Pydantic names such a key by its value (`true:` becomes 1), which is not how the file spells it, so the key
    node is found by what YAML makes of it; failing that, the mapping's first key that is not text."""
    node, line = _walk(root, loc)
    if not isinstance(node, MappingNode):
        return line + 1
    keys = [k for k, _ in node.value if isinstance(k, ScalarNode) and k.tag != _STR_TAG]
    for k in keys:
        try:
            value = yaml.safe_load(k.value)
        except yaml.YAMLError:
            continue
        if type(value) is type(key) and value == key:
            return int(k.start_mark.line) + 1
    return int(keys[0].start_mark.line) + 1 if keys else line + 1


def scalar_text(node: Node | None) -> str | None:
    """A scalar node's text when YAML reads it as text (not a number, date or null), else None."""
    if isinstance(node, ScalarNode) and node.tag == _STR_TAG:
        return str(node.value)
    return None


def key_line(root: Node | None, key: str) -> int:
    """The 1-based line of `key:` in a mapping node; line 1 when it is absent."""
    entry = mapping_entry(root, key) if root is not None else None
    return entry[0].start_mark.line + 1 if entry else 1


def entry_value(node: Node | None, key: str) -> Node | None:
    """The value node of `key` in a mapping node, or None."""
    entry = mapping_entry(node, key) if node is not None else None
    return entry[1] if entry else None
