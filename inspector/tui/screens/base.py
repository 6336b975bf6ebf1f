"""What every screen of ours shares: localized bindings and a short way to the app and its words."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, cast

from textual.screen import ModalScreen, Screen
from textual.widgets import Input

from inspector.core.records import Attachment
from inspector.tui.keys import localize_bindings

if TYPE_CHECKING:
    from inspector.tui.app import InspectorApp

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound="_Localized")


def guarded(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R | None]:
    """For handlers that write: a store refusal (disk full, a damaged file, a submitted inspection) becomes a
    message and the screen goes on; nothing is shown as recorded that was not saved."""

    @functools.wraps(method)
    def wrapper(self: S, *args: P.args, **kwargs: P.kwargs) -> R | None:
        from inspector.core.store import StoreError
        from inspector.core.walk import WalkError

        try:
            return method(self, *args, **kwargs)
        except StoreError as error:
            lang = self.inspector_app.lang
            self.inspector_app.bell()
            text = error.message(lang) if isinstance(error, WalkError) else str(error)
            self.inspector_app.notify(text, severity="error", timeout=20)
            return None

    return cast("Callable[Concatenate[S, P], R | None]", wrapper)


class _Localized:
    def _localize(self) -> None:
        localize_bindings(self, self.inspector_app.lang)  # type: ignore[arg-type]

    @property
    def inspector_app(self) -> InspectorApp:
        from inspector.tui.app import InspectorApp

        app = self.app  # type: ignore[attr-defined]
        assert isinstance(app, InspectorApp)
        return app

    def t(self, key: str, /, **values: object) -> str:
        return self.inspector_app.t(key, **values)

    def attach_photo(self, box: Input) -> tuple[Attachment | None, str]:
        """Copy the photo whose path is typed in `box` into the store: (the attachment, what to tell the user).

        A path pasted from Windows' "Copy as path" comes in quotes; a missing or unreadable file is a message."""
        from inspector.core.store import StoreError

        raw = box.value.strip().strip("\"'")
        if not raw:
            return None, ""
        try:
            attachment = self.inspector_app.store.add_attachment(Path(raw).expanduser())
        except StoreError as error:
            return None, str(error)
        box.value = ""
        return attachment, self.t("fail.photo_added", name=Path(raw).name)


class BaseScreen(_Localized, Screen[Any]):
    def __init__(self) -> None:
        super().__init__()
        self._localize()
        self._drawn_revision: int | None = None  # the store's revision when this screen last drew its records

    def reload(self) -> None:
        """Screens that show the store's records read and draw them here."""

    def redraw(self) -> None:
        self._drawn_revision = self.inspector_app.store.revision
        self.reload()

    def on_screen_resume(self) -> None:
        """On top again (first shown, or a screen or modal above it closed): read the records and the sync badge
        again only if something was written meanwhile. A help screen or the palette closing changes nothing."""
        if self._drawn_revision != self.inspector_app.store.revision:
            first_show = self._drawn_revision is None  # the app set the badge when it started
            self.redraw()
            if not first_show:
                self.inspector_app.refresh_sync_badge()


class BaseModal(_Localized, ModalScreen[Any]):
    def __init__(self) -> None:
        super().__init__()
        self._localize()
