"""The demo sites a first run starts with: real places named in the source documents (shared/seeds).

Why real places: an inspector trying the app should see the kind of sites they visit, with the problems the
reports name (利民小区's old bungalows, 瀛福路's marked parking ...). Only what the documents say is filled in:
where a document redacts or omits the 区/街道/社区, the field stays empty rather than invented; where it is silent
on the responsible unit, the unit is the 社区居委会 or 物业 the document describes. Ids are stable so that
demo data created on one machine matches another's.
"""

from __future__ import annotations

from typing import Any

from inspector.core.records import Site

__all__ = ["demo_sites", "is_demo_site"]

_RESIDENTIAL = "楼院"
_BACKSTREET = "背街小巷"
_PLAZA = "公共广场"

_SITES: list[dict[str, Any]] = [
    # seed 001 社区创城工作汇报: a 社区 bounded by 南大街, 凤凰路 and 南关西路, 5 楼院网格; one compound has a
    # 物业, the rest are managed by the 社区 itself (兜底); 利民小区's 年久失修平房 are named as a problem.
    {
        "id": "demo-limin",
        "name": "利民小区",
        "site_type": _RESIDENTIAL,
        "address": "南大街以西、凤凰路以东、南关西路以北的社区辖区内",
        "responsible_unit": "社区居委会（兜底管理）",
    },
    # seed 003 双港路社区居委会创建省级文明社区汇报: 景馨花园小区, built 2001, 21 six-storey buildings, 618 households,
    # run jointly by the 社区 and the compound's 物业管理部门 (the town and city names are redacted in the source).
    {
        "id": "demo-jingxin",
        "name": "景馨花园小区",
        "site_type": _RESIDENTIAL,
        "community": "双港路社区",
        "address": "双港路社区辖区内（6 层商住楼 21 幢）",
        "responsible_unit": "景馨花园小区物业管理部门",
    },
    # seed 000: 金采小区, an oil-field plant's housing estate run by its 生活管理站 with a 居委会 and 物业管理队.
    {
        "id": "demo-jincai",
        "name": "金采小区",
        "site_type": _RESIDENTIAL,
        "responsible_unit": "生活管理站物业管理队",
    },
    # seed 002 (篇二): 青阳街道富华社区 under the 开发区管委会; its compounds include 富华园, 富华二村, 青阳嘉苑.
    {
        "id": "demo-fuhuayuan",
        "name": "富华园",
        "site_type": _RESIDENTIAL,
        "district": "开发区",
        "street": "青阳街道",
        "community": "富华社区",
        "responsible_unit": "富华社区居委会",
    },
    {
        "id": "demo-fuhua-ercun",
        "name": "富华二村",
        "site_type": _RESIDENTIAL,
        "district": "开发区",
        "street": "青阳街道",
        "community": "富华社区",
        "responsible_unit": "富华社区居委会",
    },
    {
        "id": "demo-qingyang-jiayuan",
        "name": "青阳嘉苑",
        "site_type": _RESIDENTIAL,
        "district": "开发区",
        "street": "青阳街道",
        "community": "富华社区",
        "responsible_unit": "富华社区居委会",
    },
    # seed 002 (篇六): a 福州 社区 near 光明港 with no 物业 in its compounds: 东升新村 (20 simple 1980s buildings,
    # broken roads, no street lights, blocked drains), 瀛福小区 (800+ households), 红星新村; its streets 竹排巷,
    # 瀛福路 (marked parking arranged with 城管) and 瀛东路, whose drains the 社区 had cleared.
    {
        "id": "demo-dongsheng",
        "name": "东升新村",
        "site_type": _RESIDENTIAL,
        "address": "福州市",
        "responsible_unit": "社区居委会（无物业管理）",
    },
    {
        "id": "demo-yingfu",
        "name": "瀛福小区",
        "site_type": _RESIDENTIAL,
        "address": "福州市",
        "responsible_unit": "社区居委会（无物业管理）",
    },
    {
        "id": "demo-hongxing",
        "name": "红星新村",
        "site_type": _RESIDENTIAL,
        "address": "福州市",
        "responsible_unit": "社区居委会（无物业管理）",
    },
    {
        "id": "demo-zhupaixiang",
        "name": "竹排巷",
        "site_type": _BACKSTREET,
        "address": "福州市",
        "responsible_unit": "社区居委会",
    },
    {
        "id": "demo-yingfu-road",
        "name": "瀛福路",
        "site_type": _BACKSTREET,
        "address": "福州市",
        "responsible_unit": "社区居委会、城管部门（划线停车）",
    },
    {
        "id": "demo-yingdong-road",
        "name": "瀛东路",
        "site_type": _BACKSTREET,
        "address": "福州市",
        "responsible_unit": "社区居委会",
    },
    # seed 000 (2023 社区创文工作汇报): a 社区 in 澄江 whose 网格 has a small square and garden, replanted that week.
    {
        "id": "demo-chengjiang-square",
        "name": "网格小广场（小花园旁）",
        "site_type": _PLAZA,
        "district": "澄江",
        "responsible_unit": "社区居委会",
    },
    # seed 002 (篇五): a 社区 that built a 400 m² 文化活动小广场 the same year it paved its roads.
    {
        "id": "demo-culture-square",
        "name": "社区文化活动小广场",
        "site_type": _PLAZA,
        "responsible_unit": "社区居委会",
    },
]


def demo_sites() -> list[Site]:
    """Fresh Site records for the demo data, each marked `demo` (what is recorded there never goes to HQ); each
    call returns new objects, so callers may change them freely."""
    return [Site(**fields, demo=True) for fields in _SITES]


def is_demo_site(site: Site) -> bool:
    """The site's own marker, never a guess from its id: a site HQ publishes is HQ's, whatever its id."""
    return site.demo
