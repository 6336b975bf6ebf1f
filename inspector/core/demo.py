"""The demo sites a first run starts with: real places named in the source documents (shared/seeds).

Why real places: an inspector trying the app should see the kind of sites they visit, with the problems the
reports name (利民小区's old bungalows, 瀛福路's marked parking ...), and the first bulletin a new user prints
should rank real-looking 街道 and 社区. The documents come from several cities, so the demo city is a composite,
and it is built by these rules:
- every site's name is a place a document names (test_demo_sites checks it against the seeds);
- 区, 街道/镇 and 社区 are the documents' own where they name them (开发区 → 青阳街道 → 富华社区; 城关镇 → 东街社区;
  双港路社区); where a document redacts or omits a level, the site is hung on a level another document names
  (开发区, 澄江区, 青阳街道, 城关镇), and a 社区 the documents describe without naming is called after a place the
  same document names (光明港社区, 南关社区, 金采社区): these three names are the demo's, said so beside each;
- the 责任单位 is the one the document describes (a compound's 物业 or 业主委员会, the 社区居委会 that manages a
  compound without one, the 城管 for a road's parking), never a person.
Ids are stable so that demo data created on one machine matches another's.
"""

from __future__ import annotations

from typing import Any

from inspector.core.records import Site

__all__ = ["demo_sites", "is_demo_site"]

_RESIDENTIAL = "楼院"
_BACKSTREET = "背街小巷"
_PLAZA = "公共广场"

# The two 区 the documents name: 开发区 (seed 002 篇二's 开发区管委会) and 澄江 (seed 000's 市生态环境局澄江分局).
_KAIFAQU = "开发区"
_CHENGJIANG = "澄江区"

