"""The `inspector` command: argument parsing and dispatch, nothing else.

Every subcommand's work lives in the module that owns it and is imported only when that subcommand runs, so
opening the TUI never pays for the server stack or openpyxl. Each subcommand names its handler on its parser
(`set_defaults(handler=...)`); `main` calls it. No user error ends in a traceback: the command modules return exit
codes and messages, and anything unexpected is reported in one line with where to look.

The help is Chinese unless English is asked for (`--lang en`, or INSPECTOR_LANG=en): the language is read from the
arguments before the parser is built, since the parser's help texts are worded in it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from checklists.i18n import Catalogue
from inspector.i18n import LANGS
from sync.roles import Role

if TYPE_CHECKING:
    from inspector.core.store import Store

# Before anything can import Textual: the kitty keyboard protocol garbles IME commits of 5+ CJK characters (the
# terminal reports each character as a separate key event). Textual reads this once, at import.
os.environ.setdefault("TEXTUAL_DISABLE_KITTY_KEY", "1")

Handler = Callable[[argparse.Namespace, TextIO, TextIO], int]

HELP = Catalogue(
    "cli.help",
    {
        "description": (
            "创文/创城/创卫现场督查：离线检查，与总部同步。",
            "创文/创城/创卫 field inspection, offline, synced to HQ.",
        ),
        "data_dir": (
            "数据目录（默认：$INSPECTOR_DATA_DIR 或用户数据目录）",
            "data directory (default: $INSPECTOR_DATA_DIR or the user data dir)",
        ),
        "lang": ("界面语言：zh（默认）或 en", "interface language: zh (default) or en"),
        "version": ("显示版本号并退出", "show the version and exit"),
        "checklist": ("校验或列出检查表", "validate or list checklists"),
        "validate": (
            "校验检查表 YAML 文件；每个错误一行 FILE:LINE: 说明",
            "check checklist YAML files; FILE:LINE: message per error",
        ),
        "list": ("已安装的检查表及其条目数", "the installed checklists with item counts"),
        "json": ("机器可读的输出", "machine-readable output"),
        "export": ("导出检查记录、条目结果和问题", "export inspections, item results and problems"),
        "output": ("输出文件（json 不给时输出到标准输出）", "output file (json goes to stdout without it)"),
        "report": ("报告", "reports"),
        "bulletin": (
            "定期督查通报（Markdown、可打印的 HTML 或 Word .docx）",
            "the periodic 督查通报 (Markdown, printable HTML or Word .docx)",
        ),
        "issue_no": (
            "期号，如“2026 年第 9 期”（默认按设置 bulletin.issue_no）",
            "the issue number, e.g. 2026-9 (default: the setting bulletin.issue_no)",
        ),
        "issuer": (
            "发文单位，如“XX 市创城办”（默认按设置 bulletin.issuer）",
            "the issuing office (default: the setting bulletin.issuer)",
        ),
        "report_settings": (
            "报告设置：期号、发文单位、红黑榜规则（命令行选项优先）",
            "report settings: issue number, issuing office, red/black list rules (options on a command win)",
        ),
        "settings_set": ("设置一项（见 settings list）", "set one (see settings list)"),
        "settings_list": ("列出全部设置及其含义", "list every setting and what it means"),
        "settings_key": ("设置名，如 bulletin.issuer", "the setting, e.g. bulletin.issuer"),
        "settings_value": ("设置值", "the value"),
        "report_format": (
            "输出格式（默认按 -o 文件后缀：.md、.html、.docx；无 -o 时为 md）",
            "output format (default: the -o file's suffix .md, .html or .docx; md without -o)",
        ),
        "list_size": (
            "红榜、黑榜各列多少个点位（默认按设置，未设置为 3）",
            "how many sites on each of the red and black lists (default: the setting, else 3)",
        ),
        "min_inspections": (
            "点位至少检查几次才参加红黑榜评选（默认按设置，未设置为 1）",
            "inspections a site needs in the period to be ranked on the lists (default: the setting, else 1)",
        ),
        "close_by": (
            "整改要求中的销号期限（默认：期末后 7 天）",
            "the closing deadline the requirements set (default: a week after the period)",
        ),
        "notice": (
            "给一个责任单位的整改通知书（.docx 或 .html）：其全部未整改问题和回执",
            "the rectification notice for one responsible unit (.docx or .html): its open problems and a receipt",
        ),
        "notice_output": ("输出文件：.docx 或 .html", "output file: .docx or .html"),
        "notice_format": (
            "输出格式（默认按 -o 文件后缀：.docx 或 .html）",
            "output format (default: the -o file's suffix)",
        ),
        "notice_close_by": (
            "全部问题的整改期限（默认：最晚的整改时限，且至少在 3 天后）",
            "the date by which every problem is to be rectified (default: the latest deadline, 3 days ahead at least)",
        ),
        "notice_no": ("通知书编号（默认按单位和日期生成）", "the notice's number (default: made from unit and date)"),
        "notice_from": ("只列该日期（含）以后发现的问题", "only problems found on or after this day"),
        "notice_to": ("只列该日期（含）以前发现的问题", "only problems found on or before this day"),
        "not_a_count": ("不是非负整数：{text}", "not a whole number ≥ 0: {text}"),
        "report_output": ("写入该文件而不是标准输出", "write to this file instead of stdout"),
        "enroll": ("把本机绑定到总部", "bind this device to an HQ server"),
        "sync": (
            "同步一轮（上传/下载）；退出码 0 成功，2 无法连接总部，1 出错",
            "one push/pull round; exit 0 ok, 2 server unreachable, 1 error",
        ),
        "hq": (
            "总部服务器及其管理：用户、设备、点位、分配、检查表、审计",
            "the HQ server and its admin: users, devices, sites, assignments, checklists, audit",
        ),
        "serve": ("运行总部服务器", "run the HQ server"),
        "user": ("添加、列出或停用用户", "add, list or revoke users"),
        "user_list": ("列出用户：角色、设备数、是否停用", "list users: role, devices, revoked"),
        "device": ("列出或停用设备", "list or revoke devices"),
        "device_list": (
            "列出设备：用户、设备名、版本、最近联系、是否停用",
            "list devices: user, name, app version, last seen, revoked",
        ),
        "device_revoke": ("停用一台设备：其下一次请求即被拒绝", "cut one device off at its next request"),
        "device_id": ("设备编号（见 hq device list）", "the device id (see hq device list)"),
        "site": ("导入或列出点位", "import or list sites"),
        "site_import": (
            "从 .xlsx/.csv 导入点位（名称、类型、区、街道、社区、网格、责任单位、检查表）；先预览",
            "import sites from .xlsx/.csv (name, type, district, street, community, grid, unit, checklist); "
            "previews first",
        ),
        "site_list": ("列出总部的点位", "list HQ's sites"),
        "sheet_file": ("表格文件（.xlsx 或 .csv）", "the spreadsheet (.xlsx or .csv)"),
        "apply": ("没有错误时写入总部（不加只预览）", "apply when no row is bad (without it: preview only)"),
        "assign": ("导入或查看点位分配", "import or show assignments"),
        "assign_import": (
            "从 .xlsx/.csv 导入分配（检查员、点位、批次）；先预览",
            "import assignments from .xlsx/.csv (inspector, site, batch); previews first",
        ),
        "assign_list": ("每位检查员：分配、已检查、待检查", "per inspector: assigned, done, due"),
        "batch": ("只看该批次", "only this batch"),
        "hq_checklist": ("发布或列出总部的检查表", "publish or list HQ's checklists"),
        "checklist_publish": (
            "校验并发布检查表 YAML；已发布的版本不能修改",
            "validate and publish a checklist YAML; a published version never changes",
        ),
        "checklist_file": ("检查表 YAML 文件", "the checklist YAML file"),
        "hq_checklist_list": (
            "已发布的检查表：编号、版本、类型、条目数、发布时间",
            "published checklists: id, version, site type, items, published at",
        ),
        "audit": ("查看审计日志（最新在前）", "show the audit log (newest first)"),
        "since": ("从该日期（含，本地时间）起", "from this day on (inclusive, local time)"),
        "actor": ("只看该操作人（用户名或 hq-admin）", "only this actor (a user name or hq-admin)"),
        "limit": ("最多显示条数（默认 50）", "at most this many entries (default 50)"),
        "not_a_limit": ("不是 1 到 10000 之间的整数：{text}", "not a whole number from 1 to 10000: {text}"),
        "user_add": (
            "创建用户；打印一次性绑定码（复核员、管理员还要设置控制台密码：输入两次，非终端时读取标准输入的两行）",
            "create a user; prints a one-time enrollment code (a reviewer or admin also gets a console password, "
            "typed twice, or the first two lines of standard input when it is not a terminal)",
        ),
        "user_password": (
            "设置或修改复核员、管理员的控制台密码（输入两次）",
            "set or change a reviewer's or admin's console password (typed twice)",
        ),
        "user_revoke": ("停用用户：其设备在下一次请求时即被拒绝", "cut a user's devices off at their next request"),
        "db": (
            "数据库 URL（默认：数据目录中的 SQLite 文件；postgresql+psycopg://...）",
            "database URL (default: a SQLite file in the data dir; postgresql+psycopg://...)",
        ),
        "files": ("要校验的检查表 YAML 文件", "checklist YAML files to check"),
        "format": ("导出格式", "output format"),
        "date_from": ("起始日期（含）", "first day (inclusive)"),
        "date_to": ("截止日期（含）", "last day (inclusive)"),
        "url": ("总部地址，如 http://192.168.1.10:8765", "the HQ address, e.g. http://192.168.1.10:8765"),
        "code": ("总部给出的一次性绑定码", "the one-time enrollment code from HQ"),
        "host": (
            "监听地址（默认 127.0.0.1：只有本机可访问）",
            "address to listen on (default 127.0.0.1: this computer only)",
        ),
        "port": ("监听端口（默认 8765）", "port to listen on (default 8765)"),
        "user_name": ("用户名", "the user's name"),
        "role": ("角色：inspector 督查员、reviewer 审核人员、admin 管理员", "role: inspector, reviewer or admin"),
        "checklist_add": (
            "本机加入一份检查表（先按 validate 检查；无总部时使用）",
            "add a checklist to this laptop (checked as validate does; for a laptop without HQ)",
        ),
        "checklist_add_file": ("检查表 YAML 文件", "the checklist's YAML file"),
        "calendar": ("节假日安排（工作日时限按此计算）", "holiday arrangements (working-day deadlines follow them)"),
        "calendar_add": (
            "载入某年的节假日安排（国务院办公厅通知，YAML 文件）",
            "load a year's holiday arrangement (the State Council notice, as YAML)",
        ),
        "calendar_file": ("节假日安排 YAML 文件", "the arrangement's YAML file"),
        "calendar_list": ("列出已知节假日安排的年份", "list the years whose arrangement is known"),
        "photos": ("照片文件夹（选照片时列出其中的照片）", "photo folders (the photo picker lists them)"),
        "photos_folder": ("照片文件夹：add 加入、remove 移除、list 列出", "photo folders: add, remove, list"),
        "photos_folder_add": ("加入一个照片文件夹", "add a photo folder"),
        "photos_folder_remove": ("移除一个照片文件夹", "remove a photo folder"),
        "photos_folder_list": ("列出照片文件夹", "list the photo folders"),
        "photos_path": ("文件夹路径", "the folder's path"),
        "photos_gps": (
            "上传给总部的照片是否保留拍摄位置：keep 保留、strip 去除（默认）；已绑定的电脑每次同步后按总部的设置"
            "（photos_keep_gps）",
            "whether photos sent to HQ keep their location: keep, or strip (the default); an enrolled laptop follows "
            "HQ's setting (photos_keep_gps) at each sync",
        ),
        "round": ("检查批次", "inspection rounds"),
        "round_add": ("建立批次（或更正其日期）", "add a round (or correct its dates)"),
        "round_name": ("批次名称，如「2026 第 9 期督查」", "the round's name, e.g. 2026 round 9"),
        "round_list": ("列出批次及其状态", "list the rounds and their state"),
        "hq_report": ("总部报表：由总部数据库生成", "HQ reports, from the HQ database"),
        "hq_bulletin": ("全市督查通报（所有设备上传的检查）", "the city bulletin (every device's inspections)"),
        "hq_export": (
            "导出全市问题台账（--kind 另选检查结果、得分率），可按条件筛选",
            "export the city's ledger (--kind for the results and score rates), filtered as asked",
        ),
        "reindex": (
            "由存储的记录重建读模型，并说明是否有差异",
            "rebuild the read model from the stored records and say whether it differed",
        ),
        "check": ("只检查，不修改（有差异时退出码 1）", "check only, change nothing (exit 1 when it differs)"),
        "street": ("街道", "street"),
        "community": ("社区", "community"),
        "unit": ("责任单位", "responsible unit"),
        "status": ("问题状态", "problem status"),
        "overdue": ("只导出今天已逾期的问题", "only problems overdue today"),
        "export_kind": (
            "导出内容：problems 问题台账（默认）、results 逐条检查结果、scores 点位得分率、all 全部",
            "what to export: problems, the ledger (default); results, every item result; scores, each site's "
            "score rate; all of them",
        ),
        "not_a_date": ("不是日期：{text}（应为 YYYY-MM-DD）", "not a date: {text} (expected YYYY-MM-DD)"),
        "not_a_port": ("不是端口：{text}（应为 1-65535）", "not a port: {text} (expected 1-65535)"),
        "unexpected": (
            "inspector: 发生意外错误：{error}；数据已保存的部分不受影响。请把这条信息报告给维护者。",
            "inspector: unexpected error: {error}; what was saved is not affected. Please report this line.",
        ),
    },
)


# argparse's own words (usage, section titles, its errors) are English; the Chinese help says them in Chinese.
ARGPARSE = Catalogue(
    "cli.argparse",
    {
        "usage": ("用法：", "usage: "),
        "positionals": ("位置参数：", "positional arguments:"),
        "options": ("选项：", "options:"),
        "help": ("显示本帮助并退出", "show this help message and exit"),
        "error": ("{prog}：错误：{message}", "{prog}: error: {message}"),
        "required": ("缺少必需的参数：{names}", "the following arguments are required: {names}"),
        "invalid_choice": ("无效的选项 {value}（可选：{choices}）", "invalid choice: {value} (choose from {choices})"),
        "unrecognized": ("无法识别的参数：{names}", "unrecognized arguments: {names}"),
        "one_argument": ("需要一个值", "expected one argument"),
        "argument": ("参数 {name}：{message}", "argument {name}: {message}"),
    },
)

# argparse's English → the catalogue key that says it. Error patterns: the groups are the message's values.
_ARGPARSE_WORDS = {"usage: ": "usage", "positional arguments:": "positionals", "options:": "options"}
_ARGPARSE_ERRORS = (
    (re.compile(r"^argument (?P<name>[^:]+): (?P<message>.*)$", re.S), "argument"),
    (re.compile(r"^the following arguments are required: (?P<names>.*)$", re.S), "required"),
    (re.compile(r"^invalid choice: (?P<value>.*?) \(choose from (?P<choices>.*)\)$", re.S), "invalid_choice"),
    (re.compile(r"^unrecognized arguments: (?P<names>.*)$", re.S), "unrecognized"),
    (re.compile(r"^expected one argument$"), "one_argument"),
)


def _argparse_words(text: str, lang: str) -> str:
    """argparse's English message worded in `lang` (nested: 'argument X: invalid choice ...')."""
    for pattern, key in _ARGPARSE_ERRORS:
        found = pattern.match(text)
        if found:
            values = {name: _argparse_words(value, lang) for name, value in found.groupdict().items()}
            return ARGPARSE(key, lang, **values)
    return text


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose own words (usage, titles, errors) follow the help's language."""

    lang = "zh"

    def format_help(self) -> str:
        return self._localized(super().format_help())

    def format_usage(self) -> str:
        return self._localized(super().format_usage())

    def _localized(self, text: str) -> str:
        if self.lang == "en":
            return text
        for english, key in _ARGPARSE_WORDS.items():
            text = text.replace(english, ARGPARSE(key, self.lang))
        return text.replace(ARGPARSE("help", "en"), ARGPARSE("help", self.lang))

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        text = ARGPARSE("error", self.lang, prog=self.prog, message=_argparse_words(message, self.lang))
        self.exit(2, text + "\n")


