"""The built-in checklists: they load, they are big enough, and they cover every problem the source reports name.

The seed table is the contract with the people who wrote the reports (a community's 创城 work report, seed 001,
kept outside this repository; its problems are copied into SEED_PROBLEMS below): each problem they list must be
something an inspector can pick on site, under the item that covers it, in the reports' own words.
"""

from __future__ import annotations

import io
import json
import re

import pytest

from checklists.registry import (
    BUILTIN_DIR,
    BUILTIN_MODULES_DIR,
    builtin_checklist,
    builtin_checklists,
    checklist_for_site_type,
)
from checklists.schema import Checklist, Item, Severity
from checklists.validate import list_main, validate_main


def by_site_type(site_type: str) -> Checklist:
    checklist = checklist_for_site_type(site_type)
    assert checklist is not None, site_type
    return checklist


def words_of(item: Item) -> str:
    return " ".join([item.title, item.text, *item.quick_picks])


def test_every_builtin_file_validates() -> None:
    files = [str(p) for p in sorted(BUILTIN_DIR.glob("*.yaml")) + sorted(BUILTIN_MODULES_DIR.glob("*.yaml"))]
    assert len(files) == 4
    out, err = io.StringIO(), io.StringIO()
    assert validate_main(files, out, err) == 0, err.getvalue()
    assert err.getvalue() == "" and out.getvalue().count(": OK") == 4


def test_the_three_site_types_have_checklists_of_the_required_size() -> None:
    assert len(by_site_type("楼院").items) >= 28
    assert len(by_site_type("背街小巷").items) >= 22
    assert len(by_site_type("公共广场").items) == 19
    assert {c.id for c in builtin_checklists()} == {"residential", "backstreet", "plaza"}


def test_the_plaza_checklist_is_the_19_articles_in_order_with_the_shared_module_in_the_middle() -> None:
    plaza = by_site_type("公共广场")
    codes = [item.code for item in plaza.items]
    assert codes == ["GC-01", *[f"GG-{n:02d}" for n in range(2, 19)], "GC-19"]
    assert plaza.item("GC-01").text == "显著位置有公益广告景观小品"
    assert plaza.item("GG-06").text == "无占用和堵塞消防通道现象"
    assert plaza.item("GG-07").text == "无不文明养宠现象（无流浪狗、无遛狗者不牵狗绳现象，地面无动物粪便等）"


def test_the_backstreet_checklist_reuses_the_public_module_without_duplicate_codes() -> None:
    backstreet = by_site_type("背街小巷")
    codes = [item.code for item in backstreet.items]
    assert len(codes) == len(set(codes))
    assert sum(code.startswith("GG-") for code in codes) == 17
    assert sum(code.startswith("BJ-") for code in codes) >= 10


@pytest.mark.parametrize("checklist_id", ["residential", "backstreet", "plaza"])
def test_items_are_complete_and_codes_unique(checklist_id: str) -> None:
    checklist = builtin_checklist(checklist_id)
    assert checklist is not None
    codes = [item.code for item in checklist.items]
    assert len(codes) == len(set(codes))
    for item in checklist.items:
        assert item.title and item.text and item.look_for and item.source, item.code
        assert item.evidence.note_required, item.code
        if item.severity is Severity.MAJOR:
            assert item.evidence.min_photos >= 1, item.code
        if item.cg_code is not None:
            assert re.fullmatch(r"0\d{4}", item.cg_code), item.code  # GB/T 47678.5 directory codes: 5 digits


@pytest.mark.parametrize("checklist_id", ["residential", "backstreet", "plaza"])
def test_most_items_offer_at_least_two_quick_picks(checklist_id: str) -> None:
    checklist = builtin_checklist(checklist_id)
    assert checklist is not None
    with_two = [item for item in checklist.items if len(item.quick_picks) >= 2]
    assert len(with_two) >= 0.9 * len(checklist.items)


def test_item_codes_name_their_checklist_and_section() -> None:
    residential = by_site_type("楼院")
    for section in residential.sections:
        letter = section.title[0]
        assert all(item.code.startswith(f"LY-{letter}-") for item in section.items), section.title


@pytest.mark.parametrize(
    ("code", "severity"),
    [
        ("LY-D-15", Severity.MAJOR),
        ("LY-D-17", Severity.MAJOR),
        ("GG-06", Severity.MAJOR),
        ("GG-13", Severity.MAJOR),
        ("LY-C-12", Severity.MINOR),
        ("LY-D-18", Severity.MINOR),
    ],
)
def test_safety_items_are_serious(code: str, severity: Severity) -> None:
    checklist = by_site_type("楼院") if code.startswith("LY") else by_site_type("公共广场")
    assert checklist.item(code).severity is severity


