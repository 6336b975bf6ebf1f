"""TUI speed: start-up against a bare Textual app, and one verdict with 100,000 item results in the store.

    python bench/tui_bench.py [--runs N] [--verdicts N]

startup_ms        process start to the sites screen ready (headless), median of --runs (bytecode cached, as installed)
startup_floor_ms  the same harness with a bare Textual App
verdict_p99_ms    digit key dispatched → verdict saved durably, widgets updated, layout and compositor run for the
                  frame; measured with 100,000 submitted item results in the store. Textual's own frame timer
                  (1/60 s cadence) is not waited for: the figure is the work our code puts into that frame.
                  Keys come at a person's pace: each finds the app idle, its work for the last key done (which
                  includes wrapping the item the next verdict brings up, as the app does while the inspector reads).
verdict_max_ms    the slowest verdict of the paced run: the tail a p99 of 300 samples still hides (three of them)
verdict_burst_p99_ms  the same with every key sent the moment the previous frame is done (no idle time between
                  keys), for a held-down key or a script: the app's idle-time work then lands inside the next key.
verdict_worst     the three slowest paced verdicts, each with the time a GC pass and the fsyncs took inside it
                  (gc=<ms>/<generation> fsync=<ms>): what a stall was spent on
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TEXTUAL_DISABLE_KITTY_KEY", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD_APP = """
import gc
gc.disable()  # as inspector.tui.launch.run_tui does until the first screen is up
import sys, time
from pathlib import Path
from inspector.tui.launch import open_store_with_demo
from inspector.tui.app import InspectorApp
from inspector.tui.screens.sites import SitesScreen
store = open_store_with_demo(Path(sys.argv[1]))
class Bench(InspectorApp):
    def on_ready(self) -> None:
        self.call_after_refresh(self._done)
    def _done(self) -> None:
        assert isinstance(self.screen, SitesScreen)
        print("ready", flush=True)
        self.exit()
Bench(store, sync_enabled=False).run(headless=True)
store.close()
"""

CHILD_FLOOR = """
from textual.app import App
from textual.widgets import Static
class Bare(App[None]):
    def compose(self):
        yield Static("floor")
    def on_ready(self) -> None:
        self.call_after_refresh(self._done)
    def _done(self) -> None:
        print("ready", flush=True)
        self.exit()
