"""Sync speed against a real HQ (uvicorn subprocess, SQLite, loopback). Prints one `metric=value` per line.

    push_10k_s             one push of 140 submitted inspections holding 10,080 item results (body built before the
                           clock starts, as for the floor): send, HQ validates and stores every record, answers per
                           item, the client reads the answer (median of 9)
    push_build_10k_s       building that body on the device from the records (median of 9)
    push_floor_10k_s       one raw httpx POST of the same bytes to a route that only stores them (median of 9)
    push_vs_floor          the ratio of the two (target ≤ 3)
    noop_sync_ms_100k      `sync_once` on a device whose 100,800 results are all synced already (median of 20)
    concurrent_devices_ok  of 100 devices each pushing 20 inspections × 30 items at the same moment, how many got
                           every item applied
    concurrent_p99_s       the 99th percentile of those 100 push times (and concurrent_max_s the slowest)

Run: python bench/sync_bench.py [--quick]   (--quick: smaller device store for the no-op sync, for a smoke run)
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from inspector.core.ids import new_id, utcnow  # noqa: E402
from inspector.core.records import Inspection, InspectionStatus, ItemResult, Severity, Verdict  # noqa: E402
from sync.client import HQClient, batch_body, push_item_json, sync_once  # noqa: E402
from sync.credentials import Credentials  # noqa: E402
from sync.hq.db import Database  # noqa: E402
from sync.hq.server import listening_socket  # noqa: E402
from sync.hq.services.users import add_user  # noqa: E402
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, Role  # noqa: E402

NOTE = "3 号楼 2 单元楼道堆放纸箱、旧家具，影响通行"
PHOTO = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def inspection(site: str, items: int, *, fail_every: int = 12) -> Inspection:
    results = {}
    for n in range(items):
        code = f"LY-{n // 10 + 1}-{n + 1}"
        failed = fail_every > 0 and n % fail_every == 5
        results[code] = ItemResult(
            code=code,
            verdict=Verdict.FAIL if failed else Verdict.PASS,
            severity=Severity.MINOR if failed else None,
            note=NOTE if failed else "",
            quick_picks=["楼道堆物"] if failed else [],
            photos=[PHOTO] if failed else [],
            answered_at=datetime(2026, 5, 1, 9, n % 60, tzinfo=UTC),
        )
    return Inspection(
        site_id=site,
        checklist_id="residential",
        checklist_version="2026.1",
        inspector="张三",
        status=InspectionStatus.SUBMITTED,
        submitted_at=utcnow(),
        results=results,
        batch="2026 第 9 期督查",
    )


class Server:
    def __init__(self, folder: Path) -> None:
        self.db_url = f"sqlite:///{(folder / 'hq.sqlite3').as_posix()}"
        self.sock = listening_socket()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        launcher = str(ROOT / "bench" / "hq_floor_server.py")  # the production app plus the floor route
        command = [sys.executable, launcher, "--db", self.db_url, "--files", str(folder / "files")]
        command += ["--fd", str(self.sock.fileno())]
        self.log = (folder / "hq.log").open("wb")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=env, pass_fds=(self.sock.fileno(),), stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit(f"the HQ server did not start; see {folder / 'hq.log'}")
            time.sleep(0.1)

    def device(self, role: Role = Role.INSPECTOR) -> Credentials:
        db = Database(self.db_url)
        try:
            issued = add_user(db, f"bench-{new_id()[-12:]}", role, now=utcnow())
        finally:
            db.dispose()
        answer = httpx.post(
            f"{self.url}/v1/devices/enroll",
            json={"code": issued.code},
            headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION)},
        ).json()
        return Credentials(url=self.url, device_id=answer["device_id"], token=answer["token"], user=issued.user)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()
        self.sock.close()


def body_for(records: list[Inspection]) -> bytes:
    return batch_body([("inspection", r.id, r.sync.rev, push_item_json("inspection", r)) for r in records])


async def push_and_floor(server: Server, rounds: int = 9) -> tuple[float, float, float, int]:
    device = server.device()
    push_times, floor_times, build_times = [], [], []
    size = 0
    async with httpx.AsyncClient(timeout=120) as client:
        hq = HQClient(server.url, device.token, client=client)
        warm = [inspection("site-warm", 72) for _ in range(5)]
        await hq.push(body_for(warm))
        for _ in range(rounds):
            records = [inspection(f"site-{n % 20}", 72) for n in range(140)]
            started = time.perf_counter()
            body = body_for(records)
            build_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            answer = await hq.push(body)  # send, validate + store, answer per item, read the answer
            push_times.append(time.perf_counter() - started)
            assert all(r.status == "applied" for r in answer.results) and len(answer.results) == 140
            raw = body_for([inspection(f"site-{n % 20}", 72) for n in range(140)])
            size = len(raw)
            started = time.perf_counter()
            floor = await client.post(
                f"{server.url}/v1/bench/floor",
                content=raw,
                headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION), "Content-Type": "application/json"},
            )
            floor_times.append(time.perf_counter() - started)
            assert floor.status_code == 200, floor.text
    return statistics.median(push_times), statistics.median(floor_times), statistics.median(build_times), size


async def noop_sync(server: Server, data_dir: Path, inspections: int, rounds: int = 20) -> tuple[float, int]:
    from inspector.core.store import Store

    device = server.device()
    store = Store.open(data_dir)
    try:
        results = 0
        for n in range(inspections):
            record = inspection(f"site-{n % 50}", 72, fail_every=0)
            record.status = InspectionStatus.DRAFT
            store.submit(record, [])
            results += len(record.results)
        first = await sync_once(store, device)
        if not first.ok or store.pending().count:
            raise SystemExit(f"the initial sync failed: {first.error}")
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            report = await sync_once(store, device)
            times.append(time.perf_counter() - started)
            assert report.ok and report.pushed == 0 and report.pulled == 0, report
        return statistics.median(times) * 1000, results
    finally:
        store.close()


async def concurrent(server: Server, devices: int = 100) -> tuple[int, float, float]:
    people = [server.device() for _ in range(devices)]
    bodies = [body_for([inspection(f"site-{n % 30}", 30) for _ in range(20)]) for n in range(devices)]
    gate = asyncio.Event()

    async def one(credentials: Credentials, body: bytes) -> tuple[bool, float]:
        async with httpx.AsyncClient(timeout=120) as client:
            hq = HQClient(server.url, credentials.token, client=client)
            await hq.pull(None, limit=1)  # connection open and warm before the gate
            await gate.wait()
            started = time.perf_counter()
            try:
                answer = await hq.push(body)
            except Exception:  # a failed device is counted, not fatal to the measurement
                return False, time.perf_counter() - started
            ok = len(answer.results) == 20 and all(r.status == "applied" for r in answer.results)
            return ok, time.perf_counter() - started

    tasks = [asyncio.create_task(one(c, b)) for c, b in zip(people, bodies, strict=True)]
    await asyncio.sleep(2.0)
    gate.set()
    outcomes = await asyncio.gather(*tasks)
    times = sorted(t for _, t in outcomes)
    p99 = times[max(0, round(0.99 * len(times)) - 1)]
    return sum(ok for ok, _ in outcomes), p99, times[-1]


def main() -> None:
    quick = "--quick" in sys.argv
    with tempfile.TemporaryDirectory(prefix="sync-bench-") as tmp:
        folder = Path(tmp)
        server = Server(folder)
        try:
            push_s, floor_s, build_s, size = asyncio.run(push_and_floor(server))
            print(f"push_10k_s={push_s:.3f}")
            print(f"push_build_10k_s={build_s:.3f}")
            print(f"push_floor_10k_s={floor_s:.3f}")
            print(f"push_vs_floor={push_s / floor_s:.2f}")
            print(f"push_10k_body_mb={size / 1e6:.2f}")
            ok, p99, slowest = asyncio.run(concurrent(server))
            print(f"concurrent_devices_ok={ok}")
            print(f"concurrent_p99_s={p99:.3f}")
            print(f"concurrent_max_s={slowest:.3f}")
            count = 140 if quick else 1400
            noop_ms, results = asyncio.run(noop_sync(server, folder / "device", count))
            print(f"noop_sync_ms_100k={noop_ms:.1f}")
            print(f"noop_sync_results={results}")
        finally:
            server.close()


if __name__ == "__main__":
    main()
