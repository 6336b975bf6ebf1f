"""Load checklist and module YAML files into the schema, reporting every problem as `FILE:LINE: message`.

Why this is more than `yaml.safe_load` + `model_validate`: a checklist author (often not a programmer) needs to
see all the mistakes of a file at once, each with the line to fix, in Chinese. So the file is composed into YAML
nodes (which remember their line), pydantic's error locations are walked back to the nearest node, and the checks
pydantic cannot make (duplicate keys, duplicate item codes across sections and modules, includes that do not
resolve) are made on the nodes directly. Bad input never raises: every problem becomes a `ChecklistError`.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from checklists.schema import Checklist, EvidenceRule, Item, Module, Section

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

MAX_FILE_BYTES = 2 * 1024 * 1024  # a checklist is tens of kilobytes; anything this big is a wrong file
MAX_DEPTH = 50  # a checklist nests 5 levels deep; deep nesting only ever comes from garbage (and crashes libyaml)
MAX_EXPANDED_NODES = 200_000  # YAML aliases can multiply a small file into billions of nodes

MODULE_ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]*$")
_NOT_YAML_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster

Kind = Literal["checklist", "module"]


@dataclass(frozen=True)
class ChecklistError:
    """One problem in one file. `line` is 1-based; 0 means the file as a whole (missing, unreadable)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class LoadResult:
    """What loading one file gave: the document (None when any error was found) and every error."""

    path: str
    kind: Kind | None = None
    document: Checklist | Module | None = None
    errors: list[ChecklistError] = field(default_factory=list)
    key_line: int = 1  # the line of `id:` / `module:`, for messages about the file's identity
    version_line: int = 1


# ----------------------------------------------------------------------------------------------- messages

