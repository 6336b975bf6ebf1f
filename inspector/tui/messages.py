"""Messages the TUI's parts send each other."""

from __future__ import annotations

from textual.message import Message


class DataChanged(Message):
    """Stored records changed (a submission, a pull): lists should reload."""