@pytest.mark.parametrize(
    ("site_type", "code", "words"),
    [
        ("楼院", "LY-C-12", "鞋柜"),  # 整齐且不碍通行的鞋柜不算楼道堵塞
        ("楼院", "LY-D-18", "划线"),
        ("背街小巷", "GG-16", "划线"),  # 城管划线内出店经营不算占道经营
        ("公共广场", "GG-15", "划线"),
    ],
)
def test_exemptions_are_offered_where_the_standard_gives_them(site_type: str, code: str, words: str) -> None:
    item = by_site_type(site_type).item(code)
    assert any(words in exemption for exemption in item.exemptions)


# Every problem listed in seed report 001 (社区创城工作汇报，三、存在的问题), the item covering it, and the words
# that must appear in that item's title, text or quick-picks.
SEED_PROBLEMS = [
    ("楼道内乱堆乱放杂物", "楼院", "LY-C-12", ["楼道内乱堆乱放杂物"]),
    ("车辆停放混乱", "楼院", "LY-D-18", ["车辆停放混乱"]),
    ("垃圾分类设施不全、标示不明", "楼院", "LY-B-08", ["垃圾分类设施不全", "标示不明"]),
    ("“一墙四版三栏”公示公开版面未全覆盖", "楼院", "LY-A-04", ["一墙四版三栏", "公示公开版面"]),
    ("“15分钟便民生活圈”公示公开版面", "楼院", "LY-A-04", ["15 分钟便民生活圈"]),
    ("通讯线路“蜘蛛网”", "楼院", "LY-D-16", ["通讯线路", "蜘蛛网"]),
    ("飞线充电问题严重", "楼院", "LY-D-15", ["飞线充电"]),
    ("年久失修平房", "楼院", "LY-E-32", ["年久失修平房"]),
    ("核心价值观公益广告破损、乱涂乱画", "楼院", "LY-A-02", ["社会主义核心价值观", "破损", "乱涂乱画"]),
    ("背街小巷路面及周边环境基础设施较差", "背街小巷", "BJ-A-01", ["路面", "基础设施"]),
    ("社会主义核心价值观、拱手礼等公益广告未全覆盖", "背街小巷", "BJ-D-22", ["社会主义核心价值观", "拱手礼", "全覆盖"]),
]


@pytest.mark.parametrize(("problem", "site_type", "code", "words"), SEED_PROBLEMS, ids=[p[0] for p in SEED_PROBLEMS])
def test_every_seed_problem_has_an_item_in_the_reports_words(
    problem: str, site_type: str, code: str, words: list[str]
) -> None:
    item = by_site_type(site_type).item(code)
    for word in words:
        assert word in words_of(item), (problem, word)
    assert any(any(word in pick for word in words) for pick in item.quick_picks), problem


def test_the_unsourced_board_item_says_so() -> None:
    """“一墙四版三栏” appears only in a community's own report, in no published standard: the item must not
    pretend to quote one."""
    item = by_site_type("楼院").item("LY-A-04")
    assert "[推断]" in item.source and "未找到出处" in item.source


def test_site_type_aliases_and_unknown_types() -> None:
    assert checklist_for_site_type("居民小区") is by_site_type("楼院")
    assert checklist_for_site_type(" 背街小巷 ") is by_site_type("背街小巷")
    assert checklist_for_site_type("农贸市场") is None
    assert builtin_checklist("no-such-list") is None


def test_builtins_are_loaded_once() -> None:
    first = builtin_checklists()
    second = builtin_checklists()
    assert first == second and all(a is b for a, b in zip(first, second, strict=True))
    first.clear()  # callers get their own list; the cache is not theirs to change
    assert len(builtin_checklists()) == 3


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_list_prints_counts_as_json(lang: str) -> None:
    out = io.StringIO()
    assert list_main(True, out, lang=lang) == 0
    assert "楼院" in out.getvalue()  # ensure_ascii=False
    rows = {row["id"]: row for row in json.loads(out.getvalue())}
    assert rows["residential"]["items"] == len(by_site_type("楼院").items)
    assert rows["plaza"] | {"title": None} == {
        "id": "plaza",
        "version": "2026.1",
        "key": "plaza@2026.1",
        "title": None,
        "site_type": "公共广场",
        "sections": 3,
        "items": 19,
        "builtin": True,
        "origin": "builtin",
    }
    assert rows["plaza"]["title"] == ("Public square field inspection" if lang == "en" else "公共广场实地考察检查表")


def test_list_prints_a_table() -> None:
    out = io.StringIO()
    assert list_main(False, out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["id", "版本", "点位类型", "分节", "条目", "来源", "标题"]
    residential = next(line for line in lines if line.startswith("residential"))
    items = str(len(by_site_type("楼院").items))
    assert residential.split()[:6] == ["residential", "2026.1", "楼院", "6", items, "内置"]
