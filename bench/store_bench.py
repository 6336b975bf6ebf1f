"""How much one verdict save costs on an empty store and on one holding 100,000 item results, and how long that
big store takes to open (issue 3). Prints `metric=value` lines; it measures, it never asserts.

The 100k store is written straight to disk in the v2 layout (3,400 submitted inspections of 30 items, plus one
problem per failed item, ~5% of them, each with a register and an assign event), then the measured saves go
through `Store.record_result` like the app's. Opens are timed with the files in the page cache (an open after a
reboot also pays the disk reads). Opening validates inspection headers only; `first_inspections_list_ms_100k` is
the one-time cost of the first `inspections()` call, which validates every item result.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inspector.core.ids import new_id
from inspector.core.records import Inspection, ItemResult, Site, Verdict
from inspector.core.store import FORMAT_VERSION, Store
from inspector.core.store.fileformat import dumps_tinydb
from inspector.core.store.storage import atomic_write_bytes

ITEMS = 30
INSPECTIONS_100K = 3_400  # x 30 items = 102,000 item results
FAIL_EVERY = 20  # one failed item in 20: ~5%, each one a problem
SAVES = 2_000
BLOCK = 50
OPENS = 3
PAYLOAD_BYTES = 4_096


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def codes() -> list[str]:
    return [f"LY-{section:02d}-{item:02d}" for section in range(1, 7) for item in range(1, ITEMS // 6 + 1)]


class Walker:
    """Verdicts into one fresh draft, walking its 30 items over and over, as an inspector does."""

    def __init__(self, store: Store, site_id: str) -> None:
        self.store = store
        self.draft = Inspection(site_id=site_id, checklist_id="residential", checklist_version="2026.1")
        store.save_inspection(self.draft)
        self.item_codes = codes()
        self.n = 0
        self.samples: list[float] = []

    def save(self, count: int) -> None:
        for _ in range(count):
            code = self.item_codes[self.n % len(self.item_codes)]
            failed = self.n % 7 == 0
            result = ItemResult(
                code=code,
                verdict=Verdict.FAIL if failed else Verdict.PASS,
                note="3 号楼 2 单元楼道堆放纸箱、旧家具，影响通行" if failed else "",
                answered_at=datetime.now(UTC),
            )
            start = time.perf_counter()
            self.store.record_result(self.draft.id, result, current_code=code)
            self.samples.append((time.perf_counter() - start) * 1000)
            self.n += 1


def time_atomic_writes(folder: Path, *, backup: bool) -> list[float]:
    payload = b"x" * PAYLOAD_BYTES
    target = folder / f"floor-{backup}.json"
    samples = []
    for _ in range(300):
        start = time.perf_counter()
        atomic_write_bytes(target, payload, backup=backup)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def sync_state(rev: str) -> dict[str, object]:
    return {"state": "synced", "rev": rev, "base_rev": None, "server_version": 1, "message": None}


def build_100k(data_dir: Path) -> tuple[int, int]:
    """Write the big store directly, file by file, without fsync (the OS flushes it before the timing starts)."""
    store = Store.open(data_dir)
    store.put_sites([Site(id=f"site-{n:04d}", name=f"幸福里小区 {n} 号院", site_type="楼院") for n in range(200)])
    store.close()
    item_codes = codes()
    meta = {"1": {"format_version": FORMAT_VERSION, "kind": "inspection"}}
    problem_meta = {"1": {"format_version": FORMAT_VERSION, "kind": "problem"}}
    base = datetime(2025, 1, 1, tzinfo=UTC)
    results_total = problems_total = 0
    for n in range(INSPECTIONS_100K):
        inspection_id = new_id()
        started = base + timedelta(hours=3 * n)
        site_id = f"site-{n % 200:04d}"
        results: dict[str, dict[str, object]] = {}
        for k, code in enumerate(item_codes):
            failed = (n * ITEMS + k) % FAIL_EVERY == 0
            answered = (started + timedelta(minutes=k)).isoformat()
            results[str(k + 1)] = {
                "code": code,
                "verdict": "fail" if failed else "pass",
                "severity": "minor" if failed else None,
                "quick_picks": ["楼道堆放杂物"] if failed else [],
                "note": "3 号楼 2 单元楼道堆放纸箱、旧家具，影响通行" if failed else "",
                "photos": [f"{(n * ITEMS + k):064x}"] if failed else [],
                "exemption": None,
                "answered_at": answered,
            }
            if failed:
                problems_total += 1
                write_problem(data_dir, problem_meta, inspection_id, site_id, code, started, new_id())
        results_total += len(results)
        header: dict[str, object] = {
            "id": inspection_id,
            "site_id": site_id,
            "checklist_id": "residential",
            "checklist_version": "2026.1",
            "inspector": "张三",
            "device_id": "bench",
            "status": "submitted",
            "started_at": started.isoformat(),
            "finished_at": (started + timedelta(minutes=40)).isoformat(),
            "submitted_at": (started + timedelta(minutes=41)).isoformat(),
            "current_code": item_codes[-1],
            "supersedes": None,
            "batch": "2026 第 9 期督查",
            "sync": sync_state(new_id()),
        }
        payload = dumps_tinydb({"meta": meta, "inspection": {"1": header}, "results": results})
        (data_dir / "inspections" / f"{inspection_id}.json").write_bytes(payload)
    if hasattr(os, "sync"):
        os.sync()
    return results_total, problems_total


def write_problem(
    data_dir: Path,
    meta: dict[str, dict[str, object]],
    inspection_id: str,
    site_id: str,
    code: str,
    found: datetime,
    problem_id: str,
) -> None:
    header: dict[str, object] = {
        "id": problem_id,
        "inspection_id": inspection_id,
        "site_id": site_id,
        "item_code": code,
        "item_text": "楼道内无堆物堆料，无乱停放",
        "description": "楼道堆放杂物；3 号楼 2 单元楼道堆放纸箱、旧家具，影响通行",
        "severity": "minor",
        "photos": [],
        "responsible_unit": "幸福里社区居委会",
        "deadline": {"kind": "days", "n": 3},
        "found_at": found.isoformat(),
        "found_by": "张三",
        "cg_code": None,
        "sync": sync_state(new_id()),
    }
    events: dict[str, dict[str, object]] = {
        str(k + 1): {
            "id": new_id(),
            "problem_id": problem_id,
            "kind": kind,
            "actor": "张三",
            "device_id": "bench",
            "device_time": found.isoformat(),
            "server_order": None,
            "note": "",
            "photos": [],
            "responsible_unit": "幸福里社区居委会" if kind == "assign" else None,
            "deadline": {"kind": "days", "n": 3} if kind == "assign" else None,
            "conflict": None,
            "sync": sync_state(new_id()),
        }
        for k, kind in enumerate(("register", "assign"))
    }
    payload = dumps_tinydb({"meta": meta, "problem": {"1": header}, "events": events})
    (data_dir / "problems" / f"{problem_id}.json").write_bytes(payload)


def main() -> None:
    out = sys.stdout
    with tempfile.TemporaryDirectory(prefix="inspector-bench-") as tmp:
        root = Path(tmp)
        floor = time_atomic_writes(root, backup=False)
        with_backup = time_atomic_writes(root, backup=True)

        big_dir = root / "big"
        start = time.perf_counter()
        _, problems_total = build_100k(big_dir)
        build_s = time.perf_counter() - start
        opens = []
        for _ in range(OPENS):
            start = time.perf_counter()
            store = Store.open(big_dir)
            opens.append((time.perf_counter() - start) * 1000)
            store.close()

        # Both stores open at once, saves alternating in blocks: a load spike on this shared machine then hits
        # both series alike instead of skewing the comparison.
        with Store.open(root / "empty") as empty, Store.open(big_dir) as big:
            start = time.perf_counter()
            stored = sum(len(i.results) for i in big.inspections())
            first_list_ms = (time.perf_counter() - start) * 1000
            at_0, at_100k = Walker(empty, "site-0"), Walker(big, "site-0001")
            for _ in range(SAVES // BLOCK):
                at_0.save(BLOCK)
                at_100k.save(BLOCK)

    metrics = {
        "save_p50_ms_0": statistics.median(at_0.samples),
        "save_p99_ms_0": percentile(at_0.samples, 0.99),
        "save_p99_ms_100k": percentile(at_100k.samples, 0.99),
        "open_ms_100k": statistics.median(opens),
        "save_p50_ms_100k": statistics.median(at_100k.samples),
        "save_max_ms_0": max(at_0.samples),
        "save_max_ms_100k": max(at_100k.samples),
        "open_ms_100k_first": opens[0],
        "first_inspections_list_ms_100k": first_list_ms,
        "fsync_floor_ms": statistics.median(floor),
        "atomic_write_with_bak_ms": statistics.median(with_backup),
        "stored_results_100k": stored,
        "problems_100k": problems_total,
        "build_100k_s": build_s,
    }
    for name, value in metrics.items():
        out.write(f"{name}={value:.3f}\n" if isinstance(value, float) else f"{name}={value}\n")


if __name__ == "__main__":
    main()
