"""The Inspector app: global keys, the command palette, the sync worker, and the screens' shared state."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer

if TYPE_CHECKING:
    from sync.credentials import Credentials

from inspector.core.store import Store
from inspector.i18n import tr
from inspector.tui.keys import KEYMAP_FILE, load_keymap, localize_bindings
from inspector.tui.textual_private import CrashHandlingApp
from inspector.tui.widgets.top_bar import TopBar

SYNC_INTERVAL_S = 300.0  # a quiet background round every five minutes; after failures, sync's own back-off


class InspectorApp(CrashHandlingApp, inherit_bindings=False):
    TITLE = "Inspector"
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses elsewhere (tests, bench) still find it
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "key.quit", id="quit", priority=True, show=False),  # in help; saves footer room
        Binding("f1,question_mark,fullwidth_question_mark", "help", "key.help", id="help", key_display="?"),
        Binding("ctrl+p", "command_palette", "key.commands", id="commands", show=False),  # the Footer shows it apart
        Binding("f5", "sync", "key.sync", id="sync", key_display="F5"),
    ]

    def __init__(self, store: Store, *, lang: str = "zh", sync_enabled: bool = True) -> None:
        super().__init__()
        self.store = store
        self.lang = lang
        self.sync_enabled = sync_enabled
        self.sync_text = ""
        self.sync_level = "idle"
        self._sync_running = False
        self._sync_failures = 0
        self._next_sync: Timer | None = None
        self._credentials_stamp: tuple[int, int] | bool | None = False  # False: never read
        self._credentials_cache: Credentials | None = None
        self.title = tr("app.title", lang)
        localize_bindings(self, lang)

    def t(self, key: str, /, **values: object) -> str:
        return tr(key, self.lang, **values)

    @property
    def keymap_path(self) -> Path:
        return self.store.data_dir / KEYMAP_FILE

    def get_default_screen(self) -> Screen[object]:
        """The site list is the bottom of the stack: no blank screen is drawn and then covered at start-up."""
        from inspector.tui.screens.sites import SitesScreen

        return SitesScreen()

    def on_mount(self) -> None:
        keymap, problem = load_keymap(self.store.data_dir)
        if keymap:
            self.set_keymap(keymap)
        if problem:
            self.notify(problem, severity="warning", timeout=10)
        for note in self.store.recovery_notes:
            self.notify(self.t("store.recovered", note=note), severity="warning", timeout=20)
        self.refresh_sync_badge()
        if self.sync_enabled and self._enrolled():
            self._next_sync = self.set_timer(2.0, self._scheduled_sync, name="first-sync")

    def on_ready(self) -> None:
        self.call_after_refresh(self.settle_heap)

    def on_unmount(self) -> None:
        self.release_heap()  # an app run inside a longer process (tests, a bench) leaves nothing pinned

    # memory -------------------------------------------------------------------------------------------------
    @staticmethod
    def settle_heap() -> None:
        """Hand what is alive now (records, the screens' widgets, styles and caches) to the GC's permanent generation.

        Python's full collections rescan every tracked object: with a walk open that was a 10-15 ms stall (over
        100 ms with a big store's records loaded) landing on whichever key came next. Called when a long-lived
        screen is up, never per key; young garbage is collected first, so little is kept that could be freed.
        The collector is (re-)enabled here: the launcher pauses it while the app starts."""
        gc.collect(1)
        gc.freeze()
        gc.enable()

    @staticmethod
    def release_heap() -> None:
        """A long-lived screen closed: its widgets may be garbage now, so let the GC see everything again."""
        gc.unfreeze()

    # errors ---------------------------------------------------------------------------------------------------
    def crash_message(self, error: BaseException | None) -> str:
        """The last line of defence: the app ends with a short message and a crash log, not a traceback.

        Store refusals (disk full, a damaged file) never get here: the handlers that write are `@guarded`."""
        import traceback

        from inspector.core.ids import utcnow

        text = "".join(traceback.format_exception(error)) if error else traceback.format_exc()
        log: Path | str = self.store.data_dir / f"crash-{utcnow():%Y%m%dT%H%M%SZ}.log"
        try:
            Path(log).write_text(text, encoding="utf-8")
        except OSError:
            log = "-"
        return self.t("app.crashed", error=f"{type(error).__name__}: {error}", log=log)

    # command palette ----------------------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield SystemCommand(self.t("cmd.sync"), self.t("cmd.sync.help"), self.action_sync)
        yield SystemCommand(self.t("cmd.ledger"), self.t("cmd.ledger.help"), self.action_ledger)
        yield SystemCommand(self.t("cmd.sites"), self.t("cmd.sites.help"), self.action_sites)
        yield SystemCommand(self.t("cmd.help"), self.t("cmd.help.help"), self.action_help)
        yield from screen_commands(screen)
        yield SystemCommand(self.t("cmd.quit"), self.t("cmd.quit.help"), self.exit)

    def action_command_palette(self) -> None:
        """Textual's palette, with its search box in the user's language."""
        from textual.command import CommandPalette

        app: App[object] = self  # type: ignore[assignment]  # App is invariant in its result type
        if self.use_command_palette and not CommandPalette.is_open(app):
            self.push_screen(CommandPalette(id="--command-palette", placeholder=self.t("cmd.placeholder")))

    # global actions -----------------------------------------------------------------------------------------
    def action_help(self) -> None:
        from inspector.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.active_bindings))

    def action_sites(self) -> None:
        from inspector.tui.screens.sites import SitesScreen

        while len(self.screen_stack) > 1 and not isinstance(self.screen, SitesScreen):
            self.pop_screen()

    def action_ledger(self) -> None:
        from inspector.tui.screens.ledger import LedgerScreen

        if not isinstance(self.screen, LedgerScreen):
            self.push_screen(LedgerScreen())

    # who is using this device (from the enrollment; an unenrolled device is an inspector) ----------------------
    def _credentials(self) -> Credentials | None:
        """The enrollment, re-read only when its file changes (`inspector enroll` may run beside the app).

        Footers ask for the role on every binding check, so this is one stat, not a file read and parse."""
        from sync.credentials import credentials_path, load_credentials

        try:
            stat = credentials_path(self.store.data_dir).stat()
            stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = None
        if stamp == self._credentials_stamp:
            return self._credentials_cache
        self._credentials_stamp = stamp
        try:
            self._credentials_cache = load_credentials(self.store.data_dir, lang=self.lang)
        except Exception as exc:  # an unreadable credentials file must not stop the field work, but is said
            self._credentials_cache = None
            self.notify(str(exc), severity="error", timeout=20)
        return self._credentials_cache

    def role(self) -> str:
        credentials = self._credentials()
        return credentials.role if credentials else "inspector"

    def user_name(self) -> str:
        credentials = self._credentials()
        return credentials.user if credentials else ""

    # sync ---------------------------------------------------------------------------------------------------
    def _enrolled(self) -> bool:
        return self._credentials() is not None

    def refresh_sync_badge(self, *, text: str | None = None, level: str | None = None) -> None:
        pending = self.store.pending_count()
        status = self.store.sync_status()
        if text is None:
            if self._sync_running:
                text, level = self.t("sync.badge.running"), "running"
            elif status.last_error:
                text, level = self.t("sync.badge.error", error=status.last_error, pending=pending), "error"
            elif status.last_success:
                when = _local_time(status.last_success)
                text, level = self.t("sync.badge.ok", time=when, pending=pending), "ok"
            elif not self._enrolled():
                text, level = self.t("sync.badge.offline", pending=pending), "idle"
            else:
                text, level = self.t("sync.badge.never", pending=pending), "idle"
        self.sync_text, self.sync_level = text, level or "idle"
        for screen in self.screen_stack:
            for bar in screen.query(TopBar):
                bar.show_sync(self.sync_text, self.sync_level)

    def action_sync(self) -> None:
        """F5 / the palette: a round now, said out loud when it ends."""
        self._start_sync(manual=True)

    def _scheduled_sync(self) -> None:
        self._start_sync(manual=False)

    def _start_sync(self, *, manual: bool) -> None:
        if not self._enrolled():
            if manual:
                self.notify(self.t("sync.not_enrolled"), severity="warning")
            return
        if self._sync_running:
            return
        if self._next_sync is not None:
            self._next_sync.stop()  # one round at a time, and one timer waiting for the next
            self._next_sync = None
        self._sync_running = True
        self.refresh_sync_badge()
        self.run_sync(manual)

    @work(group="sync", exit_on_error=False)
    async def run_sync(self, manual: bool) -> None:
        """One round on the event loop: httpx awaits the network, the store writes are short and local.

        The next round is scheduled only when this one has ended (Dolphie's discipline): on the quiet interval after
        a success, on sync's own jittered back-off after a failure."""
        from sync.client import next_retry_delay, sync_once

        delay = SYNC_INTERVAL_S
        try:
            credentials = self._credentials()  # a damaged file is already said, in the user's language
            if credentials is None:
                return
            report = await sync_once(self.store, credentials, lang=self.lang)
            if report.error:
                self._sync_failures += 1
                delay = next_retry_delay(self._sync_failures)
                if manual or self._sync_failures == 1:
                    self.notify(report.error, severity="error", timeout=8)
            else:
                self._sync_failures = 0
                if manual or report.pushed or report.pulled or report.rejected:
                    self.notify(report.summary(self.lang), timeout=4)
            refused: dict[str, list[str]] = {}  # one notice per reason: a demo site's walk is one refusal, not ten
            for record_id, reason in report.rejected.items():
                refused.setdefault(reason, []).append(record_id)
            for reason, record_ids in refused.items():
                text = f"{record_ids[0]}{self.t('sep')}{reason}"
                if len(record_ids) > 1:
                    text = self.t("sync.refused_records", reason=reason, n=len(record_ids))
                self.notify(text, severity="error", timeout=15)
            if report.skew_warning:
                self.notify(report.skew_text(self.lang), severity="warning", timeout=15)
            if report.pulled:
                from inspector.tui.messages import DataChanged

                for screen in self.screen_stack:  # every open screen, so none acts on what it read before
                    screen.post_message(DataChanged())
        except Exception as exc:  # never let a sync problem reach the inspector as a crash
            self._sync_failures += 1
            delay = next_retry_delay(self._sync_failures)
            self.notify(self.t("sync.unexpected", error=f"{type(exc).__name__}: {exc}"), severity="error", timeout=8)
        finally:
            self._sync_running = False
            self.refresh_sync_badge()
            if self.sync_enabled:
                self._next_sync = self.set_timer(delay, self._scheduled_sync, name="next-sync")


def screen_commands(screen: Screen[object]) -> Iterable[SystemCommand]:
    """Commands the current screen offers to the palette (a screen defines `palette_commands`)."""
    provider = getattr(screen, "palette_commands", None)
    if callable(provider):
        yield from provider()


def _local_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%m-%d %H:%M")
