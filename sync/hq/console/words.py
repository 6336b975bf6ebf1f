"""The console's words, in Chinese and English. One catalogue: the shared words are here, and each page module adds
its own with `WORDS.update` beside the code that says them (the templates ask with `t('key')`)."""

from __future__ import annotations

from checklists.i18n import Catalogue, Plural

WORDS = Catalogue(
    "hq.console",
    {
        "app": ("Inspector 总部控制台", "Inspector HQ console"),
        "skip": ("跳到正文", "skip to the content"),
        # the menu
        "nav.overview": ("概览", "Overview"),
        "nav.inspections": ("检查记录", "Inspections"),
        "nav.ledger": ("问题台账", "Problem ledger"),
        "nav.ranking": ("排名 / 红黑榜", "Ranking"),
        "nav.bulletin": ("督查通报", "Bulletin"),
        "nav.sites": ("点位", "Sites"),
        "nav.checklists": ("检查表", "Checklists"),
        "nav.rounds": ("任务批次", "Rounds"),
        "nav.users": ("用户与设备", "Users & devices"),
        "nav.audit": ("审计日志", "Audit log"),
        "signed_in_as": ("{name}（{role}）", "{name} ({role})"),
        "role.reviewer": ("复核员", "reviewer"),
        "role.admin": ("管理员", "admin"),
        "role.inspector": ("督查员", "inspector"),
        "signout": ("退出", "Sign out"),
        "lang.switch": ("English", "中文"),
        # sign-in
        "signin.title": ("登录", "Sign in"),
        "signin.name": ("用户名", "User name"),
        "signin.password": ("密码", "Password"),
        "signin.submit": ("登录", "Sign in"),
        "signin.hint": (
            "复核员和管理员使用总部为其设置的密码登录（inspector hq user password 用户名）。督查员请使用设备同步。",
            "Reviewers and admins sign in with the password HQ set for them (inspector hq user password NAME). "
            "Inspectors sync from their devices.",
        ),
        "signin.signed_out": ("已退出。", "Signed out."),
        "signin.expired": (
            "长时间未操作，已自动退出；请重新登录。",
            "Signed out after a while without activity; sign in again.",
        ),
        # shared words of lists and filters
        "filter.apply": ("筛选", "Filter"),
        "filter.reset": ("清除筛选", "Clear filters"),
        "filter.from": ("起始日期", "From"),
        "filter.to": ("截止日期", "To"),
        "filter.street": ("街道", "Street"),
        "filter.community": ("社区", "Community"),
        "filter.batch": ("批次", "Round"),
        "filter.text": ("搜索", "Search"),
        "filter.any": ("全部", "any"),
        "export.xlsx": ("导出 Excel", "Export xlsx"),
        "export.csv": ("导出 CSV", "Export CSV"),
        "rows": ("共 {n} 条", Plural("{n} row", "{n} rows")),
        "page.prev": ("上一页", "Previous"),
        "page.next": ("下一页", "Next"),
        "page.of": ("第 {page} / {pages} 页", "page {page} of {pages}"),
        "none": ("无", "none"),
        "severity.minor": ("一般", "minor"),
        "severity.major": ("严重", "major"),
        "col.site": ("点位", "Site"),
        "col.street": ("街道", "Street"),
        "col.community": ("社区", "Community"),
        "col.batch": ("批次", "Round"),
        "col.inspector": ("督查员", "Inspector"),
        # errors
        "error.title": ("无法完成", "Cannot do that"),
        "error.back": ("返回", "Back"),
        "error.not_found": ("没有这个页面", "No such page"),
        "error.internal": (
            "总部发生意外错误；本次操作未生效，请稍后重试",
            "HQ hit an unexpected error; nothing was changed, try again later",
        ),
        "error.bad_value": ("{field} 的值不正确：{value}", "{field} has an invalid value: {value}"),
    },
    prefixes=("role.", "severity.", "verdict.", "action.", "ledger.sort."),
)
