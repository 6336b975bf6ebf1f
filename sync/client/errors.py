"""Why a sync round could not finish, as the TUI and the `inspector sync` command need to know it."""

from __future__ import annotations


class SyncError(Exception):
    """A round that could not finish. `unreachable` means try again later; otherwise it needs a person."""

    def __init__(
        self,
        message: str,
        *,
        unreachable: bool = False,
        code: str | None = None,
        status: int | None = None,
        detail: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.unreachable = unreachable
        self.code = code
        self.status = status
        self.detail = detail  # the cause alone (network error, HQ's reason), for callers that word it themselves
