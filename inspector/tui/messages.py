"""Messages the TUI's parts send each other."""

from __future__ import annotations

from textual.message import Message


class SyncStateChanged(Message):
    """The sync badge's text changed (sent by the app to whoever shows it)."""

    def __init__(self, text: str, level: str) -> None:
        super().__init__()
        self.text = text
        self.level = level  # "ok", "running", "error", "idle"


class DataChanged(Message):
    """Stored records changed (a submission, a pull): lists should reload."""
