"""A line under a form that answers the last thing the inspector did: a photo added, a description missing."""

from __future__ import annotations

from textual.widgets import Static


class MessageLine(Static):
    DEFAULT_CSS = """
    MessageLine { height: auto; }
    MessageLine.-error { color: $error; text-style: bold; }
    """

    def say(self, text: str, *, error: bool = False) -> None:
        self.update(text)
        self.set_class(error, "-error")
