"""kill -9 at any instant: the store still opens, undamaged, with every save that had returned.

A child process saves as fast as it can and prints each save once `record_result` has returned; the parent kills
it with SIGKILL at a random moment, reopens the store and looks for every printed save. Fifty rounds on one data
dir, so kills land in every part of a save: the temp file, its fsync, the backup link, the rename, a new file.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inspector.core.store import Store

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 50
SAVES_PER_INSPECTION = 25  # fewer than the 30 item codes: each (inspection, code) is saved exactly once

CHILD = """
import sys
from pathlib import Path

from inspector.core.records import Inspection, ItemResult, Verdict
from inspector.core.store import Store

data_dir, round_no, per_inspection = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
out = sys.stdout
store = Store.open(data_dir)
out.write("ready\\n")
out.flush()
n = 0
while True:
    if n % per_inspection == 0:
        inspection = Inspection(site_id="site-" + round_no, checklist_id="c", checklist_version="1")
        store.save_inspection(inspection)
        out.write(f"new {inspection.id}\\n")
        out.flush()
    code = f"C-{n % 30:02d}"
    note = f"第 {round_no} 轮 第 {n} 次"
    store.record_result(inspection.id, ItemResult(code=code, verdict=Verdict.FAIL, note=note), current_code=code)
    out.write(f"ok {inspection.id} {code} {note}\\n")
    out.flush()
    n += 1
"""


def run_and_kill(script: Path, data_dir: Path, round_no: int, rng: random.Random) -> list[str]:
    """Start the child, kill it at a random moment once it is saving, and return the lines it completed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    child = subprocess.Popen(
        [sys.executable, str(script), str(data_dir), str(round_no), str(SAVES_PER_INSPECTION)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    ready = child.stdout.readline()
    assert ready == b"ready\n", ready + (child.stderr.read() if child.stderr else b"")
    time.sleep(rng.uniform(0.0, 0.12))
    child.send_signal(signal.SIGKILL)
    rest, errors = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL, errors.decode("utf-8", "replace")
    text = rest.decode("utf-8")
    complete = text if text.endswith("\n") else text[: text.rfind("\n") + 1]  # a line cut by the kill is not a save
    return complete.splitlines()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX; the store itself is portable")
def test_every_returned_save_survives_kill_9(tmp_path: Path) -> None:
    script = tmp_path / "saver.py"
    script.write_text(CHILD, encoding="utf-8")
    data_dir = tmp_path / "data"
    rng = random.Random(20260903)
    acknowledged: dict[tuple[str, str], str] = {}
    created: set[str] = set()
    saves_seen = 0
    for round_no in range(ROUNDS):
        for line in run_and_kill(script, data_dir, round_no, rng):
            kind, inspection_id, *rest = line.split(" ", 3)
            if kind == "new":
                created.add(inspection_id)
            elif kind == "ok":
                code, note = rest
                acknowledged[(inspection_id, code)] = note
                saves_seen += 1
        with Store.open(data_dir) as store:
            assert store.recovery_notes == [], f"round {round_no}: {store.recovery_notes}"
            stored = {i.id: i for i in store.inspections()}
            assert created <= set(stored), f"round {round_no}: a returned save_inspection is missing"
            for (inspection_id, code), note in acknowledged.items():
                result = stored[inspection_id].results.get(code)
                assert result is not None and result.note == note, f"round {round_no}: {inspection_id} {code} lost"
    assert saves_seen > ROUNDS  # the kills did land while saving, not only before the first save
    leftovers = [p.name for p in (data_dir / "inspections").iterdir() if ".damaged-" in p.name]
    assert leftovers == []
