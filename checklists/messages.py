"""What the checklist loader says: its bilingual catalogues, and `ChecklistError`, the `FILE:LINE: message` line.

A checklist author (often not a programmer) reads these, usually in Chinese, so every message names the field and
says how to fix it. The YAML and pydantic layers pick a key and fill in the values; the words live only here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from checklists.i18n import Catalogue, Plural

__all__ = ["MESSAGES", "VALUE_KINDS", "YAML_PROBLEMS", "ChecklistError", "describe", "yaml_problem"]


@dataclass(frozen=True)
class ChecklistError:
    """One problem in one file. `line` is 1-based; 0 means the file as a whole (missing, unreadable)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


MESSAGES = Catalogue(
    "checklists.loader",
    {
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
        "non_text_key": (
            "`{field}` 里的键应为字段名（文本），实际是{actual}",
            "the keys of `{field}` must be field names (text), not {actual}",
        ),
        "non_text_key_top": (
            "文件顶层的键应为字段名（文本），实际是{actual}",
            "top-level keys must be field names (text), not {actual}",
        ),
        "extra": ("未知字段 `{field}`{hint}", "unknown field `{field}`{hint}"),
        "extra_hint_close": ("（是不是 `{close}`？）", " (did you mean `{close}`?)"),
        "extra_hint_allowed": ("（可用字段：{allowed}）", " (allowed: {allowed})"),
        "want_text": ("`{field}` 应为文本，实际是{actual}{quote}", "`{field}` must be text, not {actual}{quote}"),
        "quote_hint": ("；如需原样作为文本请加引号", "; put it in quotes to keep it as text"),
        "want_list": (
            "`{field}` 应为列表（每行以 “- ” 开头），实际是{actual}",
            "`{field}` must be a list, not {actual}",
        ),
        "want_mapping": ("`{field}` 应为“键: 值”映射，实际是{actual}", "`{field}` must be a mapping, not {actual}"),
        "want_bool": ("`{field}` 应为 true 或 false，实际是{actual}", "`{field}` must be true or false, not {actual}"),
        "want_int": ("`{field}` 应为整数，实际是{actual}", "`{field}` must be a whole number, not {actual}"),
        "empty_text": ("`{field}` 不能为空", "`{field}` must not be empty"),
        "too_few": (
            "`{field}` 至少要有 {n} 项",
            Plural("`{field}` needs at least {n} entry", "`{field}` needs at least {n} entries"),
        ),
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
    },
)

VALUE_KINDS = Catalogue(
    "checklists.value_kinds",
    {
        "null": ("空值（null）", "empty (null)"),
        "bool": ("布尔值 {value}", "the boolean {value}"),
        "number": ("数字 {value}", "the number {value}"),
        "date": ("日期 {value}", "the date {value}"),
        "text": ("文本 {value}", "the text {value}"),
        "list": ("列表", "a list"),
        "mapping": ("“键: 值”映射", "a mapping"),
        "other": ("{value}", "{value}"),
    },
)

# The YAML parser's problems in the author's words, keyed by what PyYAML's English problem says.
YAML_PROBLEMS = Catalogue(
    "checklists.yaml_problems",
    {
        "tab": ("不能用 Tab 缩进，请改用空格", "tabs cannot indent YAML; use spaces"),
        "bad_start": (
            "此处有不能开始 YAML 内容的字符（Tab 缩进或特殊符号）",
            "a character here cannot start YAML content (a tab, or a special sign)",
        ),
        "mapping_here": (
            "此处不能出现“键: 值”：可能是缩进不对，或文本里有未加引号的冒号“: ”",
            "a `key: value` is not allowed here: wrong indentation, or an unquoted ': ' inside text",
        ),
        "no_colon": ("找不到应有的冒号“:”", "a ':' was expected"),
        "undefined_alias": ("使用了未定义的别名（*名字）", "an alias (*name) that was never defined"),
        "unclosed_quote": ("引号没有闭合", "a quote is never closed"),
        "bad_escape": ("双引号文本里有无效的转义（\\）", "an invalid escape (\\) in double-quoted text"),
        "unknown_tag": ("不支持的 YAML 标签（!!...）", "an unsupported YAML tag (!!...)"),
        "unhashable_key": ("映射的键必须是简单文本", "a mapping key must be plain text"),
        "no_key": ("缩进不一致，或列表/映射混写", "inconsistent indentation, or list and mapping mixed"),
        "block_end": ("缩进不一致", "inconsistent indentation"),
        "no_dash": ("列表缩进不一致", "inconsistent list indentation"),
        "unclosed_list": ("方括号列表没有正确闭合（缺少 , 或 ]）", "a [ list is not closed (missing , or ])"),
        # The closing brace comes in as a value: a literal brace would read as a placeholder.
        "unclosed_mapping": (
            "花括号映射没有正确闭合（缺少 , 或 {brace}）",
            "a mapping in braces is not closed (missing , or {brace})",
        ),
        "no_content": ("此处缺少内容", "content is missing here"),
        "bad_anchor": ("锚点或别名的名字无效", "an invalid anchor or alias name"),
    },
)

# (substring of PyYAML's English problem, its key in YAML_PROBLEMS), the first match wins.
_YAML_NEEDLES: tuple[tuple[str, str], ...] = (
    ("found character '\\t'", "tab"),
    ("found character that cannot start any token", "bad_start"),
    ("mapping values are not allowed", "mapping_here"),
    ("could not find expected ':'", "no_colon"),
    ("found undefined alias", "undefined_alias"),
    ("found unexpected end of stream", "unclosed_quote"),
    ("found unknown escape character", "bad_escape"),
    ("could not determine a constructor for the tag", "unknown_tag"),
    ("found unhashable key", "unhashable_key"),
    ("did not find expected key", "no_key"),
    ("expected <block end>", "block_end"),
    ("did not find expected '-' indicator", "no_dash"),
    ("did not find expected ',' or ']'", "unclosed_list"),
    ("did not find expected ',' or '}'", "unclosed_mapping"),
    ("did not find expected node content", "no_content"),
    ("did not find expected alphabetic or numeric character", "bad_anchor"),
)


def yaml_problem(problem: str, lang: str) -> str:
    """PyYAML's English `problem` in the author's words; unchanged when it is not one we know."""
    for needle, key in _YAML_NEEDLES:
        if needle in problem:
            return YAML_PROBLEMS(key, lang, brace="}")
    return problem


def describe(value: Any, lang: str) -> str:
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
    return VALUE_KINDS(kind, lang, value=value)
