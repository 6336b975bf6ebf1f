"""The console's pages timed on the server: the production console app (sync/hq/console, as `inspector hq serve`
builds it) called in-process over ASGI by a signed-in reviewer, so the time is the page's own work (session check,
queries, rendering), not the network's. hq_bench.py runs it on its city-year database:

    console_ledger_ms_p95    GET /ledger?street=...: one 街道's open problems, 50 rows sorted by 期限 with the exact
                             count and the site names (p95 of 20 pages over the streets; and the median)
    console_overview_ms      GET /?date_from=2025-10-01&date_to=2025-12-31: the 概览 of a quarter (its numbers, the
                             12-week trend, the best and worst 社区; median of 5)

Run alone on any HQ database: python bench/console_timing.py URL
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import select  # noqa: E402

from inspector.core.ids import utcnow  # noqa: E402
from sync.hq.console.app import create_console  # noqa: E402
from sync.hq.db import Database  # noqa: E402
from sync.hq.db.models import rm_problems  # noqa: E402
from sync.hq.services.console_auth import set_password  # noqa: E402
from sync.hq.services.context import HqServices  # noqa: E402
from sync.hq.services.users import add_user  # noqa: E402
from sync.protocol import Role  # noqa: E402

PASSWORD = "bench-password"


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


async def _measure(db: Database, files: Path) -> tuple[float, float, float]:
    name = f"bench-reviewer-{time.time_ns()}"
    issued = add_user(db, name, Role.REVIEWER, now=utcnow())
    set_password(db, issued.user, PASSWORD, now=utcnow())
    with db.read() as conn:
        streets = [row[0] for row in conn.execute(select(rm_problems.c.street).distinct().limit(10))]
    app = create_console(HqServices.start(db, files))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
        signed = await client.post("/signin", data={"name": name, "password": PASSWORD})
        assert signed.status_code == 303, signed.text
        await client.get("/ledger")  # first use: templates compiled, pools filled
        pages: list[float] = []
        for n in range(20):
            street = streets[n % len(streets)] if streets else ""
            started = time.perf_counter()
            answer = await client.get(f"/ledger?street={quote(street)}&page={1 + n // max(len(streets), 1)}")
            pages.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, answer.text[:300]
        overview: list[float] = []
        for _ in range(5):
            started = time.perf_counter()
            answer = await client.get("/?date_from=2025-10-01&date_to=2025-12-31")
            overview.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, answer.text[:300]
    return _p95(pages), statistics.median(pages), statistics.median(overview)


def console_times(db: Database, files: Path) -> tuple[float, float, float]:
    """(ledger page p95 ms, its median, overview median ms) on `db`."""
    return asyncio.run(_measure(db, files))


def main() -> None:
    db = Database(sys.argv[1])
    db.migrate()
    with tempfile.TemporaryDirectory() as folder:
        p95, median, overview = console_times(db, Path(folder))
    print(f"console_ledger_ms_p95={p95:.1f}")
    print(f"console_ledger_ms_median={median:.1f}")
    print(f"console_overview_ms={overview:.1f}")
    db.dispose()


if __name__ == "__main__":
    main()
