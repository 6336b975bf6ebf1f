"""Record ids are minted on the device at creation time, time-ordered so that files and lists sort by age."""

from __future__ import annotations

from datetime import UTC, datetime


def new_id() -> str:
    """A fresh UUIDv7 as text: unique across devices without coordination, and sortable by creation time."""
    from uuid6 import uuid7  # here, not at the top: uuid6 pulls in importlib.metadata, 10 ms of every start-up

    return str(uuid7())


def utcnow() -> datetime:
    """The current time in UTC with its timezone: every stored time is aware, never naive."""
    return datetime.now(UTC)