_MESSAGES: dict[str, tuple[str, str]] = {
    "missing_file": ("文件不存在", "file not found"),
    "is_directory": ("这是一个目录，不是检查表文件", "this is a directory, not a checklist file"),
    "unreadable": ("无法读取文件：{reason}", "cannot read the file: {reason}"),
    "too_big": (
        "文件太大（{size} 字节）：检查表文件不应超过 {limit} 字节",
        "file too big ({size} bytes), limit {limit}",
    ),
    "not_utf8": (
        "文件不是 UTF-8 编码（第一个无效字节 0x{byte:02X}）；请用 UTF-8 重新保存（GBK 编码的文件常见此错误）",
        "the file is not UTF-8 (first bad byte 0x{byte:02X}); save it again as UTF-8",
    ),
    "bad_char": (
        "文件含有 YAML 不允许的控制字符 U+{code:04X}",
        "the file contains the control character U+{code:04X}, which YAML does not allow",
    ),
    "empty": ("文件是空的（没有任何内容）", "the file is empty"),
    "not_mapping": (
        "文件顶层必须是“键: 值”的映射（如 id: ...、sections: ...），而这里是{actual}",
        "the top level must be a mapping (id: ..., sections: ...), but it is {actual}",
    ),
    "many_documents": (
        "一个文件只能有一个 YAML 文档，这里出现了第二个（---）",
        "a file must hold one YAML document; a second one (---) starts here",
    ),
    "too_deep": ("嵌套层数太多（超过 {limit} 层）", "nesting deeper than {limit} levels"),
    "too_many_nodes": ("YAML 别名展开后内容过大", "the YAML aliases expand to too much content"),
    "yaml": ("YAML 语法错误：{detail}", "YAML syntax error: {detail}"),
    "duplicate_key": (
        "同一个映射里键 `{key}` 重复（第 {first} 行已出现）",
        "duplicate key `{key}` in the same mapping (first on line {first})",
    ),
    "is_module": (
        "这是模块文件（有 module: 字段），不是检查表；检查表要有 id: 字段",
        "this is a module file (it has `module:`), not a checklist; a checklist has `id:`",
    ),
    "is_checklist": (
        "这是检查表文件（有 id: 字段），不是模块；模块要有 module: 字段",
        "this is a checklist file (it has `id:`), not a module; a module has `module:`",
    ),
    "missing": ("缺少必填字段 `{field}`", "missing required field `{field}`"),
    "extra": ("未知字段 `{field}`{hint}", "unknown field `{field}`{hint}"),
    "extra_hint_close": ("（是不是 `{close}`？）", " (did you mean `{close}`?)"),
    "extra_hint_allowed": ("（可用字段：{allowed}）", " (allowed: {allowed})"),
    "want_text": ("`{field}` 应为文本，实际是{actual}{quote}", "`{field}` must be text, not {actual}{quote}"),
    "quote_hint": ("；如需原样作为文本请加引号", "; put it in quotes to keep it as text"),
    "want_list": ("`{field}` 应为列表（每行以 “- ” 开头），实际是{actual}", "`{field}` must be a list, not {actual}"),
    "want_mapping": ("`{field}` 应为“键: 值”映射，实际是{actual}", "`{field}` must be a mapping, not {actual}"),
    "want_bool": ("`{field}` 应为 true 或 false，实际是{actual}", "`{field}` must be true or false, not {actual}"),
    "want_int": ("`{field}` 应为整数，实际是{actual}", "`{field}` must be a whole number, not {actual}"),
    "empty_text": ("`{field}` 不能为空", "`{field}` must not be empty"),
    "too_few": ("`{field}` 至少要有 {n} 项", "`{field}` needs at least {n} entries"),
    "too_small": ("`{field}` 不能小于 {bound}，实际是 {value}", "`{field}` must be at least {bound}, not {value}"),
    "too_large": ("`{field}` 不能大于 {bound}，实际是 {value}", "`{field}` must be at most {bound}, not {value}"),
    "bad_code": (
        "条目编号 `{field}` = {value!r} 格式不对：应为大写字母和数字，用连字符分段，如 LY-C-12",
        "item code `{field}` = {value!r} is malformed: capitals and digits in dash-separated parts, like LY-C-12",
    ),
    "bad_id": (
        "`{field}` = {value!r} 格式不对：只能用小写字母、数字和连字符，并以字母开头，如 residential",
        "`{field}` = {value!r} is malformed: lower-case letters, digits and dashes, starting with a letter",
    ),
    "bad_cg_code": (
        "数字城管编码 `{field}` = {value!r} 格式不对：应为 2–8 位数字，如 06036（数字编码请加引号）",
        "city-management code `{field}` = {value!r} is malformed: 2-8 digits such as 06036 (quote it)",
    ),
    "bad_pattern": ("`{field}` = {value!r} 格式不对", "`{field}` = {value!r} is malformed"),
    "bad_severity": (
        "`{field}` = {value!r} 无效：严重程度只能是 一般 或 严重（也可写 minor / major）",
        "`{field}` = {value!r} is not a severity: use 一般 or 严重 (or minor / major)",
    ),
    "blank_phrase": ("`{field}` 里有空白短语", "`{field}` contains a blank phrase"),
    "empty_section": (
        "分节 `{field}`（{title}）没有条目，也没有 include 模块",
        "section `{field}` ({title}) has no items and includes no module",
    ),
    "other": ("`{field}`：{detail}", "`{field}`: {detail}"),
    "duplicate_code": (
        "条目编号 {code} 重复（第 {first} 行已使用）",
        "item code {code} is used twice (first on line {first})",
    ),
    "duplicate_code_module": (
        "条目编号 {code} 重复（已由第 {first} 行 include 的模块 {module} 提供）",
        "item code {code} is used twice (already supplied by module {module} included on line {first})",
    ),
    "duplicate_code_from_module": (
        "include 的模块 {module} 中的条目编号 {code} 与第 {first} 行重复",
        "module {module} brings item code {code}, which line {first} already uses",
    ),
    "bad_module_id": (
        "include 的模块名 {value!r} 无效：只能用小写字母、数字和连字符",
        "include {value!r} is not a module name: lower-case letters, digits and dashes",
    ),
    "module_not_found": (
        "找不到 include 的模块 {module}（查找了：{places}）",
        "included module {module} not found (looked in: {places})",
    ),
    "module_broken": (
        "include 的模块 {module}（{path}）有错误，见该文件的报错",
        "included module {module} ({path}) has errors",
    ),
    "module_name_mismatch": (
        "模块文件名是 {stem}.yaml，但 module: 写的是 {value!r}；两者必须一致",
        "the module file is {stem}.yaml but says module: {value!r}; they must match",
    ),
    "internal": (
        "YAML 内容无法解析（{detail}）；请检查 !! 显式标签和特殊写法",
        "the YAML content cannot be read ({detail}); check explicit !! tags and unusual values",
    ),
    "crash": (
        "检查此文件时程序出错（{detail}）；请把此文件报告给维护者",
        "the checker failed on this file ({detail}); please report the file to the maintainers",
    ),
}

