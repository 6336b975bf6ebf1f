"""What one round did (the summary line, the TUI's sync badge), and when to try again after failures."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sync.client.messages import TEXT

SKEW_WARNING_S = 300.0


@dataclass
class SyncReport:
    """What one round did, for the summary line and the TUI's sync badge."""

    pushed: int = 0  # records HQ applied now
    duplicates: int = 0  # records HQ already had (a retried round)
    conflicts: int = 0  # kept by HQ but flagged for a reviewer
    rejected: dict[str, str] = field(default_factory=dict)  # record id (or photo sha256) → HQ's reason
    conflict_messages: dict[str, str] = field(default_factory=dict)  # record id → why it is a conflict
    pulled: int = 0  # sites, checklists, assignments and problems received
    photos_uploaded: int = 0
    photos_downloaded: int = 0
    skew_s: float | None = None  # HQ time minus this laptop's time
    error: str | None = None
    unreachable: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def skew_warning(self) -> bool:
        return self.skew_s is not None and abs(self.skew_s) > SKEW_WARNING_S

    def summary(self, lang: str = "zh") -> str:
        return TEXT(
            "summary",
            lang,
            pushed=self.pushed,
            duplicates=self.duplicates,
            conflicts=self.conflicts,
            rejected=len(self.rejected),
            pulled=self.pulled,
            up=self.photos_uploaded,
            down=self.photos_downloaded,
        )

    def skew_text(self, lang: str = "zh") -> str:
        """The clock warning, or '' when the clock is fine."""
        if not self.skew_warning or self.skew_s is None:
            return ""
        minutes = round(self.skew_s / 60)
        return TEXT("clock_behind" if minutes > 0 else "clock_ahead", lang, n=abs(minutes))


def next_retry_delay(failures: int, *, base_s: float = 5.0, cap_s: float = 300.0) -> float:
    """Seconds before the next attempt after `failures` failed rounds in a row: exponential, capped, jittered so
    that a room of laptops coming back online does not hit HQ in step."""
    if failures <= 0:
        return 0.0
    delay = min(cap_s, base_s * 2.0 ** (failures - 1))
    return delay * random.uniform(0.5, 1.0)
