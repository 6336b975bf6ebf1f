"""`inspector hq site import`: HQ's 点位 registry, as kept in Excel, checked row by row against what HQ holds, shown
as a plan (added / changed / unchanged / not in the file), and applied through `reference.upsert_sites` (so devices
pull the changes and the audit log records them) only when asked and only when no row is bad.

A site's id is stable across imports: the 编号 column when the file has one; else the id of the HQ site that already
has that name; else `site-<uuid5 of the name>`, the same on every run and every machine. Sites HQ holds that the
file does not list are named in the plan but kept: a site cannot be withdrawn from the devices yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from uuid import UUID, uuid5

from pydantic import ValidationError
from sqlalchemy import select

from inspector.core.records import Site
from sync.hq.db import Database
from sync.hq.db.models import checklists, sites
from sync.hq.services import audit
from sync.hq.services.reference import upsert_sites
from sync.hq.services.sheets import Column, Issue, Row, Table, read_table
from sync.protocol import SitesUpload, WireSite

SITE_NAMESPACE = UUID("6f3a1c52-2b7e-5d0a-9c41-8e2f0b7d6a13")  # fixed forever: the ids it derives are stored
ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
TEXT_MAX = 200

COLUMNS = (
    Column("name", ("名称", "name")),
    Column("site_type", ("类型", "type")),
    Column("district", ("区", "district")),
    Column("street", ("街道", "street")),
    Column("community", ("社区", "community")),
    Column("grid", ("网格", "grid")),
    Column("responsible_unit", ("责任单位", "unit")),
    Column("checklist_id", ("检查表", "checklist")),
    Column("id", ("编号", "id"), required=False),
    Column("address", ("地址", "address"), required=False),
)
REQUIRED_TEXT = ("name", "site_type")
HEADINGS = {column.key: column.names for column in COLUMNS}  # a field's heading: (Chinese, English)


def site_id_for(name: str) -> str:
    """The id a site without a 编号 gets: the same for the same name, everywhere, always."""
    return f"site-{uuid5(SITE_NAMESPACE, name)}"


@dataclass(frozen=True)
class PublishedChecklist:
    id: str
    version: str
    site_type: str
    title: str
    items: int
    published_at: datetime


def published_checklists(db: Database) -> list[PublishedChecklist]:
    """Every checklist version HQ has published, by id then version."""
    from checklists.schema import Checklist

    with db.read() as conn:
        rows = conn.execute(
            select(checklists.c.id, checklists.c.version, checklists.c.published_at, checklists.c.data).order_by(
                checklists.c.id, checklists.c.version
            )
        ).all()
    found = []
    for r in rows:
        document = Checklist.model_validate_json(r.data)
        found.append(
            PublishedChecklist(r.id, r.version, document.site_type, document.title, len(document.items), r.published_at)
        )
    return found


def hq_sites(db: Database) -> list[Site]:
    with db.read() as conn:
        rows = conn.execute(select(sites.c.data, sites.c.change_id).order_by(sites.c.id)).all()
    return [Site.model_validate_json(r.data).model_copy(update={"server_version": r.change_id}) for r in rows]


@dataclass
class SitePlan:
    file: str
    issues: list[Issue] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)  # every site of the file, as it would be stored
    added: list[Site] = field(default_factory=list)
    changed: list[tuple[Site, list[str]]] = field(default_factory=list)  # with the fields that change
    unchanged: list[Site] = field(default_factory=list)
    missing: list[Site] = field(default_factory=list)  # at HQ, not in the file: kept

    @property
    def ok(self) -> bool:
        return not self.issues


def plan_site_import(db: Database, path: Path, *, shown: str | None = None) -> SitePlan:
    table, issues = read_table(path, COLUMNS, shown=shown)
    plan = SitePlan(file=shown or path.name, issues=list(issues))
    if table is None:
        return plan
    current = hq_sites(db)
    by_id = {s.id: s for s in current}
    id_by_name: dict[str, str] = {}
    for s in current:
        id_by_name.setdefault(s.name, s.id)
    published = published_checklists(db)
    checklist_types: dict[str, set[str]] = {}
    for c in published:
        checklist_types.setdefault(c.id, set()).add(c.site_type)
    site_types = {c.site_type for c in published}
    names: dict[str, int] = {}
    ids: dict[str, int] = {}
    for row in table.rows:
        site = _site(table, row, plan.issues, names, ids, id_by_name, checklist_types, site_types)
        if site is not None:
            plan.sites.append(site)
    if plan.issues:
        return plan
    listed = set()
    for site in plan.sites:
        listed.add(site.id)
        old = by_id.get(site.id)
        if old is None:
            plan.added.append(site)
            continue
        differs = [
            name for name in Site.model_fields if name != "server_version" and getattr(old, name) != getattr(site, name)
        ]
        (plan.changed.append((site, differs)) if differs else plan.unchanged.append(site))
    plan.missing = [s for s in current if s.id not in listed]
    return plan


def _site(
    table: Table,
    row: Row,
    issues: list[Issue],
    names: dict[str, int],
    ids: dict[str, int],
    id_by_name: dict[str, str],
    checklist_types: dict[str, set[str]],
    site_types: set[str],
) -> Site | None:
    v = row.values
    before = len(issues)
    for key in REQUIRED_TEXT:
        if not v[key]:
            issues.append(table.issue(row, key, "empty"))
    for key, text in v.items():
        if len(text) > TEXT_MAX:
            issues.append(table.issue(row, key, "too_long", max=TEXT_MAX))
    name = v["name"]
    repeated = name in names
    if name:
        if repeated:
            issues.append(table.issue(row, "name", "duplicate_name", name=name, first=names[name]))
        else:
            names[name] = row.number
    given = v.get("id", "")
    if given and not ID_PATTERN.match(given):
        issues.append(table.issue(row, "id", "bad_id", id=given[:70]))
    site_id = given or id_by_name.get(name) or site_id_for(name)
    if site_id in ids and (given or not repeated):  # a repeated name repeats its derived id: said once
        issues.append(table.issue(row, "id" if given else "name", "duplicate_id", id=site_id, first=ids[site_id]))
    else:
        ids[site_id] = row.number
    checklist = v["checklist_id"]
    if checklist and checklist not in checklist_types:
        published = ", ".join(sorted(checklist_types)) or "-"
        issues.append(table.issue(row, "checklist_id", "unknown_checklist", checklist=checklist, published=published))
    elif checklist and v["site_type"] and v["site_type"] not in checklist_types[checklist]:
        types = "、".join(sorted(checklist_types[checklist]))
        values = {"checklist": checklist, "types": types, "type": v["site_type"]}
        issues.append(table.issue(row, "checklist_id", "checklist_type_mismatch", **values))
    if not checklist and v["site_type"] and v["site_type"] not in site_types:
        types = "、".join(sorted(site_types)) or "-"
        issues.append(table.issue(row, "site_type", "no_checklist_for_type", type=v["site_type"], types=types))
    if len(issues) > before:
        return None
    try:
        return WireSite(  # the upload's own type: text HQ cannot store is refused here, by row
            id=site_id,
            name=name,
            site_type=v["site_type"],
            district=v["district"],
            street=v["street"],
            community=v["community"],
            grid=v["grid"],
            address=v.get("address", ""),
            responsible_unit=v["responsible_unit"],
            checklist_id=checklist or None,
        )
    except ValidationError as exc:  # the checks above should leave nothing for the model to refuse
        issues.append(table.issue(row, "name", "invalid_row", error=str(exc.errors()[0].get("msg", ""))))
        return None


def apply_site_plan(
    db: Database, plan: SitePlan, *, file: str, now: datetime, actor: str = audit.HQ_ADMIN, ip: str | None = None
) -> tuple[int, int]:
    """Store the plan's sites (only a plan without issues); (changed, unchanged) as `upsert_sites` counts them."""
    assert plan.ok, "a plan with issues is never applied"
    return upsert_sites(
        db,
        SitesUpload(sites=plan.sites),
        actor=actor,
        ip=ip,
        device_id=None,
        now=now,
        action="site_import",
        file=file,
        added=[s.id for s in plan.added],
        updated=[s.id for s, _ in plan.changed],
    )