Bare().run(headless=True)
"""


def time_child(code: str, *args: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TEXTUAL_DISABLE_KITTY_KEY": "1"}
    # As on an inspector's laptop, modules compile once and start from cached bytecode after that (the warm-up run
    # writes it). A PYTHONDONTWRITEBYTECODE=1 in the environment would recompile our sources on every start, which
    # no installed app does.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    elapsed = (time.perf_counter() - start) * 1000
    _, err = process.communicate(timeout=60)
    if line.strip() != "ready":
        raise SystemExit(f"child did not get ready: {line!r} {err}")
    return elapsed


def startup(runs: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        time_child(CHILD_APP, tmp)  # first run creates the store and warms the OS caches
        time_child(CHILD_FLOOR)
        app_times, floor_times = [], []
        for _ in range(runs):  # interleaved, so drift in the machine's load hits both alike
            app_times.append(time_child(CHILD_APP, tmp))
            floor_times.append(time_child(CHILD_FLOOR))
    return statistics.median(app_times), statistics.median(floor_times)


def fill_store(data_dir: Path, results: int) -> None:
    from checklists.registry import checklist_for_site_type
    from inspector.core.records import Inspection, ItemResult, Verdict
    from inspector.tui.launch import open_store_with_demo

    store = open_store_with_demo(data_dir)
    sites = store.sites()
    try:
        made = 0
        n = 0
        while made < results:
            site = sites[n % len(sites)]
            checklist = checklist_for_site_type(site.site_type)
            assert checklist is not None
            items = checklist.items[: min(len(checklist.items), results - made)]
            inspection = Inspection(
                site_id=site.id,
                checklist_id=checklist.id,
                checklist_version=checklist.version,
                results={i.code: ItemResult(code=i.code, verdict=Verdict.PASS) for i in items},
            )
            store.submit(inspection, [])
            made += len(items)
            n += 1
    finally:
        store.close()


class Stalls:
    """Where the time of one sample went: GC passes (gc.callbacks) and fsyncs (os.fsync wrapped for the bench)."""

    def __init__(self) -> None:
        self.gc_ms = 0.0
        self.gc_gen = -1
        self.fsync_ms = 0.0
        self._gc_start = 0.0
        self._fsync = os.fsync

    def reset(self) -> None:
        self.gc_ms, self.gc_gen, self.fsync_ms = 0.0, -1, 0.0

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.gc_ms += (time.perf_counter() - self._gc_start) * 1000
            self.gc_gen = max(self.gc_gen, info.get("generation", -1))

    def _timed_fsync(self, fd: int) -> None:
        start = time.perf_counter()
        try:
            self._fsync(fd)
        finally:
            self.fsync_ms += (time.perf_counter() - start) * 1000

    def __enter__(self) -> Stalls:
        gc.callbacks.append(self._on_gc)
        os.fsync = self._timed_fsync
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._on_gc)
        os.fsync = self._fsync


Sample = tuple[float, float, int, float]  # (ms, gc ms, gc generation, fsync ms)


async def verdicts(data_dir: Path, count: int, *, idle_between: bool) -> list[Sample]:
    from textual import events

    from inspector.core.records import Verdict
    from inspector.core.store import Store
    from inspector.tui.app import InspectorApp
    from inspector.tui.screens.walk import WalkScreen
    from inspector.tui.textual_private import messages_handled, update_screen_now

    store = Store.open(data_dir)
    samples: list[Sample] = []
    stalls = Stalls()
    try:
        app = InspectorApp(store, sync_enabled=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("enter")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, WalkScreen)
            nodes = [app, *screen.walk_children(with_self=True)]
            stalls.__enter__()
            for n in range(count):
                if screen.walk.next_matching([None]) is None:
                    await pilot.press("g")
                    for item in screen.walk.items:  # start over: clear every verdict (not timed)
                        screen.walk.move_to(screen.walk.index_of(item.code))
                        screen.walk.set_verdict(None, advance=False)
                    await pilot.press("g")
                    await pilot.pause()
                if idle_between:
                    await pilot.pause(0.15)  # 150 ms: quicker than any inspector reads an item
                code = screen.walk.item.code
                key = "1" if n % 7 else "3"
                stalls.reset()
                start = time.perf_counter()
                app.post_message(events.Key(key, key))  # the path a key from the terminal takes
                for _ in range(1000):  # until the verdict is recorded and the messages it caused are handled
                    recorded = screen.walk.verdict(code) is not None
                    if recorded and messages_handled(nodes):
                        break
                    await asyncio.sleep(0)
                update_screen_now(screen)  # layout + compositor for the frame, now rather than on the timer
                elapsed = (time.perf_counter() - start) * 1000
                samples.append((elapsed, stalls.gc_ms, stalls.gc_gen, stalls.fsync_ms))
                assert store.inspection(screen.walk.inspection.id).results[code].verdict in (Verdict.PASS, Verdict.NA)
    finally:
        if stalls._on_gc in gc.callbacks:
            stalls.__exit__()
        store.close()
    return samples


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--verdicts", type=int, default=300)
    parser.add_argument("--results", type=int, default=100_000)
    args = parser.parse_args()
    startup_ms, floor_ms = startup(args.runs)
    print(f"startup_ms={startup_ms:.1f}")
    print(f"startup_floor_ms={floor_ms:.1f}")
    print(f"startup_ratio={startup_ms / floor_ms:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        fill_store(data_dir, args.results)
        paced = asyncio.run(verdicts(data_dir, args.verdicts, idle_between=True))
        burst = [s[0] for s in asyncio.run(verdicts(data_dir, args.verdicts, idle_between=False))]
    samples = [s[0] for s in paced]
    print(f"verdict_p50_ms={statistics.median(samples):.2f}")
    print(f"verdict_p99_ms={p99(samples):.2f}")
    print(f"verdict_max_ms={max(samples):.2f}")
    print(f"verdict_samples={len(samples)}")
    print(f"verdict_burst_p50_ms={statistics.median(burst):.2f}")
    print(f"verdict_burst_p99_ms={p99(burst):.2f}")
    worst = sorted(paced, reverse=True)[:3]
    print("verdict_worst=" + "; ".join(f"{ms:.1f} (gc={g:.1f}/{gen} fsync={f:.1f})" for ms, g, gen, f in worst))
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load is not None:
        print(f"load_avg_1m={load[0]:.2f}")


if __name__ == "__main__":
    main()
