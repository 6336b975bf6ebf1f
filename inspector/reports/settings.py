"""The report settings an office sets once: the bulletin's 期号 and 发文单位 and the 红黑榜 rules.

A 创城办 prints its 督查通报 with the same 发文单位 every time and numbers the issues in sequence, and its 红黑榜 rules
(how many sites, how many inspections a site needs to be ranked) are its own policy: typing them on every command
is how a bulletin goes out with last month's number. HQ keeps them in its database (sync/hq/services/settings.py),
a laptop without HQ in its data dir (`report_settings.json`); both check values with `check` here, so a value one
end accepts the other accepts too. Options given on the command line win over the settings.

期号 numbering: `bulletin.issue_no` is a pattern; `{n}` in it is replaced by `bulletin.next_issue`, which goes up by
one each time a bulletin using it is written to a file (a bulletin printed to the screen is a preview).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from checklists.i18n import Catalogue
from inspector.reports import OutputError, write_atomically

__all__ = [
    "FILE_NAME",
    "KEYS",
    "SETTINGS_TEXT",
    "BulletinDefaults",
    "SettingError",
    "bulletin_defaults",
    "bulletin_keywords",
    "check",
    "issue_number",
    "load_local",
    "next_issue_text",
    "save_local",
    "settings_list_main",
    "settings_set_main",
]

FILE_NAME = "report_settings.json"
VALUE_MAX = 200

ISSUER = "bulletin.issuer"
ISSUE_NO = "bulletin.issue_no"
NEXT_ISSUE = "bulletin.next_issue"
LIST_SIZE = "bulletin.list_size"
MIN_INSPECTIONS = "bulletin.min_inspections"

SETTINGS_TEXT = Catalogue(
    "reports.settings",
    {
        "key.bulletin.issuer": ("发文单位（通报和整改通知书落款）", "the issuing office (bulletin and notice)"),
        "key.bulletin.issue_no": (
            "期号格式，{n} 处填入下一期的序号，如“2026 年第 {n} 期”",
            "the issue number's pattern; {n} takes the next issue's number, e.g. 2026-{n}",
        ),
        "key.bulletin.next_issue": (
            "下一期的序号（每写出一份使用期号格式的通报文件加 1）",
            "the next issue's number (up by one for each bulletin file written with the pattern)",
        ),
        "key.bulletin.list_size": ("红榜、黑榜各列多少个点位", "how many sites on each of the red and black lists"),
        "key.bulletin.min_inspections": (
            "点位至少检查几次才参加红黑榜评选",
            "inspections a site needs in the period to be ranked on the lists",
        ),
        "unknown_key": ("没有这个设置：{name}（可用：{keys}）", "no such setting: {name} (known: {keys})"),
        "not_a_count": (
            "{name} 应为 {low} 到 {high} 的整数：{value}",
            "{name} must be a whole number from {low} to {high}: {value}",
        ),
        "bad_text": (
            "{name} 应为 1 到 {max} 个字符，不含换行",
            "{name} must be 1 to {max} characters on one line",
        ),
        "bad_pattern": (
            "{name} 中的花括号只能是 {{n}}：{value}",
            "the only braces {name} may hold are {{n}}: {value}",
        ),
        "file_bad": (
            "报告设置文件 {path} 无法读取（{reason}）；请改正或删除后重新设置",
            "the report settings file {path} cannot be read ({reason}); correct or delete it and set again",
        ),
        "file_failed": (
            "无法写入报告设置文件 {path}：{reason}",
            "cannot write the report settings file {path}: {reason}",
        ),
        "set": ("已设置 {name} = {value}（{path}）", "set {name} = {value} ({path})"),
        "listed": ("{name} = {value}    # {meaning}", "{name} = {value}    # {meaning}"),
        "default": ("{value}（默认）", "{value} (default)"),
        "unset": ("（未设置）", "(not set)"),
        "issued": (
            "本期期号：{issue_no}；下一期将为：{next_no}",
            "this issue: {issue_no}; the next will be: {next_no}",
        ),
    },
    prefixes=("key.",),  # a key's meaning, looked up by the key
)


class SettingError(ValueError):
    """A refused key or value, worded in both languages from SETTINGS_TEXT."""

    def __init__(self, message: str, **values: object) -> None:
        self.message, self.values = message, values
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        return SETTINGS_TEXT(self.message, lang, **self.values)


def _count(low: int, high: int) -> Callable[[str, str], str]:
    def check_count(key: str, value: str) -> str:
        text = value.strip()
        if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
            raise SettingError("not_a_count", name=key, low=low, high=high, value=repr(value))
        return str(int(text))

    return check_count


def _text(key: str, value: str) -> str:
    text = value.strip()
    if not text or len(text) > VALUE_MAX or any(ch in text for ch in "\r\n\x00"):
        raise SettingError("bad_text", name=key, max=VALUE_MAX)
    return text


def _pattern(key: str, value: str) -> str:
    text = _text(key, value)
    if "{" in text.replace("{n}", "") or "}" in text.replace("{n}", ""):
        raise SettingError("bad_pattern", name=key, value=text)
    return text


# key -> (checker, default shown by `settings list`; "" = unset)
KEYS: dict[str, tuple[Callable[[str, str], str], str]] = {
    ISSUER: (_text, ""),
    ISSUE_NO: (_pattern, ""),
    NEXT_ISSUE: (_count(1, 100_000), "1"),
    LIST_SIZE: (_count(0, 100), "3"),
    MIN_INSPECTIONS: (_count(0, 1_000), "1"),
}


def check(key: str, value: str) -> str:
    """The value as it will be stored (trimmed, numbers normalised), or SettingError naming the key and the rule."""
    if key not in KEYS:
        raise SettingError("unknown_key", name=key, keys=", ".join(KEYS))
    return KEYS[key][0](key, value)


def issue_number(pattern: str, next_issue: int) -> str:
    return pattern.replace("{n}", str(next_issue))


@dataclass(frozen=True, slots=True)
class BulletinDefaults:
    """What a bulletin takes from the settings when the command line does not say; `numbered` tells the caller to
    set `bulletin.next_issue` to `number + 1` once the bulletin is written."""

    issue_no: str
    issuer: str
    list_size: int
    min_inspections: int
    numbered: bool
    number: int


def bulletin_defaults(
    settings: Mapping[str, str],
    issue_no: str | None = None,
    issuer: str | None = None,
    list_size: int | None = None,
    min_inspections: int | None = None,
) -> BulletinDefaults:
    """The command line's values where given, else the settings', else the built-in defaults."""

    def number(key: str, given: int | None) -> int:
        return given if given is not None else int(settings.get(key) or KEYS[key][1])

    pattern = settings.get(ISSUE_NO, "")
    numbered = issue_no is None and "{n}" in pattern
    next_issue = number(NEXT_ISSUE, None)
    chosen_no = issue_no if issue_no is not None else issue_number(pattern, next_issue)
    return BulletinDefaults(
        issue_no=chosen_no,
        issuer=issuer if issuer is not None else settings.get(ISSUER, ""),
        list_size=number(LIST_SIZE, list_size),
        min_inspections=number(MIN_INSPECTIONS, min_inspections),
        numbered=numbered,
        number=next_issue,
    )


def bulletin_keywords(
    settings: Mapping[str, str], given: Mapping[str, object]
) -> tuple[dict[str, object], BulletinDefaults]:
    """bulletin_main's keywords from the command line's `given` (issue_no, issuer, list_size, min_inspections: None
    when not given; fmt, close_by passed through) completed by the settings; and the defaults chosen."""
    from inspector.reports.bulletin import ListRules

    def optional(name: str) -> object:
        return given.get(name)

    issue_no, issuer = optional("issue_no"), optional("issuer")
    list_size, min_inspections = optional("list_size"), optional("min_inspections")
    defaults = bulletin_defaults(
        settings,
        issue_no if isinstance(issue_no, str) else None,
        issuer if isinstance(issuer, str) else None,
        list_size if isinstance(list_size, int) else None,
        min_inspections if isinstance(min_inspections, int) else None,
    )
    keywords: dict[str, object] = {
        "issue_no": defaults.issue_no,
        "issuer": defaults.issuer,
        "fmt": given.get("fmt"),
        "rules": ListRules(size=defaults.list_size, min_inspections=defaults.min_inspections),
        "close_by": given.get("close_by"),
    }
    return keywords, defaults


def next_issue_text(settings: Mapping[str, str], used: int) -> str:
    return issue_number(settings.get(ISSUE_NO, ""), used + 1)


# the laptop's copy ----------------------------------------------------------------------------------------------


def load_local(data_dir: Path) -> dict[str, str]:
    """The laptop's settings; {} when none were set. A damaged file is refused (SettingError), not ignored: a
    bulletin silently losing its 发文单位 would go out wrong."""
    path = data_dir / FILE_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise SettingError("file_bad", path=path, reason=exc) from exc
    if not isinstance(raw, dict):
        raise SettingError("file_bad", path=path, reason="not a JSON object")
    settings: dict[str, str] = {}
    for key, value in raw.items():
        if key not in KEYS:
            continue  # a setting a later version added: kept in the file, unused here
        try:
            settings[key] = check(key, str(value))
        except SettingError as exc:
            raise SettingError("file_bad", path=path, reason=exc.text("en")) from exc
    return settings


def save_local(data_dir: Path, key: str, value: str) -> str:
    """Check and store one setting in the laptop's file; the stored value. SettingError when refused."""
    stored = check(key, value)
    path = data_dir / FILE_NAME
    try:
        current = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, ValueError) as exc:
        raise SettingError("file_bad", path=path, reason=exc) from exc
    if not isinstance(current, dict):
        current = {}
    current[key] = stored
    text = json.dumps(current, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(path, lambda target: target.write_text(text, encoding="utf-8"))
    except (OutputError, OSError) as exc:
        reason = exc.cause if isinstance(exc, OutputError) else exc
        raise SettingError("file_failed", path=path, reason=reason) from exc
    return stored


def settings_set_main(data_dir: Path, key: str, value: str, out: TextIO, err: TextIO, lang: str = "zh") -> int:
    """`inspector report settings set KEY VALUE`: 0, or 1 with the refusal on `err`."""
    try:
        stored = save_local(data_dir, key, value)
    except SettingError as exc:
        err.write(exc.text(lang) + "\n")
        return 1
    out.write(SETTINGS_TEXT("set", lang, name=key, value=stored, path=data_dir / FILE_NAME) + "\n")
    return 0


def settings_list_main(data_dir: Path, out: TextIO, err: TextIO, lang: str = "zh") -> int:
    """`inspector report settings list`: every key with its value (or default) and what it means."""
    try:
        settings = load_local(data_dir)
    except SettingError as exc:
        err.write(exc.text(lang) + "\n")
        return 1
    for key, (_, default) in KEYS.items():
        if key in settings:
            value = settings[key]
        else:
            value = SETTINGS_TEXT("default", lang, value=default) if default else SETTINGS_TEXT("unset", lang)
        meaning = SETTINGS_TEXT(f"key.{key}", lang)
        out.write(SETTINGS_TEXT("listed", lang, name=key, value=value, meaning=meaning) + "\n")
    return 0


def local_bulletin(
    data_dir: Path,
    given: Mapping[str, object],
    wrote_file: bool,
    run: Callable[[dict[str, object]], int],
    out: TextIO,
    err: TextIO,
    lang: str = "zh",
) -> int:
    """The laptop's bulletin with its settings as defaults: `run` writes it with bulletin_main's keywords; a
    numbered issue written to a file moves `bulletin.next_issue` on and says which number comes next."""
    try:
        settings = load_local(data_dir)
    except SettingError as exc:
        err.write(exc.text(lang) + "\n")
        return 1
    keywords, defaults = bulletin_keywords(settings, given)
    code = run(keywords)
    if code != 0 or not defaults.numbered or not wrote_file:
        return code
    try:
        save_local(data_dir, NEXT_ISSUE, str(defaults.number + 1))
    except SettingError as exc:
        err.write(exc.text(lang) + "\n")
        return 1
    out.write(
        SETTINGS_TEXT("issued", lang, issue_no=defaults.issue_no, next_no=next_issue_text(settings, defaults.number))
        + "\n"
    )
    return 0
