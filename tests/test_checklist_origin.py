"""`inspector checklist list` says where each checklist comes from: built-in, published by HQ, added locally."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import yaml

from inspector.cli import main
from inspector.core.demo import demo_sites
from inspector.core.store import Store
from inspector.core.walk import start_or_resume
from tests.sync_support import ROOT
from tests.test_walk_sources import published, pull


def run(data_dir: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--data-dir", str(data_dir), *argv])
    return code, out.getvalue(), err.getvalue()


def test_the_list_names_each_checklists_origin(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    source = yaml.safe_load((ROOT / "checklists" / "builtin" / "plaza.yaml").read_text(encoding="utf-8"))
    source["version"] = "2027.1"
    mine = tmp_path / "plaza-2027.yaml"
    mine.write_text(yaml.safe_dump(source, allow_unicode=True), encoding="utf-8")
    (tmp_path / "modules").symlink_to(ROOT / "checklists" / "builtin" / "modules")
    assert run(data_dir, "checklist", "add", str(mine))[0] == 0
    store = Store.open(data_dir)
    try:
        pull(store, published("plaza", "1", new_id="market", site_type="农贸市场"))
        store.put_sites(demo_sites())
        assert start_or_resume(store, store.site("demo-limin")) is not None  # pins the built-in 楼院 checklist
    finally:
        store.close()
    code, out, err = run(data_dir, "checklist", "list", "--json")
    assert code == 0, err
    origins = {row["key"]: row["origin"] for row in json.loads(out)}
    assert origins["plaza@2027.1"] == "local"
    assert origins["market@1"] == "hq"
    assert origins["residential@2026.1"] == "builtin"  # pinned by the walk, listed once, as the built-in
    assert sum(1 for row in json.loads(out) if row["key"] == "residential@2026.1") == 1
    code, table, _ = run(data_dir, "checklist", "list")
    rows = {line.split()[0] + "@" + line.split()[1]: line.split() for line in table.splitlines()[1:]}
    assert rows["plaza@2027.1"][5] == "本机加入" and rows["market@1"][5] == "总部发布"
    assert rows["plaza@2026.1"][5] == "内置"
    code, english, _ = run(data_dir, "--lang", "en", "checklist", "list")
    assert "HQ published" in english and "added locally" in english and "built-in" in english
