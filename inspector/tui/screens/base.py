"""What every screen of ours shares: localized bindings and a short way to the app and its words."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.screen import ModalScreen, Screen

from inspector.tui.keys import localize_bindings

if TYPE_CHECKING:
    from inspector.tui.app import InspectorApp


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


class BaseScreen(_Localized, Screen[Any]):
    def __init__(self) -> None:
        super().__init__()
        self._localize()


class BaseModal(_Localized, ModalScreen[Any]):
    def __init__(self) -> None:
        super().__init__()
        self._localize()