_SITES: list[dict[str, Any]] = [
    # seed 001 社区创城工作汇报: a 社区 bounded by 南大街, 凤凰路 and 南关西路, 5 楼院网格; one compound has a
    # 物业, the rest are managed by the 社区 itself (兜底); 利民小区's 年久失修平房 are named as a problem.
    # The document names neither the 社区 nor its 街道: 南关社区 is the demo's name, after 南关西路.
    {
        "id": "demo-limin",
        "name": "利民小区",
        "site_type": _RESIDENTIAL,
        "district": _CHENGJIANG,
        "street": "城关镇",
        "community": "南关社区",
        "address": "南大街以西、凤凰路以东、南关西路以北（社区兜底管理）",
        "responsible_unit": "南关社区居委会",
    },
    # seed 003 双港路社区居委会创建省级文明社区汇报: 景馨花园小区, built 2001, 21 six-storey buildings, 618 households,
    # run jointly by the 社区 and the compound's 物业管理部门; its green is around the buildings and the 小区中心广场.
    # The town is redacted (「xx镇双港路社区」): the demo puts the 社区 in 城关镇, the 镇 another document names.
    {
        "id": "demo-jingxin",
        "name": "景馨花园小区",
        "site_type": _RESIDENTIAL,
        "district": _CHENGJIANG,
        "street": "城关镇",
        "community": "双港路社区",
        "address": "双港路社区（6 层商住楼 21 幢）",
        "responsible_unit": "景馨花园小区物业管理部门",
    },
    {
        "id": "demo-jingxin-square",
        "name": "景馨花园中心广场",
        "site_type": _PLAZA,
        "district": _CHENGJIANG,
        "street": "城关镇",
        "community": "双港路社区",
        "address": "景馨花园小区中心",
        "responsible_unit": "景馨花园小区物业管理部门",
    },
    # seed 000: 金采小区, an oil-field plant's housing estate run by its 生活管理站 with a 居委会 and 物业管理队.
    # The 社区 is the estate's own 居委会: 金采社区 is the demo's name for it.
    {
        "id": "demo-jincai",
        "name": "金采小区",
        "site_type": _RESIDENTIAL,
        "district": _CHENGJIANG,
        "street": "城关镇",
        "community": "金采社区",
        "responsible_unit": "生活管理站物业管理队",
    },
    # seed 002 (篇三): 城关镇's 东街社区. 邮政局家属院, 房管所 and 一小家属 楼院 were given 业主委员会 and 物业管理 this
    # year; the volunteers served in 三官廉租房 and 兴隆花园.
    {
        "id": "demo-youzheng",
        "name": "邮政局家属院",
        "site_type": _RESIDENTIAL,
        "district": _CHENGJIANG,
        "street": "城关镇",
        "community": "东街社区",
        "responsible_unit": "邮政局家属院业主委员会",
    },
    {
        "id": "demo-fangguansuo",
        "name": "房管所家属院",
        "site_type": _RESIDENTIAL,
        "district": _CHENGJIANG,
        "street": "城关镇",
        "community": "东街社区",
        "responsible_unit": "房管所家属院业主委员会",
    },
    {
        "id": "demo-yixiao",
        "name": "一小家属院",
        "site_type": _RESIDENTIAL,
        "district": _CHENGJIANG,
        "street": "城关镇",
        "community": "东街社区",
        "responsible_unit": "一小家属院业主委员会",
    },
    {
        "id": "demo-xinglong",
        "name": "兴隆花园",
        "site_type": _RESIDENTIAL,
        "district": _CHENGJIANG,
        "street": "城关镇",
        "community": "东街社区",
        "responsible_unit": "东街社区居委会",
    },
    {
        "id": "demo-sanguan",
        "name": "三官廉租房",
        "site_type": _RESIDENTIAL,
        "district": _CHENGJIANG,
        "street": "城关镇",
        "community": "东街社区",
        "responsible_unit": "东街社区居委会",
    },
    # seed 000 (2023 社区创文工作汇报, 澄江): a 社区 whose 网格 has a small square and garden, replanted that week.
    # Its 社区 is unnamed: the demo puts the square in 东街社区.
    {
        "id": "demo-chengjiang-square",
        "name": "网格小广场（小花园旁）",
        "site_type": _PLAZA,
        "district": _CHENGJIANG,
        "street": "城关镇",
        "community": "东街社区",
        "responsible_unit": "东街社区居委会",
    },
    # seed 002 (篇二): 开发区 青阳街道富华社区; 6 compounds, among them 富华园, 富华二村, 青阳嘉苑, 庆枫花苑;
    # 朝阳东路 and 青阳路 run through it.
    {
        "id": "demo-fuhuayuan",
        "name": "富华园",
        "site_type": _RESIDENTIAL,
        "district": _KAIFAQU,
        "street": "青阳街道",
        "community": "富华社区",
        "responsible_unit": "富华社区居委会",
    },
    {
        "id": "demo-fuhua-ercun",
        "name": "富华二村",
        "site_type": _RESIDENTIAL,
        "district": _KAIFAQU,
        "street": "青阳街道",
        "community": "富华社区",
        "responsible_unit": "富华社区居委会",
    },
    {
        "id": "demo-qingyang-jiayuan",
        "name": "青阳嘉苑",
        "site_type": _RESIDENTIAL,
        "district": _KAIFAQU,
        "street": "青阳街道",
        "community": "富华社区",
        "responsible_unit": "富华社区居委会",
    },
    {
        "id": "demo-qingfeng",
        "name": "庆枫花苑",
        "site_type": _RESIDENTIAL,
        "district": _KAIFAQU,
        "street": "青阳街道",
        "community": "富华社区",
        "responsible_unit": "富华社区居委会",
    },
    {
        "id": "demo-chaoyang-east-road",
        "name": "朝阳东路",
        "site_type": _BACKSTREET,
        "district": _KAIFAQU,
        "street": "青阳街道",
        "community": "富华社区",
        "responsible_unit": "富华社区居委会",
    },
    {
        "id": "demo-qingyang-road",
        "name": "青阳路",
        "site_type": _BACKSTREET,
        "district": _KAIFAQU,
        "street": "青阳街道",
        "community": "富华社区",
        "responsible_unit": "富华社区居委会",
    },
    # seed 002 (篇五): a 社区 that built a 400 m² 文化活动小广场 the same year it paved its roads. Its 社区 is
    # unnamed: the demo puts the square in 富华社区.
    {
        "id": "demo-culture-square",
        "name": "社区文化活动小广场",
        "site_type": _PLAZA,
        "district": _KAIFAQU,
        "street": "青阳街道",
        "community": "富华社区",
        "responsible_unit": "富华社区居委会",
    },
    # seed 002 (篇六): a 社区 beside 光明港 with no 物业 in its compounds: 东升新村 (20 simple 1980s buildings,
    # broken roads, no street lights, blocked drains), 瀛福小区 (800+ households), 红星新村; its streets 竹排巷,
    # 瀛福路 (marked parking arranged with 城管) and 瀛东路, whose drains the 社区 had cleared. The document names
    # neither the 社区 nor its 街道: 光明港社区 is the demo's name, after the river it names, in 青阳街道.
    {
        "id": "demo-dongsheng",
        "name": "东升新村",
        "site_type": _RESIDENTIAL,
        "district": _KAIFAQU,
        "street": "青阳街道",
        "community": "光明港社区",
        "address": "无物业管理小区",
        "responsible_unit": "光明港社区居委会",
    },
    {
        "id": "demo-yingfu",
        "name": "瀛福小区",
        "site_type": _RESIDENTIAL,
        "district": _KAIFAQU,
        "street": "青阳街道",
        "community": "光明港社区",
        "address": "无物业管理小区",
        "responsible_unit": "光明港社区居委会",
    },
    {
        "id": "demo-hongxing",
        "name": "红星新村",
        "site_type": _RESIDENTIAL,
        "district": _KAIFAQU,
        "street": "青阳街道",
        "community": "光明港社区",
        "address": "无物业管理小区",
        "responsible_unit": "光明港社区居委会",
    },
    {
        "id": "demo-zhupaixiang",
        "name": "竹排巷",
        "site_type": _BACKSTREET,
        "district": _KAIFAQU,
        "street": "青阳街道",
        "community": "光明港社区",
        "responsible_unit": "光明港社区居委会",
    },
    {
        "id": "demo-yingfu-road",
        "name": "瀛福路",
        "site_type": _BACKSTREET,
        "district": _KAIFAQU,
        "street": "青阳街道",
        "community": "光明港社区",
        "address": "划线停车（社区协调城管）",
        "responsible_unit": "城管部门",
    },
    {
        "id": "demo-yingdong-road",
        "name": "瀛东路",
        "site_type": _BACKSTREET,
        "district": _KAIFAQU,
        "street": "青阳街道",
        "community": "光明港社区",
        "responsible_unit": "光明港社区居委会",
    },
]


def demo_sites() -> list[Site]:
    """Fresh Site records for the demo data, each marked `demo` (what is recorded there never goes to HQ); each
    call returns new objects, so callers may change them freely."""
    return [Site(**fields, demo=True) for fields in _SITES]


def is_demo_site(site: Site) -> bool:
    """The site's own marker, never a guess from its id: a site HQ publishes is HQ's, whatever its id."""
    return site.demo
