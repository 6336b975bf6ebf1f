"""The device side of sync: the only httpx importer on the field side.

`sync_once` runs one round: photos first (HEAD, then PUT when HQ lacks one), then the pending records in batches
(inspections, problems, events — in that order, so HQ always knows what an event refers to), then pulls until HQ
has nothing more. Every answer is written to the store as it arrives, so a cut connection loses no work: the next
round resends, and HQ answers `duplicate` for what it already holds.

Failures: a network error or a 5xx means "HQ unreachable, try later" (`SyncReport.unreachable`); a 4xx for a whole
request is an error with HQ's reason; a record HQ refuses for good is marked rejected with the reason and never
sent again. The TUI awaits `sync_once` on its event loop and schedules the next round with `next_retry_delay`.

    http.py      HQClient: the HTTP calls (the only httpx importer on the laptop)
    round.py     sync_once: the order of one round, and what the store is told of each answer
    report.py    SyncReport and next_retry_delay
    errors.py    SyncError
    messages.py  the words, in Chinese and English
"""

from sync.client.errors import SyncError
from sync.client.http import HQClient
from sync.client.report import SKEW_WARNING_S, SyncReport, next_retry_delay
from sync.client.round import PUSH_BUDGET_BYTES, batch_body, batches, push_item_json, sync_once

__all__ = [
    "PUSH_BUDGET_BYTES",
    "SKEW_WARNING_S",
    "HQClient",
    "SyncError",
    "SyncReport",
    "batch_body",
    "batches",
    "next_retry_delay",
    "push_item_json",
    "sync_once",
]