_TYPE_NAMES: dict[str, tuple[str, str]] = {
    "null": ("空值（null）", "empty (null)"),
    "bool": ("布尔值 {value}", "the boolean {value}"),
    "number": ("数字 {value}", "the number {value}"),
    "date": ("日期 {value}", "the date {value}"),
    "text": ("文本 {value}", "the text {value}"),
    "list": ("列表", "a list"),
    "mapping": ("“键: 值”映射", "a mapping"),
    "other": ("{value}", "{value}"),
}

# YAML parser problems, translated: (substring of PyYAML's English problem, zh, en).
_YAML_PROBLEMS: list[tuple[str, str, str]] = [
    ("found character '\\t'", "不能用 Tab 缩进，请改用空格", "tabs cannot indent YAML; use spaces"),
    (
        "found character that cannot start any token",
        "此处有不能开始 YAML 内容的字符（Tab 缩进或特殊符号）",
        "a character here cannot start YAML content (a tab, or a special sign)",
    ),
    (
        "mapping values are not allowed",
        "此处不能出现“键: 值”：可能是缩进不对，或文本里有未加引号的冒号“: ”",
        "a `key: value` is not allowed here: wrong indentation, or an unquoted ': ' inside text",
    ),
    ("could not find expected ':'", "找不到应有的冒号“:”", "a ':' was expected"),
    ("found undefined alias", "使用了未定义的别名（*名字）", "an alias (*name) that was never defined"),
    ("found unexpected end of stream", "引号没有闭合", "a quote is never closed"),
    (
        "found unknown escape character",
        "双引号文本里有无效的转义（\\）",
        "an invalid escape (\\) in double-quoted text",
    ),
    ("could not determine a constructor for the tag", "不支持的 YAML 标签（!!...）", "an unsupported YAML tag (!!...)"),
    ("found unhashable key", "映射的键必须是简单文本", "a mapping key must be plain text"),
    ("did not find expected key", "缩进不一致，或列表/映射混写", "inconsistent indentation, or list and mapping mixed"),
    ("expected <block end>", "缩进不一致", "inconsistent indentation"),
    ("did not find expected '-' indicator", "列表缩进不一致", "inconsistent list indentation"),
    (
        "did not find expected ',' or ']'",
        "方括号列表没有正确闭合（缺少 , 或 ]）",
        "a [ list is not closed (missing , or ])",
    ),
    (
        "did not find expected ',' or '}'",
        "花括号映射没有正确闭合（缺少 , 或 }）",
        "a { mapping is not closed (missing , or })",
    ),
    ("did not find expected node content", "此处缺少内容", "content is missing here"),
    (
        "did not find expected alphabetic or numeric character",
        "锚点或别名的名字无效",
        "an invalid anchor or alias name",
    ),
]


def _text(lang: str, message_id: str, /, **values: Any) -> str:
    zh, en = _MESSAGES[message_id]
    return (en if lang == "en" else zh).format(**values)


def _describe(value: Any, lang: str) -> str:
    """A short, human name for a value's YAML type, used in 'must be text, not ...' messages."""
    if value is None:
        kind = "null"
    elif isinstance(value, bool):
        kind, value = "bool", str(value).lower()
    elif isinstance(value, int | float):
        kind = "number"
    elif isinstance(value, date):
        kind, value = "date", value.isoformat()
    elif isinstance(value, str):
        kind, value = "text", repr(value if len(value) <= 30 else value[:30] + "…")
    elif isinstance(value, list):
        kind = "list"
    elif isinstance(value, dict):
        kind = "mapping"
    else:
        kind, value = "other", type(value).__name__
    zh, en = _TYPE_NAMES[kind]
    return (en if lang == "en" else zh).format(value=value)


