"""Every word the field app shows, in Chinese (the default) and English.

One catalogue (`UI`), keyed by message id, so a missing translation is a test failure rather than a blank on screen.
`tr(key, lang, **values)` is the call the TUI makes (through `App.t`); it is the catalogue itself.
"""

from __future__ import annotations

from checklists.i18n import LANGS, Catalogue, Entry, Plural, pick

__all__ = ["LANGS", "UI", "pick", "tr"]

_MESSAGES: dict[str, Entry] = {
    # app and global keys
    "app.title": ("创文督查", "Inspector"),
    "sep": ("：", ": "),
    "key.quit": ("退出", "Quit"),
    "key.help": ("帮助", "Help"),
    "key.commands": ("命令", "Commands"),
    "key.sync": ("同步", "Sync"),
    "key.back": ("返回", "Back"),
    # sites screen
    "sites.title": ("测评点位", "Sites"),
    "sites.filter_placeholder": (
        "筛选：名称或拼音（如 lmxq、limin），Enter 确认，Esc 清除",
        "Filter: name or pinyin (e.g. lmxq, limin); Enter keeps, Esc clears",
    ),
    "sites.col.name": ("点位", "Site"),
    "sites.col.type": ("类型", "Type"),
    "sites.col.area": ("街道/社区", "Street / community"),
    "sites.col.last": ("最近检查", "Last inspected"),
    "sites.col.rate": ("得分率", "Score"),
    "sites.col.state": ("状态", "State"),
    "sites.state.draft": ("草稿 {done}/{total}", "draft {done}/{total}"),
    "sites.state.open_problems": ("问题 {n}", "{n} open"),
    "sites.state.assigned": ("任务", "assigned"),
    "sites.none": ("没有匹配的点位。Esc 清除筛选。", "No site matches. Esc clears the filter."),
    "sites.count": (
        "共 {shown}/{total} 个点位",
        Plural("{shown} of {total} site", "{shown} of {total} sites", count="total"),
    ),
    "key.open": ("检查", "Inspect"),
    "key.filter": ("筛选", "Filter"),
    "key.history": ("历史", "History"),
    "key.ledger": ("台账", "Ledger"),
    "key.recheck": ("复查", "Recheck"),
    "sites.no_checklist": ("没有适用于“{site_type}”的检查表。", "No checklist for site type {site_type}."),
    # walk screen
    "walk.position": ("第 {n}/{total} 项", "Item {n}/{total}"),
    "walk.look_for": ("查什么", "What to check"),
    "walk.more_below": ("▼ 下面还有 {n} 行（shift+↓）", "▼ {n} more lines below (shift+↓)"),
    "walk.more_above": ("▲ 上面还有 {n} 行（shift+↑）", "▲ {n} more lines above (shift+↑)"),
    "walk.exemptions": ("不算问题", "Exempt"),
    "walk.quick_picks": ("常见问题", "Common problems"),
    "walk.verdict": ("判定", "Verdict"),
    "walk.none": ("未判定", "Unanswered"),
    "walk.progress": (
        "已判定 {answered}/{total} · 不符合 {failed} · 得分率 {rate}",
        "{answered}/{total} answered · {failed} failed · score {rate}",
    ),
    "walk.photos": ("照片", "Photos"),
    "walk.severity": ("程度", "Severity"),
    "walk.exemption_applied": ("按豁免情形计为符合：{exemption}", "Counted as pass under the exemption: {exemption}"),
    "walk.filter_placeholder": ("筛选条目：编号或文字，Esc 清除", "Filter items: code or text; Esc clears"),
    "walk.no_unanswered": ("没有未判定的条目了。按 F4 完成。", "No unanswered items left. F4 to finish."),
    "walk.no_failed": ("没有不符合的条目。", "No failed items."),
    "walk.submitted": ("这次检查已提交，只读。", "This inspection is submitted and read-only."),
    "walk.needs_evidence": ("缺少问题描述", "needs a description"),
    "walk.history": ("此前在本点位", "Earlier at this site"),
    "walk.history_last": ("上次判定：{verdict}（{day}）", "Last verdict: {verdict} ({day})"),
    "walk.history_problem": (
        "未销号：{description} · {day} 发现 · {status} · 期限 {due} · {unit}",
        "Open: {description} · found {day} · {status} · due {due} · {unit}",
    ),
    "walk.history_overdue": ("已逾期", "overdue"),
    "walk.history_reopened": ("反弹 {n} 次", Plural("reopened {n} time", "reopened {n} times")),
    "walk.history_closed": (
        "上次的问题已于 {day} 销号；这次判不符合即为反弹",
        "The last problem here was closed on {day}; a fail now reopens it",
    ),
    "walk.history_no_unit": ("责任单位未定", "no responsible unit"),
    "key.pass": ("符合", "Pass"),
    "key.fail": ("不符合", "Fail"),
    "key.na": ("不适用", "N/A"),
    "key.clear": ("清除", "Clear"),
    "key.next_unanswered": ("下个未判", "Unanswered"),
    "key.next_failed": ("下个问题", "Next failed"),
    "key.details": ("问题详情", "Details"),
    "key.finish": ("完成", "Finish"),
    "key.undo": ("撤销", "Undo"),
    "key.detail_down": ("条文下翻", "Scroll item down"),
    "key.detail_up": ("条文上翻", "Scroll item up"),
    "verdict.pass": ("符合", "Pass"),
    "verdict.fail": ("不符合", "Fail"),
    "verdict.na": ("不适用", "N/A"),
    "severity.minor": ("一般", "Minor"),
    "severity.major": ("严重", "Major"),
    # failure panel
    "fail.title": ("不符合：{code} {title}", "Fail: {code} {title}"),
    "fail.picks_hint": ("数字键选择常见问题（可多选）", "Digits toggle common problems (several allowed)"),
    "fail.note_placeholder": (
        "位置 + 对象 + 问题，如：3 号楼 2 单元楼道堆放纸箱",
        "Where + what + problem, e.g. stairwell of block 3 blocked by boxes",
    ),
    "fail.photo_placeholder": (
        "照片路径 Enter 添加；空着按 Enter 或 F3 从照片文件夹选",
        "Photo path + Enter attaches; Enter on empty or F3 picks from the photo folders",
    ),
    "fail.photo_added": ("已添加照片 {name}", "Photo {name} attached"),
    "fail.photos_count": ("照片 {n} 张", Plural("{n} photo", "{n} photos")),
    "fail.photos_min": ("（至少 {min} 张）", " (at least {min})"),
    "fail.exemption_hint": (
        "属于下列情形则不算问题（选中即计为符合）：",
        "Not a problem in these cases (choosing one counts as pass):",
    ),
    "fail.need_description": (
        "不符合必须有问题描述：选常见问题或写说明。再按 Esc 撤销这次不符合判定。",
        "A failure needs a description: pick a common problem or write a note. Esc again abandons this failure.",
    ),
    "fail.abandoned": ("已撤销不符合判定。", "Failure abandoned."),
    "fail.onspot_off": ("当场整改：否（F4 切换）", "Fixed on the spot: no (F4 toggles)"),
    "fail.onspot_on": (
        "当场整改：是，整改后照片 {n} 张，提交后待销号（F4 切换）",
        Plural(
            "Fixed on the spot: yes, {n} after-photo; awaits closure once submitted (F4 toggles)",
            "Fixed on the spot: yes, {n} after-photos; awaits closure once submitted (F4 toggles)",
        ),
    ),
    "fail.after_photo_placeholder": (
        "当场整改后照片路径 Enter 添加；空着按 Enter 从照片文件夹选",
        "After-photo of the on-the-spot fix: path + Enter attaches; Enter on empty picks from the photo folders",
    ),
    "fail.onspot_needs_photo": (
        "当场整改需要至少 1 张整改后照片；或按 F4 取消当场整改。",
        "A fix on the spot needs at least one after-photo; or press F4 to undo 'fixed on the spot'.",
    ),
    "key.onspot": ("当场整改", "Fixed on spot"),
    "key.done": ("完成", "Done"),
    "key.severity": ("切换程度", "Severity"),
    "key.photos": ("选照片", "Photos"),
    "key.attach": ("添加", "Attach"),
    # summary
    "summary.title": ("检查小结：{site}", "Summary: {site}"),
    "summary.rate": (
        "得分率 {rate}（符合 {passed}，不符合 {failed}，不适用 {na}）",
        "Score {rate} (pass {passed}, fail {failed}, n/a {na})",
    ),
    "summary.unanswered": ("未判定 {n} 项：{codes}", "{n} unanswered: {codes}"),
    "summary.failures": ("不符合 {n} 项", "{n} failed"),
    "summary.gap": ("{code}：{what}", "{code}: {what}"),
    "summary.gap_description": ("缺少问题描述", "no description"),
    "summary.gap_photos": ("还需 {n} 张照片", Plural("{n} more photo needed", "{n} more photos needed")),
    "summary.ready": (
        "可以提交。提交后不可修改，每个不符合将生成一条问题。",
        "Ready. Once submitted it cannot change; each failure becomes a problem.",
    ),
    "summary.blocked": ("还不能提交：请先处理上面的项目。", "Not ready: deal with the items above first."),
    "summary.submitted": (
        "已提交，生成问题 {n} 条。",
        Plural("Submitted; {n} problem created.", "Submitted; {n} problems created."),
    ),
    "key.submit": ("提交", "Submit"),
    "key.goto": ("去处理", "Go to item"),
    # history
    "history.title": ("检查历史：{site}", "History: {site}"),
    "history.col.date": ("日期", "Date"),
    "history.col.status": ("状态", "Status"),
    "history.col.rate": ("得分率", "Score"),
    "history.col.failed": ("不符合", "Failed"),
    "history.col.inspector": ("检查人", "Inspector"),
    "history.none": ("这个点位还没有检查记录。", "No inspections of this site yet."),
    "status.draft": ("草稿", "Draft"),
    "status.submitted": ("已提交", "Submitted"),
    # help
    "help.title": ("按键帮助", "Keys"),
    "help.ime": (
        "中文输入法：判定用数字键，输入法开着也能用；“？”和“、”与 ? / 等效。文字框里按键只输入文字。",
        "Chinese IME: verdicts are digits, which work with the IME on; ？ and 、 act as ? and /. "
        "In a text box keys only type.",
    ),
    "help.remap": (
        "改键：在 {path} 写 keymap（按键 id → 按键）。",
        "Remap keys: put a keymap (binding id → keys) in {path}.",
    ),
    # sync
    "sync.badge.never": ("待传 {pending} · 未同步", "{pending} pending · never synced"),
    "sync.badge.ok": ("待传 {pending} · 已同步 {time}", "{pending} pending · synced {time}"),
    "sync.badge.error": ("待传 {pending} · 同步失败：{error}", "{pending} pending · sync failed: {error}"),
    "sync.badge.running": ("同步中…", "syncing…"),
    "sync.refused_records": ("{reason}（{n} 条记录）", Plural("{reason} ({n} record)", "{reason} ({n} records)")),
    "sync.badge.offline": ("待传 {pending} · 未绑定服务器", "{pending} pending · not enrolled"),
    "sync.not_enrolled": (
        "本机尚未绑定总部服务器：运行 inspector enroll URL CODE。",
        "This device is not enrolled: run inspector enroll URL CODE.",
    ),
    # palette
    "cmd.sites": ("点位列表", "Sites"),
    "cmd.sync": ("立即同步", "Sync now"),
    "cmd.ledger": ("问题台账", "Problem ledger"),
    "cmd.help": ("按键帮助", "Keys"),
    "cmd.quit": ("退出", "Quit"),
    "cmd.placeholder": ("搜索命令…", "Search for commands…"),
    "cmd.sync.help": (
        "上传本机记录、下载总部的点位与决定",
        "Send this laptop's records, fetch HQ's sites and decisions",
    ),
    "cmd.ledger.help": ("全部问题：筛选、详情、交办", "Every problem: filter, details, assign"),
    "cmd.sites.help": ("回到点位列表", "Back to the site list"),
    "cmd.help.help": ("此处可用的全部按键", "Every key that works here"),
    "cmd.quit.help": ("退出（所有记录都已保存）", "Quit (everything is saved)"),
    "app.crashed": (
        "Inspector 遇到意外错误而退出：{error}\n已保存的记录不受影响。详情已写入 {log}，请发给维护者。",
        "Inspector stopped on an unexpected error: {error}\nSaved records are safe. Details are in {log}; "
        "please send it to the maintainers.",
    ),
    "sync.unexpected": ("同步出错：{error}", "Sync failed: {error}"),
    "list.sep": ("、", ", "),
    # store
    "store.recovered": ("数据修复：{note}", "Store repaired: {note}"),
}