def requested_lang(argv: Sequence[str]) -> str | None:
    """The language the arguments (or INSPECTOR_LANG) ask for, read before parsing; None when none is chosen."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in LANGS:
            return argv[i + 1]
        if arg.startswith("--lang=") and arg.partition("=")[2] in LANGS:
            return arg.partition("=")[2]
    env = os.environ.get("INSPECTOR_LANG", "")
    return env if env in LANGS else None


def _parser(lang: str) -> argparse.ArgumentParser:
    from inspector import version

    def h(key: str) -> str:
        return HELP(key, lang)

    # Subparsers are made with the parent's class, so the language rides on a class made for this parse.
    parser_class: type[_Parser] = type("Parser", (_Parser,), {"lang": lang})
    parser = parser_class(prog="inspector", description=h("description"))
    parser.set_defaults(handler=_tui)
    parser.add_argument("--data-dir", type=Path, help=h("data_dir"))
    parser.add_argument("--lang", choices=LANGS, default=None, help=h("lang"))
    parser.add_argument("--version", action="version", version=f"inspector {version()}", help=h("version"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    checklist = sub.add_parser("checklist", help=h("checklist"))
    checklist_sub = checklist.add_subparsers(dest="checklist_command", metavar="ACTION", required=True)
    validate = checklist_sub.add_parser("validate", help=h("validate"))
    validate.add_argument("files", nargs="+", metavar="FILE", help=h("files"))
    validate.set_defaults(handler=_checklist_validate)
    checklist_add = checklist_sub.add_parser("add", help=h("checklist_add"))
    checklist_add.add_argument("file", type=Path, metavar="FILE", help=h("checklist_add_file"))
    checklist_add.set_defaults(handler=_checklist_add)
    listing = checklist_sub.add_parser("list", help=h("list"))
    listing.add_argument("--json", action="store_true", help=h("json"))
    listing.set_defaults(handler=_checklist_list)

    calendar = sub.add_parser("calendar", help=h("calendar"))
    calendar_sub = calendar.add_subparsers(dest="calendar_command", metavar="ACTION", required=True)
    calendar_add = calendar_sub.add_parser("add", help=h("calendar_add"))
    calendar_add.add_argument("file", type=Path, metavar="FILE", help=h("calendar_file"))
    calendar_add.set_defaults(handler=_calendar_add)
    calendar_sub.add_parser("list", help=h("calendar_list")).set_defaults(handler=_calendar_list)

    photos = sub.add_parser("photos", help=h("photos"))
    photos_sub = photos.add_subparsers(dest="photos_command", metavar="WHAT", required=True)
    photos_folder = photos_sub.add_parser("folder", help=h("photos_folder"))
    folder_sub = photos_folder.add_subparsers(dest="folder_command", metavar="ACTION", required=True)
    folder_add = folder_sub.add_parser("add", help=h("photos_folder_add"))
    folder_add.add_argument("path", type=Path, metavar="PATH", help=h("photos_path"))
    folder_add.set_defaults(handler=_photos_folder_add)
    folder_remove = folder_sub.add_parser("remove", help=h("photos_folder_remove"))
    folder_remove.add_argument("path", type=Path, metavar="PATH", help=h("photos_path"))
    folder_remove.set_defaults(handler=_photos_folder_remove)
    folder_sub.add_parser("list", help=h("photos_folder_list")).set_defaults(handler=_photos_folder_list)
    photos_gps = photos_sub.add_parser("gps", help=h("photos_gps"))
    photos_gps.add_argument("choice", choices=("keep", "strip"), help=h("photos_gps"))
    photos_gps.set_defaults(handler=_photos_gps)

    export = sub.add_parser("export", help=h("export"))
    export.add_argument("--format", choices=("json", "csv", "xlsx"), required=True, help=h("format"))
    export.add_argument("-o", "--output", type=Path, help=h("output"))
    export.set_defaults(handler=_export)

    report = sub.add_parser("report", help=h("report"))
    report_sub = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    bulletin = report_sub.add_parser("bulletin", help=h("bulletin"))
    dates = _date_type(lang)
    bulletin.add_argument(
        "--from", dest="date_from", required=True, type=dates, metavar="YYYY-MM-DD", help=h("date_from")
    )
    bulletin.add_argument("--to", dest="date_to", required=True, type=dates, metavar="YYYY-MM-DD", help=h("date_to"))
    bulletin.add_argument("-o", "--output", type=Path, help=h("report_output"))
    bulletin.add_argument("--batch", help=h("batch"))
    _bulletin_options(bulletin, h, lang)
    bulletin.set_defaults(handler=_bulletin)
    notice = report_sub.add_parser("notice", help=h("notice"))
    _notice_options(notice, h, dates)
    notice.set_defaults(handler=_notice)
    _settings_parsers(report_sub, h, _report_settings_set, _report_settings_list, with_db=False)

    enroll = sub.add_parser("enroll", help=h("enroll"))
    enroll.add_argument("url", help=h("url"))
    enroll.add_argument("code", help=h("code"))
    enroll.set_defaults(handler=_enroll)

    sub.add_parser("sync", help=h("sync")).set_defaults(handler=_sync)

    hq = sub.add_parser("hq", help=h("hq"))
    hq_sub = hq.add_subparsers(dest="hq_command", metavar="ACTION", required=True)
    serve = hq_sub.add_parser("serve", help=h("serve"))
    serve.add_argument("--db", help=h("db"))
    serve.add_argument("--host", default="127.0.0.1", help=h("host"))
    serve.add_argument("--port", type=_port_type(lang), default=8765, help=h("port"))
    serve.set_defaults(handler=_hq_serve)
    user = hq_sub.add_parser("user", help=h("user"))
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_sub.add_parser("add", help=h("user_add"))
    add.add_argument("--db", help=h("db"))
    add.add_argument("name", help=h("user_name"))
    add.add_argument("--role", choices=[r.value for r in Role], required=True, help=h("role"))
    add.set_defaults(handler=_hq_user_add)
    password = user_sub.add_parser("password", help=h("user_password"))
    password.add_argument("--db", help=h("db"))
    password.add_argument("name", help=h("user_name"))
    password.set_defaults(handler=_hq_user_password)
    revoke = user_sub.add_parser("revoke", help=h("user_revoke"))
    revoke.add_argument("--db", help=h("db"))
    revoke.add_argument("name", help=h("user_name"))
    revoke.set_defaults(handler=_hq_user_revoke)
    hq_report = hq_sub.add_parser("report", help=h("hq_report"))
    hq_report_sub = hq_report.add_subparsers(dest="hq_report_command", metavar="REPORT", required=True)
    hq_bulletin = hq_report_sub.add_parser("bulletin", help=h("hq_bulletin"))
    hq_bulletin.add_argument("--db", help=h("db"))
    hq_bulletin.add_argument(
        "--from", dest="date_from", required=True, type=dates, metavar="YYYY-MM-DD", help=h("date_from")
    )
    hq_bulletin.add_argument("--to", dest="date_to", required=True, type=dates, metavar="YYYY-MM-DD", help=h("date_to"))
    hq_bulletin.add_argument("--batch", help=h("batch"))
    hq_bulletin.add_argument("-o", "--output", type=Path, help=h("report_output"))
    _bulletin_options(hq_bulletin, h, lang)
    hq_bulletin.set_defaults(handler=_hq_bulletin)
    hq_notice = hq_report_sub.add_parser("notice", help=h("notice"))
    hq_notice.add_argument("--db", help=h("db"))
    _notice_options(hq_notice, h, dates)
    hq_notice.set_defaults(handler=_hq_notice)
    hq_export = hq_sub.add_parser("export", help=h("hq_export"))
    hq_export.add_argument("--db", help=h("db"))
    hq_export.add_argument("--format", choices=("json", "csv", "xlsx"), required=True, help=h("format"))
    hq_export.add_argument("-o", "--output", type=Path, help=h("output"))
    hq_export.add_argument("--from", dest="date_from", type=dates, metavar="YYYY-MM-DD", help=h("date_from"))
    hq_export.add_argument("--to", dest="date_to", type=dates, metavar="YYYY-MM-DD", help=h("date_to"))
    hq_export.add_argument("--street", help=h("street"))
    hq_export.add_argument("--community", help=h("community"))
    hq_export.add_argument("--unit", help=h("unit"))
    hq_export.add_argument("--status", choices=PROBLEM_STATUSES, help=h("status"))
    hq_export.add_argument("--overdue", action="store_true", help=h("overdue"))
    hq_export.add_argument("--batch", help=h("batch"))
    hq_export.add_argument(
        "--kind", choices=("problems", "results", "scores", "all"), default="problems", help=h("export_kind")
    )
    hq_export.set_defaults(handler=_hq_export)
    reindex = hq_sub.add_parser("reindex", help=h("reindex"))
    reindex.add_argument("--db", help=h("db"))
    reindex.add_argument("--check", action="store_true", help=h("check"))
    reindex.set_defaults(handler=_hq_reindex)
    user_list = user_sub.add_parser("list", help=h("user_list"))
    user_list.add_argument("--db", help=h("db"))
    user_list.set_defaults(handler=_hq_user_list)

    device = hq_sub.add_parser("device", help=h("device"))
    device_sub = device.add_subparsers(dest="device_command", metavar="ACTION", required=True)
    device_list = device_sub.add_parser("list", help=h("device_list"))
    device_list.add_argument("--db", help=h("db"))
    device_list.set_defaults(handler=_hq_device_list)
    device_revoke = device_sub.add_parser("revoke", help=h("device_revoke"))
    device_revoke.add_argument("--db", help=h("db"))
    device_revoke.add_argument("device_id", metavar="ID", help=h("device_id"))
    device_revoke.set_defaults(handler=_hq_device_revoke)

    site = hq_sub.add_parser("site", help=h("site"))
    site_sub = site.add_subparsers(dest="site_command", metavar="ACTION", required=True)
    site_import = site_sub.add_parser("import", help=h("site_import"))
    site_import.add_argument("--db", help=h("db"))
    site_import.add_argument("file", type=Path, metavar="FILE", help=h("sheet_file"))
    site_import.add_argument("--apply", action="store_true", help=h("apply"))
    site_import.set_defaults(handler=_hq_site_import)
    site_list = site_sub.add_parser("list", help=h("site_list"))
    site_list.add_argument("--db", help=h("db"))
    site_list.set_defaults(handler=_hq_site_list)

    assign = hq_sub.add_parser("assign", help=h("assign"))
    assign_sub = assign.add_subparsers(dest="assign_command", metavar="ACTION", required=True)
    assign_import = assign_sub.add_parser("import", help=h("assign_import"))
    assign_import.add_argument("--db", help=h("db"))
    assign_import.add_argument("file", type=Path, metavar="FILE", help=h("sheet_file"))
    assign_import.add_argument("--apply", action="store_true", help=h("apply"))
    assign_import.set_defaults(handler=_hq_assign_import)
    assign_list = assign_sub.add_parser("list", help=h("assign_list"))
    assign_list.add_argument("--db", help=h("db"))
    assign_list.add_argument("--batch", "--round", dest="batch", help=h("batch"))
    assign_list.set_defaults(handler=_hq_assign_list)

    _settings_parsers(hq_sub, h, _hq_settings_set, _hq_settings_list, with_db=True)

    round_parser = hq_sub.add_parser("round", help=h("round"))
    round_sub = round_parser.add_subparsers(dest="round_command", metavar="ACTION", required=True)
    round_add = round_sub.add_parser("add", help=h("round_add"))
    round_add.add_argument("--db", help=h("db"))
    round_add.add_argument("name", metavar="NAME", help=h("round_name"))
    round_add.add_argument(
        "--from", dest="date_from", required=True, type=dates, metavar="YYYY-MM-DD", help=h("date_from")
    )
    round_add.add_argument("--to", dest="date_to", required=True, type=dates, metavar="YYYY-MM-DD", help=h("date_to"))
    round_add.set_defaults(handler=_hq_round_add)
    round_list = round_sub.add_parser("list", help=h("round_list"))
    round_list.add_argument("--db", help=h("db"))
    round_list.set_defaults(handler=_hq_round_list)

    hq_checklist = hq_sub.add_parser("checklist", help=h("hq_checklist"))
    hq_checklist_sub = hq_checklist.add_subparsers(dest="hq_checklist_command", metavar="ACTION", required=True)
    publish = hq_checklist_sub.add_parser("publish", help=h("checklist_publish"))
    publish.add_argument("--db", help=h("db"))
    publish.add_argument("file", type=Path, metavar="FILE", help=h("checklist_file"))
    publish.set_defaults(handler=_hq_checklist_publish)
    published = hq_checklist_sub.add_parser("list", help=h("hq_checklist_list"))
    published.add_argument("--db", help=h("db"))
    published.set_defaults(handler=_hq_checklist_list)

    audit = hq_sub.add_parser("audit", help=h("audit"))
    audit.add_argument("--db", help=h("db"))
    audit.add_argument("--since", type=dates, metavar="YYYY-MM-DD", help=h("since"))
    audit.add_argument("--actor", help=h("actor"))
    audit.add_argument("--limit", type=_limit_type(lang), default=50, metavar="N", help=h("limit"))
    audit.set_defaults(handler=_hq_audit)
    return parser


# The problem states (inspector/core/problems.py ProblemStatus), spelled here so that parsing a command line does not
# import the records (150 ms); tests/test_hq_reports.py checks the two agree.
PROBLEM_STATUSES = (
    "registered",
    "assigned",
    "in_progress",
    "awaiting_review",
    "awaiting_close",
    "closed",
    "void",
    "shelved",
)


def _date_type(lang: str) -> Callable[[str], date]:
    def parse(text: str) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise argparse.ArgumentTypeError(HELP("not_a_date", lang, text=repr(text))) from None

    return parse


def _port_type(lang: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            port = int(text)
        except ValueError:
            port = 0
        if not 1 <= port <= 65535:
            raise argparse.ArgumentTypeError(HELP("not_a_port", lang, text=repr(text)))
        return port

    return parse


def _limit_type(lang: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            limit = int(text)
        except ValueError:
            limit = 0
        if not 1 <= limit <= 10_000:
            raise argparse.ArgumentTypeError(HELP("not_a_limit", lang, text=repr(text)))
        return limit

    return parse


def _count_type(lang: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.strip().isdigit():
            raise argparse.ArgumentTypeError(HELP("not_a_count", lang, text=repr(text)))
        return int(text)

    return parse


def _data_dir(args: argparse.Namespace) -> Path:
    if args.data_dir is not None:
        return Path(args.data_dir)
    from inspector.core.paths import default_data_dir

    return default_data_dir()


def _lang(args: argparse.Namespace) -> str:
    """The language of the field commands: the one chosen, else Chinese."""
    return _chosen_lang(args) or "zh"


def _chosen_lang(args: argparse.Namespace) -> str | None:
    """The language chosen by --lang or INSPECTOR_LANG; None when neither chose (the HQ commands then print both)."""
    if args.lang:
        return str(args.lang)
    env = os.environ.get("INSPECTOR_LANG", "")
    return env if env in LANGS else None


# --- handlers: one per subcommand -------------------------------------------------------------------------------


def _tui(args: argparse.Namespace, _out: TextIO, err: TextIO) -> int:
    from inspector.tui.launch import run_tui

    return run_tui(_data_dir(args), lang=_lang(args), err=err)


def _checklist_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from checklists.validate import validate_main

    return validate_main(args.files, out, err, lang=_lang(args))


def _checklist_add(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from inspector.checklist_commands import checklist_add_main

    def work(store: Store) -> int:
        return checklist_add_main(store, args.file, out, err, _lang(args))

    return _with_store(args, err, work)


def _checklist_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from checklists.validate import list_main
    from inspector.checklist_commands import held_with_origin

    def work(store: Store) -> int:
        return list_main(args.json, out, lang=_lang(args), err=err, held=held_with_origin(store))

    return _with_store(args, err, work)


def _with_store(args: argparse.Namespace, err: TextIO, work: Callable[[Store], int]) -> int:
    """Open the laptop's store for a reading command, say what recovery did, run `work`, close it."""
    from inspector.core.store import Store, StoreError

    try:
        store = Store.open(_data_dir(args), lang=_lang(args))
    except StoreError as exc:
        err.write(f"{exc}\n")
        return 1
    for note in store.recovery_notes:  # damaged files were moved aside: say so before any output
        err.write(f"{note}\n")
    try:
        return work(store)
    finally:
        store.close()