# ----------------------------------------------------------------------------------------------- YAML layer


@dataclass
class _Parsed:
    root: Node | None = None
    data: Any = None
    errors: list[ChecklistError] = field(default_factory=list)


def _read_text(path: Path, shown: str, lang: str) -> tuple[str | None, list[ChecklistError]]:
    def fail(line: int, key: str, **values: Any) -> tuple[None, list[ChecklistError]]:
        return None, [ChecklistError(shown, line, _text(lang, key, **values))]

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
    detail = problem
    for needle, zh, en in _YAML_PROBLEMS:
        if needle in problem:
            detail = en if lang == "en" else zh
            break
    return line, _text(lang, "yaml", detail=detail)


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
                return [ChecklistError(shown, _mark_line(event.start_mark), _text(lang, "too_deep", limit=MAX_DEPTH))]
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
            return [ChecklistError(shown, _mark_line(event.start_mark), _text(lang, "too_many_nodes"))]
    return []


def _parse(path: Path, shown: str, lang: str) -> _Parsed:
    text, errors = _read_text(path, shown, lang)
    if text is None:
        return _Parsed(errors=errors)
    try:
        errors = _check_shape(text, shown, lang)
        if errors:
            return _Parsed(errors=errors)
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        if exc.context == "expected a single document in the stream" and exc.problem_mark is not None:
            return _Parsed(errors=[ChecklistError(shown, exc.problem_mark.line + 1, _text(lang, "many_documents"))])
        line, message = _yaml_message(exc, text, lang)
        return _Parsed(errors=[ChecklistError(shown, line, message)])
    except Exception as exc:  # PyYAML's constructors fail on odd scalars with any kind of exception
        # A ReaderError has no line mark (its characters were screened above), and the constructors trip on odd
        # explicit tags (`!!timestamp 2001-99-99` raises AttributeError): all bad input, reported on the file.
        return _Parsed(errors=[ChecklistError(shown, 1, _text(lang, "internal", detail=type(exc).__name__))])
    if root is None or (isinstance(root, ScalarNode) and data is None):
        return _Parsed(errors=[ChecklistError(shown, 1, _text(lang, "empty"))])
    if not isinstance(root, MappingNode) or not isinstance(data, dict):
        actual = _describe(data, lang)
        return _Parsed(
            errors=[ChecklistError(shown, root.start_mark.line + 1, _text(lang, "not_mapping", actual=actual))]
        )
    return _Parsed(root=root, data=data)


def _duplicate_keys(root: Node, shown: str, lang: str) -> list[ChecklistError]:
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
                        message = _text(lang, "duplicate_key", key=key.value, first=first_line[ident])
                        errors.append(ChecklistError(shown, key.start_mark.line + 1, message))
                    else:
                        first_line[ident] = key.start_mark.line + 1
                stack.append(value)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return sorted(errors, key=lambda e: e.line)


def _mapping_entry(node: Node, key: str) -> tuple[ScalarNode, Node] | None:
    """The (key, value) nodes of `key` in a mapping node; the last one wins, as in the constructed data."""
    found: tuple[ScalarNode, Node] | None = None
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == key:
                found = (k, v)
    return found


def _line_of(root: Node, loc: Sequence[int | str]) -> int:
    """The 1-based line of the node nearest to a pydantic error location (a key's line for a field)."""
    node = root
    line = root.start_mark.line
    for part in loc:
        if isinstance(node, MappingNode):
            entry = _mapping_entry(node, str(part))
            if entry is None:
                break
            line = entry[0].start_mark.line
            node = entry[1]
        elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line
        else:
            break
    return line + 1


# ----------------------------------------------------------------------------------------------- schema layer


def _field_path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top)"