_MESSAGES.update(
    {
        # ledger
        "ledger.title": ("问题台账", "Problem ledger"),
        "ledger.col.mark": ("", ""),
        "ledger.col.site": ("点位", "Site"),
        "ledger.col.item": ("条目", "Item"),
        "ledger.col.problem": ("存在问题", "Problem"),
        "ledger.col.unit": ("责任单位", "Responsible unit"),
        "ledger.col.due": ("整改时限", "Due"),
        "ledger.col.status": ("状态", "Status"),
        "ledger.overdue": ("逾期", "overdue"),
        "ledger.conflict": ("冲突", "conflict"),
        "ledger.filter_placeholder": (
            "筛选：点位、街道、社区、单位或问题（支持拼音）",
            "Filter: site, street, community, unit or text (pinyin works)",
        ),
        "ledger.filters": (
            "状态：{status} · 逾期：{overdue} · 程度：{severity} · 已选 {selected} · 共 {shown}/{total}",
            "status: {status} · overdue: {overdue} · severity: {severity} · {selected} selected · {shown}/{total}",
        ),
        "ledger.any": ("全部", "any"),
        "ledger.open": ("未销号", "open"),
        "ledger.only": ("仅逾期", "only"),
        "ledger.empty": ("没有符合条件的问题。", "No problem matches."),
        "ledger.reviewer_only": (
            "交办、销号、作废只能由复核人员（reviewer）操作。",
            "Only reviewers can assign, close or void.",
        ),
        "ledger.done": ("{ok} 条成功，{failed} 条被拒绝", "{ok} done, {failed} refused"),
        "key.mark": ("选择", "Select"),
        "key.status_filter": ("状态", "Status"),
        "key.overdue_filter": ("逾期", "Overdue"),
        "key.severity_filter": ("程度", "Severity"),
        "key.assign": ("交办", "Assign"),
        "key.close": ("销号", "Close"),
        "key.void": ("作废", "Void"),
        "key.problem_detail": ("详情", "Details"),
        "detail.title": ("问题详情", "Problem"),
        "detail.site": ("点位", "Site"),
        "detail.item": ("条目", "Item"),
        "detail.description": ("存在问题", "Problem"),
        "detail.status": ("状态", "Status"),
        "detail.unit": ("责任单位", "Responsible unit"),
        "detail.deadline": ("整改时限", "Deadline"),
        "detail.found": ("发现", "Found"),
        "detail.due_estimated": (
            "（估算：{years} 年的节假日安排尚未载入，只跳过了周末；可用 inspector calendar add 载入）",
            " (estimated: the holiday arrangement for {years} is not loaded, only weekends were skipped; load it "
            "with inspector calendar add)",
        ),
        "detail.before": ("整改前照片", "Before photos"),
        "detail.after": ("整改后照片", "After photos"),
        "detail.timeline": ("处置时间线", "Timeline"),
        "detail.conflict": ("冲突（需复核）：{reason}", "Conflict (for a reviewer): {reason}"),
        "detail.refused": ("总部拒收，未生效：{reason}", "Refused by HQ, not applied: {reason}"),
        "ledger.confirm_close": (
            "销号 {n} 条问题？Enter 确定，Esc 取消",
            Plural(
                "Close {n} problem? Enter confirms, Esc cancels",
                "Close {n} problems? Enter confirms, Esc cancels",
            ),
        ),
        "ledger.confirm_void": (
            "作废 {n} 条问题？作废后不能恢复。Enter 确定，Esc 取消",
            Plural(
                "Void {n} problem? This cannot be undone. Enter confirms, Esc cancels",
                "Void {n} problems? This cannot be undone. Enter confirms, Esc cancels",
            ),
        ),
        "detail.rectification": ("整改情况", "Rectification"),
        "detail.review": ("复查结论", "Re-inspection"),
        # assign dialog
        "assign.title": ("交办 {n} 条问题", Plural("Assign {n} problem", "Assign {n} problems")),
        "assign.unit": ("责任单位（留空则保留原单位）", "Responsible unit (blank keeps the current one)"),
        "assign.rule": ("整改时限", "Deadline"),
        "assign.note": ("交办说明（可选）", "Note (optional)"),
        "key.confirm": ("确定", "Confirm"),
        # recheck
        "recheck.title": ("复查：{site}（{n}/{total}）", "Re-inspection: {site} ({n}/{total})"),
        "recheck.none": ("这个点位没有待复查的问题。", "No open problems at this site."),
        "recheck.note_placeholder": ("复查说明，如：纸箱已清理，楼道通畅", "Note, e.g. boxes removed, stairwell clear"),
        "recheck.photo_placeholder": (
            "整改后照片路径 Enter 添加，空着 Enter 或 F3 选照片（已整改必填）",
            "After-photo path + Enter; Enter on empty or F3 picks (required for fixed)",
        ),
        "recheck.recorded": (
            "已记录：{outcome}，问题现为「{status}」",
            "Recorded: {outcome}; the problem is now {status}",
        ),
        "recheck.finished": (
            "本点位复查完成：已整改 {fixed}，未整改 {not_fixed}，部分整改 {partly}",
            "Re-inspection done: fixed {fixed}, not fixed {not_fixed}, partly {partly}",
        ),
        "recheck.outcomes": (
            "1 已整改 · 2 未整改 · 3 部分整改，Enter 记录",
            "1 fixed · 2 not fixed · 3 partly; Enter records",
        ),
        "key.skip": ("跳过", "Skip"),
    }
)


UI = Catalogue(
    "ui",
    _MESSAGES,
    # Keys the TUI completes at run time: table column headings by column key, labels by enum value.
    prefixes=("sites.col.", "history.col.", "ledger.col.", "status.", "severity.", "verdict."),
)
tr = UI
