"""The store's errors and everything it says to the user, in Chinese and English.

`StoreError` carries a message worded for the user (what happened, which file, what was kept); the recovery notes
of `Store.recovery_notes` come from the same catalogue. `MESSAGES` is called `MESSAGES(key, lang, **values)`.
"""

from __future__ import annotations

from checklists.i18n import Catalogue, Plural

__all__ = ["MESSAGES", "StoreError", "StoreLocked", "counted", "what"]


class StoreError(Exception):
    """A store problem worded for the user: what happened, which file, what was kept."""


class StoreLocked(StoreError):
    """Another Inspector is already using this data dir."""


MESSAGES = Catalogue(
    "store",
    {
        "locked": (
            "另一个 Inspector 正在使用数据目录 {dir}。请先关闭它（或等它退出）再打开。",
            "Another Inspector is already using the data directory {dir}. Close it (or wait for it to exit) "
            "and try again.",
        ),
        "lock_failed": ("无法锁定数据目录 {dir}：{reason}", "Cannot lock the data directory {dir}: {reason}"),
        "dir_failed": (
            "无法创建或打开数据目录 {dir}：{reason}",
            "Cannot create or open the data directory {dir}: {reason}",
        ),
        "open_failed": ("无法打开数据目录 {dir}：{reason}", "Cannot open the data directory {dir}: {reason}"),
        "newer_format": (
            "数据目录 {dir} 的格式版本是 {found}，比这个版本的 Inspector（最高支持 {known}）更新。"
            "请更新 Inspector 后再打开；数据没有做任何改动。",
            "The data directory {dir} has format version {found}, newer than this Inspector supports "
            "(up to {known}). Please update Inspector; nothing was changed.",
        ),
        "closed": ("数据存储已关闭。", "The store is closed."),
        "write_failed": (
            "无法保存到 {path}：{reason}。上一次成功保存的内容没有受到影响。",
            "Cannot save to {path}: {reason}. The last successful save is unaffected.",
        ),
        "no_inspection": ("找不到检查记录 {id}。", "No inspection {id}."),
        "no_problem": ("找不到问题 {id}。", "No problem {id}."),
        "no_event": ("找不到问题进展记录 {id}。", "No problem event {id}."),
        "no_site": ("找不到点位 {id}。", "No site {id}."),
        "no_attachment": ("找不到照片 {sha}。", "No photo {sha}."),
        "bad_sha": ("“{sha}” 不是有效的照片编号（sha256）。", "{sha!r} is not a valid photo id (sha256)."),
        "submitted": (
            "检查记录 {id} 已提交，不能再修改；如需更正，请新建一次检查并注明它更正的是哪一次。",
            "Inspection {id} has been submitted and cannot change; to correct it, start a new inspection "
            "that supersedes it.",
        ),
        "key_mismatch": (
            "检查记录 {id} 中，检查项的键 {key} 与其编号 {code} 不一致。",
            "In inspection {id}, the item key {key} does not match its code {code}.",
        ),
        "unknown_kind": (
            "未知的同步记录类型 {kind}（应为 inspection、problem 或 event）。",
            "Unknown sync record kind {kind} (expected inspection, problem or event).",
        ),
        "photo_missing": ("找不到照片文件 {path}。", "Photo file {path} does not exist."),
        "photo_unreadable": ("无法读取照片文件 {path}：{reason}", "Cannot read photo file {path}: {reason}"),
        "photo_type": (
            "{path} 不是支持的照片格式（支持 jpg、png、webp、heic、gif）。",
            "{path} is not a supported photo (jpg, png, webp, heic, gif).",
        ),
        "empty": ("文件为空", "the file is empty"),
        "version": ("格式版本为 {found}，应为 {known}", "format version {found}, expected {known}"),
        "kind": ("文件类型为 {found}，应为 {kind}", "file kind {found}, expected {kind}"),
        "shape": ("缺少 {table} 表中的记录", "no record in table {table}"),
        "damaged_restored": (
            "{what}文件 {path}（{id}）已损坏（{reason}），已移至 {aside}；已从备份恢复上一个版本"
            "（最后一次保存的改动可能不在其中，损坏的文件仍然保留）。",
            "The {what} file {path} ({id}) was damaged ({reason}) and was moved to {aside}; the previous "
            "version was restored from the backup (the last change may be missing; the damaged file is kept).",
        ),
        "damaged_lost": (
            "{what}文件 {path}（{id}）已损坏（{reason}），已移至 {aside}；没有可用的备份，"
            "这条记录暂不显示，其余数据正常打开。",
            "The {what} file {path} ({id}) was damaged ({reason}) and was moved to {aside}; there was no usable "
            "backup, so this record is not shown. Everything else opened normally.",
        ),
        "reference_lost": (
            "{what}文件 {path} 已损坏（{reason}），已移至 {aside}；没有可用的备份，"
            "点位和同步进度已重置，下次同步会从总部重新获取。检查记录和问题不受影响。",
            "The {what} file {path} was damaged ({reason}) and was moved to {aside}; there was no usable "
            "backup, so sites and the sync position were reset and will be fetched again from HQ at the next sync. "
            "Inspections and problems are unaffected.",
        ),
        "store_lost": (
            "{what}文件 {path} 已损坏（{reason}），已移至 {aside}；已重建，设备编号 {device}，检查记录和问题不受影响。",
            "The {what} file {path} was damaged ({reason}) and was moved to {aside}; it was rebuilt with "
            "device id {device}. Inspections and problems are unaffected.",
        ),
        "submitted_restored": (
            "{what}文件 {path}（{id}）已损坏（{reason}），已移至 {aside}；已从备份恢复已提交的版本"
            "（提交后的检查记录不会再改动，所以没有缺少内容；损坏的文件仍然保留）。",
            "The {what} file {path} ({id}) was damaged ({reason}) and was moved to {aside}; the submitted version "
            "was restored from the backup (a submitted inspection does not change, so nothing is missing; the "
            "damaged file is kept).",
        ),
        "submission_undone": (
            "{what}文件 {path}（{id}）已损坏（{reason}），已移至 {aside}；备份中只有提交前的草稿，已恢复为草稿："
            "这次提交已被撤销，这次检查需要重新提交。损坏的文件仍然保留。",
            "The {what} file {path} ({id}) was damaged ({reason}) and was moved to {aside}; its backup held only "
            "the draft from before it was submitted, so the draft was restored: the submission was undone and the "
            "inspection must be submitted again. The damaged file is kept.",
        ),
        "edited_restored": (
            "{what}文件 {path}（{id}）的校验和不符（可能被手工修改过），但内容仍然有效；已移至 {aside}，"
            "并从同一版本的完好备份恢复。",
            "The checksum of the {what} file {path} ({id}) does not match (it may have been edited by hand), "
            "though its content is valid; it was moved to {aside} and the intact backup of the same version "
            "was restored.",
        ),
        "edited_kept": (
            "{what}文件 {path}（{id}）的校验和不符（可能被手工修改过），但内容仍然有效，且没有同一版本的完好备份，"
            "已按现有内容保留；原样副本保存在 {aside}。",
            "The checksum of the {what} file {path} ({id}) does not match (it may have been edited by hand), "
            "though its content is valid and there is no intact backup of the same version, so it was kept as it "
            "is; a copy as found is at {aside}.",
        ),
        "problem_rederived": (
            "{what}文件 {path}（{id}）已损坏（{reason}），已移至 {aside}；没有可用的备份。这个问题尚未同步，"
            "已根据检查记录 {inspection} 重新生成，将随它同步到总部。损坏的文件仍然保留。",
            "The {what} file {path} ({id}) was damaged ({reason}) and was moved to {aside}; there was no usable "
            "backup. The problem had not been synced, so it was derived again from the inspection {inspection} "
            "and goes to HQ with it. The damaged file is kept.",
        ),
        "problem_refetch": (
            "{what}文件 {path}（{id}）已损坏（{reason}），已移至 {aside}；没有可用的备份，这个问题暂不显示。"
            "它已在总部，同步进度已重置，下次同步会从总部重新获取。",
            "The {what} file {path} ({id}) was damaged ({reason}) and was moved to {aside}; there was no usable "
            "backup, so the problem is not shown for now. HQ holds it: the sync position was reset, and the next "
            "sync fetches it again from HQ.",
        ),
        "photo_rebuilt": (
            "{what}文件 {path}（照片 {id}）{damage}；已根据照片文件本身重建（类型、大小），"
            "下次同步会向总部确认这张照片。",
            "The {what} file {path} (photo {id}) {damage}; it was rebuilt from the photo file itself (type, size), "
            "and the next sync confirms the photo with HQ.",
        ),
        "photo_meta_missing": ("缺失", "was missing"),
        "photo_meta_damaged": (
            "已损坏（{reason}），已移至 {aside}",
            "was damaged ({reason}) and was moved to {aside}",
        ),
        "photo_bytes_bad": (
            "照片文件 {path}（照片 {id}）缺少照片信息，且它的内容与照片编号（sha256）不符，已不是这张照片；"
            "已移至 {aside}（仍然保留），引用它的记录暂缺这张照片。",
            "The photo file {path} (photo {id}) had no photo info, and its content does not match the photo id "
            "(sha256), so it is not that photo any more; it was moved to {aside} (and is kept), and the records "
            "naming it lack that photo for now.",
        ),
        "unreadable": (
            "无法读取文件 {path}（{reason}），已跳过；其余数据正常打开。",
            "Cannot read {path} ({reason}); skipped. Everything else opened normally.",
        ),
        "migrated": (
            "已把旧格式数据 {old} 迁移到新格式（{counts}），原文件保留为 {backup}。",
            "Migrated the old-format data {old} ({counts}); the original is kept as {backup}.",
        ),
        "migrate_skipped": (
            "旧数据 {old} 中的{what} {id} 无法读取（{reason}），没有迁移；它仍保留在 {backup} 中。",
            "The {what} {id} in the old data {old} could not be read ({reason}) and was not migrated; "
            "it is still in {backup}.",
        ),
        # The pieces of "migrated": one count per kind of record, joined by the language's list separator.
        "count_inspections": ("{n} 条检查记录", Plural("{n} inspection", "{n} inspections")),
        "count_problems": ("{n} 个问题", Plural("{n} problem", "{n} problems")),
        "count_sites": ("{n} 个点位", Plural("{n} site", "{n} sites")),
        "list_separator": ("、", ", "),
        # What kind of file a recovery note is about (`what(kind, lang)`).
        "what_store": ("存储信息", "store info"),
        "what_reference": ("点位与同步", "sites and sync"),
        "what_checklist": ("检查表", "checklist"),
        "what_inspection": ("检查记录", "inspection"),
        "what_problem": ("问题", "problem"),
        "what_attachment": ("照片信息", "photo info"),
        "what_site": ("点位", "site"),
        "what_v1": ("旧格式数据", "old-format data"),
    },
    prefixes=("what_", "count_"),
)


def what(kind: str, lang: str) -> str:
    """The name of a kind of record file, for a recovery note ("检查记录", "inspection")."""
    return MESSAGES(f"what_{kind}", lang)


def counted(counts: dict[str, int], lang: str) -> str:
    """Counts of records by kind, in words: "2 条检查记录、1 个问题", "2 inspections, 1 problem"."""
    separator = MESSAGES("list_separator", lang)
    return separator.join(MESSAGES(f"count_{kind}", lang, n=n) for kind, n in counts.items())
