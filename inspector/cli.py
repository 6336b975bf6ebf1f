"""The `inspector` command (design §6): argument parsing and dispatch, nothing else.

Every subcommand's work lives in the module that owns it and is imported only when that subcommand runs, so
opening the TUI never pays for the server stack or openpyxl. No user error ends in a traceback: the command
modules return exit codes and messages, and anything unexpected is reported in one line with where to look.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path
from typing import TextIO

from inspector.i18n import LANGS

# Before anything can import Textual: the kitty keyboard protocol garbles IME commits of 5+ CJK characters
# (reference/textual.md §3.3). Textual reads this once, at import.
os.environ.setdefault("TEXTUAL_DISABLE_KITTY_KEY", "1")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inspector",
        description="创文/创城/创卫现场督查 — field inspection, offline, synced to HQ.",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="data directory (default: $INSPECTOR_DATA_DIR or the user data dir)"
    )
    parser.add_argument("--lang", choices=LANGS, default=None, help="interface language: zh (default) or en")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    checklist = sub.add_parser("checklist", help="validate or list checklists")
    checklist_sub = checklist.add_subparsers(dest="checklist_command", metavar="ACTION", required=True)
    validate = checklist_sub.add_parser("validate", help="check checklist YAML files; FILE:LINE: message per error")
    validate.add_argument("files", nargs="+", metavar="FILE")
    listing = checklist_sub.add_parser("list", help="the installed checklists with item counts")
    listing.add_argument("--json", action="store_true", help="machine-readable output")

    export = sub.add_parser("export", help="export inspections, item results and problems")
    export.add_argument("--format", choices=("json", "csv", "xlsx"), required=True)
    export.add_argument("-o", "--output", type=Path, help="output file (json goes to stdout without it)")

    report = sub.add_parser("report", help="reports")
    report_sub = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    bulletin = report_sub.add_parser("bulletin", help="the periodic 督查通报 as Markdown")
    bulletin.add_argument("--from", dest="date_from", required=True, type=_date, metavar="YYYY-MM-DD")
    bulletin.add_argument("--to", dest="date_to", required=True, type=_date, metavar="YYYY-MM-DD")
    bulletin.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")

    enroll = sub.add_parser("enroll", help="bind this device to an HQ server")
    enroll.add_argument("url")
    enroll.add_argument("code")

    sub.add_parser("sync", help="one push/pull round; exit 0 ok, 2 server unreachable, 1 error")

    hq = sub.add_parser("hq", help="the HQ server and its users")
    hq_sub = hq.add_subparsers(dest="hq_command", metavar="ACTION", required=True)
    serve = hq_sub.add_parser("serve", help="run the HQ server")
    _db_option(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8765)
    user = hq_sub.add_parser("user", help="add or revoke users")
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_sub.add_parser("add", help="create a user; prints a one-time enrollment code")
    _db_option(add)
    add.add_argument("name")
    add.add_argument("--role", choices=("inspector", "reviewer", "admin"), required=True)
    revoke = user_sub.add_parser("revoke", help="cut a user's devices off at their next request")
    _db_option(revoke)
    revoke.add_argument("name")
    return parser


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="database URL (default: a SQLite file in the data dir; postgresql+psycopg://...)")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (expected YYYY-MM-DD)") from None


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port: {text!r} (expected 1-65535)")
    return port


def _data_dir(args: argparse.Namespace) -> Path:
    if args.data_dir is not None:
        return Path(args.data_dir)
    from inspector.core.paths import default_data_dir

    return default_data_dir()


def _lang(args: argparse.Namespace) -> str:
    if args.lang:
        return str(args.lang)
    env = os.environ.get("INSPECTOR_LANG", "")
    return env if env in LANGS else "zh"


def _dispatch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    lang = _lang(args)
    command = args.command
    if command is None:
        from inspector.tui.launch import run_tui

        return run_tui(_data_dir(args), lang=lang, err=err)
    if command == "checklist":
        from checklists.validate import list_main, validate_main

        if args.checklist_command == "validate":
            return validate_main(args.files, out, err, lang=lang)
        return list_main(args.json, out, lang=lang)
    if command in ("export", "report"):
        from inspector.core.store import Store, StoreError

        try:
            store = Store.open(_data_dir(args), lang=lang)
        except StoreError as exc:
            err.write(f"{exc}\n")
            return 1
        for note in store.recovery_notes:  # damaged files were moved aside: say so before any output
            err.write(f"{note}\n")
        try:
            if command == "export":
                from inspector.reports.export import export_main

                return export_main(store, args.format, args.output, out, err, lang=lang)
            from inspector.reports.bulletin import bulletin_main

            return bulletin_main(store, args.date_from, args.date_to, args.output, out, err, lang=lang)
        finally:
            store.close()
    from sync import commands

    if command == "enroll":
        return commands.enroll_main(_data_dir(args), args.url, args.code, out, err, lang=lang)
    if command == "sync":
        return commands.sync_main(_data_dir(args), out, err, lang=lang)
    if args.hq_command == "serve":
        return commands.hq_serve_main(args.db, args.host, args.port, _data_dir(args), out, err)
    if args.user_command == "add":
        return commands.hq_user_add_main(args.db, _data_dir(args), args.name, args.role, out, err)
    return commands.hq_user_revoke_main(args.db, _data_dir(args), args.name, out, err)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script. Returns the exit code."""
    for stream in (sys.stdout, sys.stderr):
        # Windows consoles default to a legacy code page; Chinese must never become a UnicodeEncodeError.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args, sys.stdout, sys.stderr)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence: one readable line, never a traceback
        sys.stderr.write(f"inspector: unexpected error: {type(exc).__name__}: {exc}\n")
        sys.stderr.write("inspector: 发生意外错误；数据已保存的部分不受影响。请把这条信息报告给维护者。\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
