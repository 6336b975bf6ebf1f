"""Every use of Textual's private attributes, behind named functions: the one place to fix when Textual changes.

Textual's public API has no way to do a few things Inspector needs: repaint one line of an OptionList, rewrite the
descriptions of a node's bindings in the user's language, end the app with our own message instead of a
traceback, and (in tests and the bench) see the frame the compositor would send or wait until messages are
handled. Those uses are here and nowhere else; `INTERNALS` names each attribute or module relied on, and
tests/test_textual_private.py checks them all against the installed Textual, failing with the name of any that
is gone. pyproject.toml bounds Textual below the next minor version for the same reason.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from textual._compositor import Compositor
    from textual.notifications import Notification

__all__ = [
    "INTERNALS",
    "CrashHandlingApp",
    "binding_table",
    "compositor",
    "frame",
    "messages_handled",
    "missing_internals",
    "notifications",
    "option_line",
    "option_lines",
    "set_option_prompt",
    "update_screen_now",
    "xterm_parser",
]

XTERM_PARSER_MODULE = "textual._xterm_parser"


# bindings -------------------------------------------------------------------------------------------------------


def binding_table(node: DOMNode) -> dict[str, list[Binding]]:
    """The node's own key → bindings table, to edit in place (`DOMNode._bindings.key_to_bindings`).

    Textual has no public way to change a binding's description per instance; ours are message ids until the
    node knows the user's language."""
    return node._bindings.key_to_bindings


# option lists ---------------------------------------------------------------------------------------------------


def set_option_prompt(option_list: OptionList, index: int, prompt: RenderableType) -> bool:
    """Replace one option's prompt and drop only its rendered lines from the cache; False when Textual's internals
    moved (the caller then takes the public, slower way).

    `OptionList.replace_option_prompt_at_index` clears the whole render cache (`_option_render_cache`) and
    repaints every line; with CJK text that was most of a verdict's frame. `Option._set_prompt` is what it calls."""
    option = option_list.get_option_at_index(index)
    cache = getattr(option_list, "_option_render_cache", None)
    setter = getattr(option, "_set_prompt", None)
    if cache is None or setter is None:
        return False
    setter(prompt)
    for key in [k for k in list(cache.keys()) if k[0] is option]:
        cache.discard(key)
    return True


def option_lines(option_list: OptionList, index: int, *, update: bool = True) -> tuple[int, int] | None:
    """(first line, height) of the option at `index` in the list's virtual lines, or None when it has none yet.

    Reads `OptionList._index_to_line` and `_heights`, after `_update_lines()` brings them up to date (skipped
    with `update=False` where the caller knows the lines have not changed)."""
    if update:
        option_list._update_lines()
    line = option_list._index_to_line.get(index)
    if line is None:
        return None
    return line, option_list._heights.get(index, 1)


def option_line(option_list: OptionList, index: int) -> int | None:
    """The first virtual line of the option at `index`, as `option_lines` finds it."""
    lines = option_lines(option_list, index)
    return None if lines is None else lines[0]


# the app's end --------------------------------------------------------------------------------------------------


class CrashHandlingApp(App[None]):
    """An app that ends an unexpected error with its own short message instead of Textual's traceback.

    Textual's only hooks for that are private: `_handle_exception` (every unhandled error comes through it) and
    `_fatal_error` (which prints the traceback); what is printed after the app closes is `_exit_renderables`.
    Subclasses say what to print in `crash_message` (None keeps Textual's traceback)."""

    crash_error: BaseException | None = None

    def crash_message(self, error: BaseException | None) -> RenderableType | None:
        return None

    def _handle_exception(self, error: Exception) -> None:
        self.crash_error = error
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        message = self.crash_message(self.crash_error)
        if message is None:
            super()._fatal_error()
            return
        self.bell()
        self._exit_renderables.append(message)
        self._close_messages_no_wait()


# tests and the bench --------------------------------------------------------------------------------------------


def compositor(screen: Screen[Any]) -> Compositor:
    """The screen's compositor (`Screen._compositor`): what lays the screen out and renders its frames."""
    return screen._compositor


def frame(app: App[Any]) -> RenderableType:
    """The whole frame the terminal would show now, as the compositor renders it for a full refresh."""
    update = compositor(app.screen).render_update(full=True)
    assert update is not None  # a full refresh always renders
    return update


def notifications(app: App[Any]) -> list[Notification]:
    """The notifications shown now (`App._notifications`)."""
    return list(app._notifications)


def messages_handled(nodes: list[MessagePump]) -> bool:
    """True when none of `nodes` has a message waiting (`MessagePump._message_queue`)."""
    return all(node._message_queue.empty() for node in nodes)


def update_screen_now(screen: Screen[Any]) -> None:
    """Lay out and composite the pending frame now rather than on the screen's update timer
    (`Screen._on_timer_update`), so a bench times the whole of a key's work."""
    screen._on_timer_update()


def xterm_parser() -> type[Any]:
    """Textual's terminal input parser (`textual._xterm_parser.XTermParser`): bytes from the terminal to events."""
    module = importlib.import_module(XTERM_PARSER_MODULE)
    parser: type[Any] = module.XTermParser
    return parser


# what is relied on ----------------------------------------------------------------------------------------------


def _has(make: Callable[[], object], *names: str) -> Callable[[], bool]:
    return lambda: all(hasattr(make(), name) for name in names)


def _xterm_parser_exists() -> bool:
    try:
        xterm_parser()
    except (ImportError, AttributeError):
        return False
    return True


def _option_list() -> OptionList:
    return OptionList(Option("x"))


INTERNALS: dict[str, Callable[[], bool]] = {
    "DOMNode._bindings.key_to_bindings": lambda: hasattr(App()._bindings, "key_to_bindings"),
    "OptionList._option_render_cache": _has(_option_list, "_option_render_cache"),
    "OptionList._option_render_cache.keys/discard": lambda: all(
        hasattr(_option_list()._option_render_cache, name) for name in ("keys", "discard")
    ),
    "OptionList._update_lines": _has(_option_list, "_update_lines"),
    "OptionList._index_to_line": _has(_option_list, "_index_to_line"),
    "OptionList._heights": _has(_option_list, "_heights"),
    "Option._set_prompt": _has(lambda: Option("x"), "_set_prompt"),
    "App._handle_exception": _has(App, "_handle_exception"),
    "App._fatal_error": _has(App, "_fatal_error"),
    "App._exit_renderables": _has(App, "_exit_renderables"),
    "App._close_messages_no_wait": _has(App, "_close_messages_no_wait"),
    "App._notifications": _has(App, "_notifications"),
    "MessagePump._message_queue": _has(App, "_message_queue"),
    "Screen._compositor": _has(Screen, "_compositor"),
    "Screen._compositor.render_update/reflow": lambda: all(
        hasattr(Screen()._compositor, name) for name in ("render_update", "reflow")
    ),
    "Screen._on_timer_update": _has(Screen, "_on_timer_update"),
    f"{XTERM_PARSER_MODULE}.XTermParser": _xterm_parser_exists,
}
"""Each private attribute or module this file uses, named as it is reached, with a check that it still exists."""


def missing_internals() -> list[str]:
    """The names in `INTERNALS` the installed Textual no longer has."""
    return [name for name, present in INTERNALS.items() if not present()]