def _calendar_add(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from inspector.calendar_commands import calendar_add_main

    return calendar_add_main(_data_dir(args), args.file, out, err, _lang(args))


def _calendar_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from inspector.calendar_commands import calendar_list_main

    return calendar_list_main(out, _lang(args))


def _photos_folder_add(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from inspector.photo_commands import folder_add_main

    return folder_add_main(_data_dir(args), args.path, out, err, _lang(args))


def _photos_folder_remove(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from inspector.photo_commands import folder_remove_main

    return folder_remove_main(_data_dir(args), args.path, out, err, _lang(args))


def _photos_folder_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from inspector.photo_commands import folder_list_main

    return folder_list_main(_data_dir(args), out, err, _lang(args))


def _photos_gps(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from inspector.photo_commands import gps_main

    return gps_main(_data_dir(args), args.choice == "keep", out, err, _lang(args))


def _export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from inspector.reports.export import export_main

    def work(store: Store) -> int:
        return export_main(store, args.format, args.output, out, err, lang=_lang(args))

    return _with_store(args, err, work)


def _bulletin_options(parser: argparse.ArgumentParser, h: Callable[[str], str], lang: str) -> None:
    """What a bulletin takes besides its period, the same on the laptop and at HQ."""
    count = _count_type(lang)
    parser.add_argument("--issue-no", help=h("issue_no"))
    parser.add_argument("--issuer", help=h("issuer"))
    parser.add_argument("--format", dest="fmt", choices=("md", "html", "docx"), help=h("report_format"))
    parser.add_argument("--list-size", type=count, metavar="N", help=h("list_size"))
    parser.add_argument("--min-inspections", type=count, metavar="N", help=h("min_inspections"))
    parser.add_argument("--close-by", type=_date_type(lang), metavar="YYYY-MM-DD", help=h("close_by"))


def _notice_options(parser: argparse.ArgumentParser, h: Callable[[str], str], dates: Callable[[str], date]) -> None:
    parser.add_argument("--unit", required=True, help=h("unit"))
    parser.add_argument("--from", dest="date_from", type=dates, metavar="YYYY-MM-DD", help=h("notice_from"))
    parser.add_argument("--to", dest="date_to", type=dates, metavar="YYYY-MM-DD", help=h("notice_to"))
    parser.add_argument("-o", "--output", type=Path, required=True, help=h("notice_output"))
    parser.add_argument("--format", dest="fmt", choices=("html", "docx"), help=h("notice_format"))
    parser.add_argument("--number", help=h("notice_no"))
    parser.add_argument("--issuer", help=h("issuer"))
    parser.add_argument("--close-by", type=dates, metavar="YYYY-MM-DD", help=h("notice_close_by"))


def _notice_keywords(args: argparse.Namespace) -> dict[str, object]:
    return {
        "date_from": args.date_from,
        "date_to": args.date_to,
        "fmt": args.fmt,
        "number": args.number,
        "issuer": args.issuer,
        "close_by": args.close_by,
    }


def _bulletin_keywords(args: argparse.Namespace) -> dict[str, object]:
    """The bulletin options as given; None where not given, for the settings to fill in."""
    return {
        "issue_no": args.issue_no,
        "issuer": args.issuer,
        "fmt": args.fmt,
        "list_size": args.list_size,
        "min_inspections": args.min_inspections,
        "close_by": args.close_by,
    }


def _bulletin(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from inspector.reports.bulletin import bulletin_main
    from inspector.reports.settings import local_bulletin

    def work(store: Store) -> int:
        def run(keywords: dict[str, object]) -> int:
            return bulletin_main(
                store,
                args.date_from,
                args.date_to,
                args.output,
                out,
                err,
                lang=_lang(args),
                batch=args.batch,
                **keywords,  # type: ignore[arg-type]
            )

        return local_bulletin(
            _data_dir(args), _bulletin_keywords(args), args.output is not None, run, out, err, _lang(args)
        )

    return _with_store(args, err, work)


def _notice(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from inspector.reports.notice import notice_main
    from inspector.reports.settings import ISSUER, SettingError, load_local

    keywords = _notice_keywords(args)
    if keywords["issuer"] is None:
        try:
            keywords["issuer"] = load_local(_data_dir(args)).get(ISSUER, "")
        except SettingError as exc:
            err.write(exc.text(_lang(args)) + "\n")
            return 1

    def work(store: Store) -> int:
        return notice_main(store, args.unit, args.output, out, err, _lang(args), **keywords)  # type: ignore[arg-type]

    return _with_store(args, err, work)


def _settings_parsers(
    parent: Any,
    h: Callable[[str], str],
    set_handler: Callable[[argparse.Namespace, TextIO, TextIO], int],
    list_handler: Callable[[argparse.Namespace, TextIO, TextIO], int],
    *,
    with_db: bool,
) -> None:
    """`settings set KEY VALUE` and `settings list`, the same words under `report` (the laptop) and `hq`."""
    settings = parent.add_parser("settings", help=h("report_settings"))
    settings_sub = settings.add_subparsers(dest="settings_command", metavar="ACTION", required=True)
    setter = settings_sub.add_parser("set", help=h("settings_set"))
    lister = settings_sub.add_parser("list", help=h("settings_list"))
    if with_db:
        setter.add_argument("--db", help=h("db"))
        lister.add_argument("--db", help=h("db"))
    setter.add_argument("key", metavar="KEY", help=h("settings_key"))
    setter.add_argument("value", metavar="VALUE", help=h("settings_value"))
    setter.set_defaults(handler=set_handler)
    lister.set_defaults(handler=list_handler)


def _report_settings_set(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from inspector.reports.settings import settings_set_main

    return settings_set_main(_data_dir(args), args.key, args.value, out, err, _lang(args))


def _report_settings_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from inspector.reports.settings import settings_list_main

    return settings_list_main(_data_dir(args), out, err, _lang(args))


def _hq_settings_set(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli_settings import set_main

    return set_main(args.db, _data_dir(args), args.key, args.value, out, err, _chosen_lang(args))


def _hq_settings_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli_settings import list_main

    return list_main(args.db, _data_dir(args), out, err, _chosen_lang(args))


def _enroll(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.commands import enroll_main

    return enroll_main(_data_dir(args), args.url, args.code, out, err, lang=_lang(args))


def _sync(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.commands import sync_main

    return sync_main(_data_dir(args), out, err, lang=_lang(args))


def _hq_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli import serve_main

    return serve_main(args.db, args.host, args.port, _data_dir(args), out, err, lang=_chosen_lang(args))


def _hq_user_add(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli import user_add_main

    return user_add_main(
        args.db, _data_dir(args), args.name, args.role, out, err, lang=_chosen_lang(args), stdin=sys.stdin
    )


def _hq_user_password(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli import user_password_main

    return user_password_main(args.db, _data_dir(args), args.name, sys.stdin, out, err, lang=_chosen_lang(args))


def _hq_user_revoke(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli import user_revoke_main

    return user_revoke_main(args.db, _data_dir(args), args.name, out, err, lang=_chosen_lang(args))


def _hq_bulletin(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli_reports import bulletin_main

    return bulletin_main(
        args.db,
        _data_dir(args),
        args.date_from,
        args.date_to,
        args.batch,
        args.output,
        out,
        err,
        _chosen_lang(args),
        **_bulletin_keywords(args),
    )


def _hq_notice(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli_reports import notice_main

    return notice_main(
        args.db, _data_dir(args), args.unit, args.output, out, err, _chosen_lang(args), **_notice_keywords(args)
    )


def _hq_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from inspector.core.problems import ProblemStatus
    from inspector.reports.facts import Filters
    from sync.hq.cli_reports import export_main, today_at_hq

    filters = Filters(
        date_from=args.date_from,
        date_to=args.date_to,
        street=args.street,
        community=args.community,
        unit=args.unit,
        status=ProblemStatus(args.status) if args.status else None,
        overdue_on=today_at_hq() if args.overdue else None,
        batch=args.batch,
    )
    parts = ("problems", "results", "scores") if args.kind == "all" else (args.kind,)
    return export_main(
        args.db, _data_dir(args), args.format, args.output, filters, out, err, _chosen_lang(args), parts=parts
    )


def _hq_reindex(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli_reports import reindex_main

    return reindex_main(args.db, _data_dir(args), args.check, out, err, _chosen_lang(args))


# The admin commands print tables in one language: Chinese unless English was chosen.


def _hq_round_add(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli import round_add_main

    return round_add_main(args.db, _data_dir(args), args.name, args.date_from, args.date_to, out, err, _lang(args))


def _hq_round_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli import round_list_main

    return round_list_main(args.db, _data_dir(args), out, err, _lang(args))


def _hq_user_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli import user_list_main

    return user_list_main(args.db, _data_dir(args), out, err, lang=_lang(args))


def _hq_device_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli import device_list_main

    return device_list_main(args.db, _data_dir(args), out, err, lang=_lang(args))


def _hq_device_revoke(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli import device_revoke_main

    return device_revoke_main(args.db, _data_dir(args), args.device_id, out, err, lang=_lang(args))


def _hq_site_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli import site_import_main

    return site_import_main(args.db, _data_dir(args), args.file, args.apply, out, err, lang=_lang(args))


def _hq_site_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli import site_list_main

    return site_list_main(args.db, _data_dir(args), out, err, lang=_lang(args))


def _hq_assign_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli import assign_import_main

    return assign_import_main(args.db, _data_dir(args), args.file, args.apply, out, err, lang=_lang(args))


def _hq_assign_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli import assign_list_main

    return assign_list_main(args.db, _data_dir(args), args.batch, out, err, lang=_lang(args))


def _hq_checklist_publish(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli import checklist_publish_main

    return checklist_publish_main(args.db, _data_dir(args), args.file, out, err, lang=_lang(args))


def _hq_checklist_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli import checklist_list_main

    return checklist_list_main(args.db, _data_dir(args), out, err, lang=_lang(args))


def _hq_audit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sync.hq.cli import audit_main

    return audit_main(args.db, _data_dir(args), args.since, args.actor, args.limit, out, err, lang=_lang(args))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script. Returns the exit code."""
    for stream in (sys.stdout, sys.stderr):
        # Windows consoles default to a legacy code page; Chinese must never become a UnicodeEncodeError.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")
    arguments = sys.argv[1:] if argv is None else argv
    lang = requested_lang(arguments) or "zh"
    args = _parser(lang).parse_args(arguments)
    handler: Handler = args.handler
    try:
        from inspector.calendar_commands import load_calendars

        load_calendars(_data_dir(args), sys.stderr, _lang(args))  # every deadline counts the years added there
        return handler(args, sys.stdout, sys.stderr)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the output went to a pager or `head` that has had enough: nothing to report
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # the last line of defence: one readable line, never a traceback
        sys.stderr.write(HELP("unexpected", lang, error=f"{type(exc).__name__}: {exc}") + "\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
