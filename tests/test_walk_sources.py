"""What a new inspection walks: HQ's newest published checklist for the site, a built-in one only when HQ has
published none; a draft keeps the version it started with; the 批次 comes from the inspector's assignment."""

from __future__ import annotations

from pathlib import Path

from checklists.registry import builtin_checklist
from checklists.schema import Checklist
from inspector.core.demo import demo_sites
from inspector.core.records import Assignment, Site
from inspector.core.store import Store
from inspector.core.walk import start_or_resume
from tests.sync_support import ROOT


def published(base_id: str, version: str, *, new_id: str | None = None, site_type: str | None = None) -> Checklist:
    base = builtin_checklist(base_id)
    assert base is not None
    first = base.sections[0]
    renamed = first.model_copy(update={"items": [first.items[0].model_copy(update={"title": f"本市 {version}"})]})
    update: dict[str, object] = {"version": version, "sections": [renamed, *base.sections[1:]]}
    if new_id:
        update |= {"id": new_id, "title": f"{site_type}实地考察检查表", "site_type": site_type}
    return base.model_copy(update=update)


def pull(store: Store, *checklists: Checklist, sites: list[Site] | None = None) -> None:
    store.apply_pulled(sites=sites or [], checklists=list(checklists), problems=[], cursor=None)


def test_a_new_inspection_takes_hqs_newest_version_of_the_sites_checklist(store: Store) -> None:
    site = store.site("demo-limin")
    pull(store, published("residential", "2026.9"), published("residential", "2026.10"))
    inspection, checklist = start_or_resume(store, site) or (None, None)
    assert inspection is not None and checklist is not None
    assert (inspection.checklist_id, inspection.checklist_version) == ("residential", "2026.10")
    assert checklist.items[0].title == "本市 2026.10"


def test_a_draft_keeps_its_version_when_hq_publishes_a_newer_one(store: Store) -> None:
    site = store.site("demo-limin")
    pull(store, published("residential", "2026.9"))
    first = start_or_resume(store, site)
    assert first is not None and first[0].checklist_version == "2026.9"
    pull(store, published("residential", "2026.10"))
    again = start_or_resume(store, site)
    assert again is not None and again[0].id == first[0].id and again[0].checklist_version == "2026.9"


def test_without_anything_from_hq_the_built_in_checklist_serves(store: Store) -> None:
    started = start_or_resume(store, store.site("demo-limin"))
    assert started is not None and started[1] == builtin_checklist("residential")


def test_a_site_type_only_hq_knows_is_walkable_once_its_checklist_is_pulled(store: Store) -> None:
    market = Site(id="s-market", name="城南农贸市场", site_type="农贸市场")
    pull(store, sites=[market])
    assert start_or_resume(store, store.site("s-market")) is None  # no checklist for 农贸市场 yet
    pull(store, published("plaza", "2026.1", new_id="market", site_type="农贸市场"))
    started = start_or_resume(store, store.site("s-market"))
    assert started is not None and started[0].checklist_id == "market" and started[1].site_type == "农贸市场"


def test_the_batch_comes_from_the_inspectors_assignment(store: Store) -> None:
    assignments = [
        Assignment(id="a1", user="张伟", site_id="demo-limin", batch="2026 第 8 期督查", server_version=3),
        Assignment(id="a2", user="张伟", site_id="demo-limin", batch="2026 第 9 期督查", server_version=7),
        Assignment(id="a3", user="李娜", site_id="demo-limin", batch="李娜的批次", server_version=9),
    ]
    store.apply_pulled(sites=[], checklists=[], problems=[], cursor=None, assignments=assignments)
    started = start_or_resume(store, store.site("demo-limin"), inspector="张伟")
    assert started is not None and started[0].batch == "2026 第 9 期督查"
    assert store.inspection(started[0].id).batch == "2026 第 9 期督查"  # stored, so it syncs to HQ
    other = start_or_resume(store, store.site("demo-jingxin"), inspector="张伟")
    assert other is not None and other[0].batch == ""


def test_checklist_add_of_a_valid_file_is_walked_and_of_a_broken_one_refused(tmp_path: Path) -> None:
    import contextlib
    import io

    import yaml

    from inspector.cli import main

    data_dir = tmp_path / "data"
    source = yaml.safe_load((ROOT / "checklists" / "builtin" / "plaza.yaml").read_text(encoding="utf-8"))
    source["version"] = "2027.1"
    good = tmp_path / "plaza-2027.yaml"
    good.write_text(yaml.safe_dump(source, allow_unicode=True), encoding="utf-8")
    (tmp_path / "modules").symlink_to(ROOT / "checklists" / "builtin" / "modules")
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "id: plaza\nversion: 2027.2\ntitle: 广场\nsite_type: 公共广场\nsections:\n  - title: 一\n    items: 5\n",
        encoding="utf-8",
    )

    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["--data-dir", str(data_dir), *argv])
        return code, out.getvalue(), err.getvalue()

    code, out, err = run("checklist", "add", str(good))
    assert code == 0, err
    assert "plaza@2027.1" in out and "已加入检查表" in out
    code, _, err = run("checklist", "add", str(broken))
    assert code == 1 and f"{broken}:7:" in err
    store = Store.open(data_dir)
    try:
        assert {c.key for c in store.checklists()} == {"plaza@2027.1"}
        store.put_sites(demo_sites())
        started = start_or_resume(store, store.site("demo-culture-square"))
        assert started is not None and started[0].checklist_version == "2027.1"
    finally:
        store.close()
    assert (
        run("checklist", "add", str(good))[1].startswith("plaza@2027.1")
        or "已在本机" in run("checklist", "add", str(good))[1]
    )
