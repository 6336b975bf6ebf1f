"""The reasons HQ gives for a record it refuses or flags, in the device's language (`Accept-Language: zh|en`).

These reach the inspector's screen verbatim, so they say what happened and what to do, in the user's words."""

from __future__ import annotations

from typing import Any

from inspector.i18n import pick

CATALOG: dict[str, tuple[str, str]] = {
    "id_mismatch": (
        "记录内的编号 {inner} 与提交项编号 {outer} 不一致",
        "the record's id {inner} differs from the item id {outer}",
    ),
    "invalid_record": ("记录格式不正确：{detail}", "the record is not valid: {detail}"),
    "not_submitted": ("只有已提交的检查记录才会上传总部（草稿留在本机）", "only submitted inspections go to HQ"),
    "rev_reused": (
        "版本 {rev} 已以不同内容上传过；同一版本不能改变内容，请重新保存后再同步",
        "version {rev} was already received with different content; save again to make a new version",
    ),
    "inspection_immutable": (
        "检查记录 {id} 已提交（版本 {rev}），提交后不可修改；请新建一条更正检查（注明替代原记录）",
        "inspection {id} was already submitted (version {rev}) and cannot change; "
        "correct it with a new inspection that supersedes it",
    ),
    "not_owner": (
        "{kind} {id} 属于 {owner}，不能由 {user} 修改",
        "{kind} {id} belongs to {owner}; {user} may not change it",
    ),
    "kind_clash": ("编号 {id} 已被另一类记录（{kind}）使用", "id {id} is already used by a {kind} record"),
    "supersede_foreign": (
        "不能替代他人的检查记录 {target}（属于 {owner}）",
        "cannot supersede inspection {target}: it belongs to {owner}",
    ),
    "supersede_kind": ("被替代的 {target} 不是检查记录", "{target} is not an inspection, so it cannot be superseded"),
    "problem_stale": (
        "总部的问题 {id} 已有更新的版本（{current}），本机的修改已保留，待审核人员处理",
        "HQ has a newer version ({current}) of problem {id}; your change was kept for a reviewer to reconcile",
    ),
    "unknown_problem": (
        "总部没有问题 {problem}（可能尚未上传或已被拒绝），该跟进记录无法登记",
        "HQ has no problem {problem} (not uploaded yet, or refused), so this event cannot be recorded",
    ),
    "event_changed": (
        "跟进记录 {id} 已上传，记录只能追加、不能修改",
        "event {id} was already received; events are append-only and cannot change",
    ),
    "reviewer_only": (
        "「{action}」只能由审核人员或管理员操作；{user} 的角色是督查员",
        "only a reviewer or admin may {action}; {user} is an inspector",
    ),
    "not_visible": (
        "问题 {problem} 不在 {user} 负责的点位内，也不是其发现的问题",
        "problem {problem} is not at a site assigned to {user}, nor found by {user}",
    ),
    "too_long": ("字段 {field} 过长（最多 {max} 个字符）", "field {field} is too long (at most {max} characters)"),
    "store_failed": (
        "总部无法保存该记录：{detail}",
        "HQ could not store this record: {detail}",
    ),
}


def message(key: str, lang: str, **values: Any) -> str:
    return pick(CATALOG[key], lang).format(**values)


def pick_lang(accept_language: str | None) -> str:
    """`en`, `en-US,en;q=0.9` → en; anything else (including nothing) → zh, the default language."""
    if accept_language and accept_language.strip().lower().startswith("en"):
        return "en"
    return "zh"
