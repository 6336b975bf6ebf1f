"""Push: a batch of whole record versions in, one answer per item out (`POST /v1/sync/push`).

How a batch is applied: the request is parsed and validated in one pass (per item only when something is wrong),
then one write transaction takes the change counter, reads what it needs in a few bulk queries, decides every item
in memory and writes the outcome with one executemany per statement. A database error on that fast path rolls the
batch back and replays it item by item, each in its own savepoint, so one bad item is rejected alone.

The package, by job: parse.py (body → items), decide.py (the per-kind rules, in memory), sql.py (reading what HQ
holds, writing the outcome), queue.py (prepare, group commit, replay).
"""

from __future__ import annotations

from sync.hq.services.push.queue import PushJob, PushQueue, StageHook, prepare

__all__ = ["PushJob", "PushQueue", "StageHook", "prepare"]