def _model_at(top: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    """Which schema model a location sits in, to list its fields when a field is unknown."""
    model: type[BaseModel] | None = top
    nested: dict[str, type[BaseModel]] = {"sections": Section, "items": Item, "evidence": EvidenceRule}
    for part in loc:
        if isinstance(part, str):
            model = nested.get(part)
    return model


def _value_at(data: Any, loc: Sequence[int | str]) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _schema_message(error: Any, top: type[BaseModel], data: Any, lang: str) -> str:
    kind: str = error["type"]
    loc: tuple[int | str, ...] = tuple(error["loc"])
    name = str(loc[-1]) if loc else ""
    where = _field_path(loc)
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _text(lang, "missing", field=where)
    if kind == "extra_forbidden":
        model = _model_at(top, loc[:-1])
        allowed = list(model.model_fields) if model else []
        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        if close:
            hint = _text(lang, "extra_hint_close", close=close[0])
        else:
            hint = _text(lang, "extra_hint_allowed", allowed=", ".join(allowed)) if allowed else ""
        return _text(lang, "extra", field=where, hint=hint)
    if kind == "string_type":
        quote = _text(lang, "quote_hint") if isinstance(value, int | float | bool | date) else ""
        return _text(lang, "want_text", field=where, actual=_describe(value, lang), quote=quote)
    if kind == "list_type":
        return _text(lang, "want_list", field=where, actual=_describe(value, lang))
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return _text(lang, "want_mapping", field=where, actual=_describe(value, lang))
    if kind in ("bool_type", "bool_parsing"):
        return _text(lang, "want_bool", field=where, actual=_describe(value, lang))
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _text(lang, "want_int", field=where, actual=_describe(value, lang))
    if kind == "string_too_short":
        return _text(lang, "empty_text", field=where)
    if kind == "too_short":
        return _text(lang, "too_few", field=where, n=ctx.get("min_length", 1))
    if kind == "greater_than_equal":
        return _text(lang, "too_small", field=where, bound=ctx.get("ge"), value=value)
    if kind == "less_than_equal":
        return _text(lang, "too_large", field=where, bound=ctx.get("le"), value=value)
    if kind == "string_pattern_mismatch":
        key = {"code": "bad_code", "id": "bad_id", "module": "bad_id", "cg_code": "bad_cg_code"}.get(
            name, "bad_pattern"
        )
        return _text(lang, key, field=where, value=value)
    if kind == "enum" and name == "severity":
        return _text(lang, "bad_severity", field=where, value=value)
    if kind == "value_error" and name in ("quick_picks", "exemptions"):
        return _text(lang, "blank_phrase", field=where)
    if kind == "value_error" and len(loc) == 2 and loc[0] == "sections":
        title = _value_at(data, (*loc, "title"))
        return _text(lang, "empty_section", field=where, title=title if isinstance(title, str) else "?")
    return _text(lang, "other", field=where, detail=error.get("msg", kind))


def _validate(model: type[BaseModel], parsed: _Parsed, shown: str, lang: str) -> tuple[Any, list[ChecklistError]]:
    assert parsed.root is not None
    try:
        return model.model_validate(parsed.data), []
    except ValidationError as exc:
        errors = [
            ChecklistError(shown, _line_of(parsed.root, e["loc"]), _schema_message(e, model, parsed.data, lang))
            for e in exc.errors(include_url=False)
        ]
        return None, errors


def _scalar_text(node: Node | None) -> str | None:
    if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:str":
        return str(node.value)
    return None


def _item_codes(items_node: Node | None) -> list[tuple[str, int]]:
    """(code, line) of each item in an `items:` sequence node, read off the nodes so it works on a broken file."""
    codes: list[tuple[str, int]] = []
    if isinstance(items_node, SequenceNode):
        for item in items_node.value:
            entry = _mapping_entry(item, "code")
            code = _scalar_text(entry[1]) if entry else None
            if entry is not None and code:
                codes.append((code, entry[1].start_mark.line + 1))
    return codes


def _key_line(root: Node | None, key: str) -> int:
    entry = _mapping_entry(root, key) if root is not None else None
    return entry[0].start_mark.line + 1 if entry else 1


# ----------------------------------------------------------------------------------------------- loading


class _Session:
    """One batch of loads sharing the modules it has read, so a module included by many checklists is read once."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.modules: dict[Path, LoadResult] = {}

    def load(self, path: str | os.PathLike[str], expect: Kind | None = None) -> LoadResult:
        shown = os.fspath(path)
        file = Path(shown)
        parsed = _parse(file, shown, self.lang)
        result = LoadResult(path=shown, errors=list(parsed.errors))
        if parsed.root is None:
            return result
        has_module, has_id = _mapping_entry(parsed.root, "module"), _mapping_entry(parsed.root, "id")
        kind: Kind = "module" if has_module and not has_id else "checklist"
        result.kind = kind
        result.key_line = _key_line(parsed.root, "module" if kind == "module" else "id")
        result.version_line = _key_line(parsed.root, "version")
        if expect is not None and kind != expect:
            key = "is_module" if kind == "module" else "is_checklist"
            result.errors.append(ChecklistError(shown, result.key_line, _text(self.lang, key)))
            return result
        if kind == "module":
            self._load_module(file, shown, parsed, result)
        else:
            self._load_checklist(file, shown, parsed, result)
        return result

    def _load_module(self, file: Path, shown: str, parsed: _Parsed, result: LoadResult) -> None:
        assert parsed.root is not None
        errors = _duplicate_keys(parsed.root, shown, self.lang)
        module, schema_errors = _validate(Module, parsed, shown, self.lang)
        errors += schema_errors
        name = _scalar_text(entry[1]) if (entry := _mapping_entry(parsed.root, "module")) else None
        if name and MODULE_ID_PATTERN.match(name) and file.suffix in (".yaml", ".yml") and file.stem != name:
            errors.append(
                ChecklistError(
                    shown, result.key_line, _text(self.lang, "module_name_mismatch", stem=file.stem, value=name)
                )
            )
        errors += self._duplicate_codes(shown, [(None, _item_codes(_entry_value(parsed.root, "items")))])
        result.errors += sorted(errors, key=lambda e: e.line)
        result.document = module if not result.errors else None

    def _load_checklist(self, file: Path, shown: str, parsed: _Parsed, result: LoadResult) -> None:
        assert parsed.root is not None
        errors = _duplicate_keys(parsed.root, shown, self.lang)
        checklist, schema_errors = _validate(Checklist, parsed, shown, self.lang)
        errors += schema_errors
        foreign: list[ChecklistError] = []  # errors inside included module files
        modules: dict[int, Module] = {}  # section index -> resolved module
        groups: list[tuple[tuple[str, int] | None, list[tuple[str, int]]]] = []
        sections = _entry_value(parsed.root, "sections")
        for index, section in enumerate(sections.value if isinstance(sections, SequenceNode) else []):
            groups.append((None, _item_codes(_entry_value(section, "items"))))
            include = _mapping_entry(section, "include")
            name = _scalar_text(include[1]) if include else None
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
            errors.append(ChecklistError(shown, line, _text(self.lang, "bad_module_id", value=name)))
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
                    ChecklistError(shown, line, _text(self.lang, "module_broken", module=name, path=loaded.path))
                )
                return None
        shown_places = ", ".join(str(p) for p in places)
        errors.append(
            ChecklistError(shown, line, _text(self.lang, "module_not_found", module=name, places=shown_places))
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
                    message = _text(self.lang, key, module=origin[0], code=code, first=first_line)
                elif first_module is not None:
                    message = _text(
                        self.lang, "duplicate_code_module", code=code, first=first_line, module=first_module
                    )
                else:
                    message = _text(self.lang, "duplicate_code", code=code, first=first_line)
                errors.append(ChecklistError(shown, line, message))
        return errors


def _entry_value(node: Node | None, key: str) -> Node | None:
    entry = _mapping_entry(node, key) if node is not None else None
    return entry[1] if entry else None


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
        return LoadResult(path=shown, errors=[ChecklistError(shown, 1, _text(session.lang, "crash", detail=detail))])
