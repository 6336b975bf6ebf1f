"""`inspector hq assign import` and `assign list`: who walks which site in which 批次, from a spreadsheet, and how far
each inspector has got.

The file is the whole list for the batches it names: an assignment HQ holds in one of those batches that the file
no longer lists is withdrawn (made inactive) on apply; other batches are left alone. A site is named by its id or,
failing that, by its name (an ambiguous name is refused with the ids to choose from). Applying goes through
`reference.set_assignments`, so devices pull the changes and the audit log records them.

Progress: an assignment is done once the inspector has submitted an inspection of that site in that batch (an
inspection that records no batch, from a device that did not know it, counts for any batch of the site).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from sync.hq.db import Database
from sync.hq.db.models import assignments, docs, rm_inspections, users
from sync.hq.services import audit
from sync.hq.services.reference import set_assignments
from sync.hq.services.rounds import list_rounds
from sync.hq.services.sheets import Column, Issue, read_table
from sync.hq.services.site_import import hq_sites
from sync.protocol import AssignmentIn, AssignmentsUpload

COLUMNS = (
    Column("user", ("检查员", "督查员", "inspector")),
    Column("site", ("点位", "site")),
    Column("batch", ("批次", "batch")),
)
TEXT_MAX = 200


@dataclass(frozen=True)
class Planned:
    user: str
    site_id: str
    site_name: str
    batch: str


@dataclass
class AssignPlan:
    file: str
    issues: list[Issue] = field(default_factory=list)
    rows: list[Planned] = field(default_factory=list)
    added: list[Planned] = field(default_factory=list)
    unchanged: list[Planned] = field(default_factory=list)
    withdrawn: list[Planned] = field(default_factory=list)  # active at HQ in a batch of the file, not in the file

    @property
    def ok(self) -> bool:
        return not self.issues


def plan_assign_import(db: Database, path: Path, *, shown: str | None = None) -> AssignPlan:
    table, issues = read_table(path, COLUMNS, shown=shown)
    plan = AssignPlan(file=shown or path.name, issues=list(issues))
    if table is None:
        return plan
    site_list = hq_sites(db)
    site_names = {s.id: s.name for s in site_list}
    ids_by_name: dict[str, list[str]] = {}
    for s in site_list:
        ids_by_name.setdefault(s.name, []).append(s.id)
    with db.read() as conn:
        people = {r.name: r for r in conn.execute(select(users.c.name, users.c.revoked_at))}
    seen: dict[tuple[str, str, str], int] = {}
    for row in table.rows:
        v = row.values
        before = len(plan.issues)
        for key in ("user", "site", "batch"):
            if not v[key]:
                plan.issues.append(table.issue(row, key, "empty"))
            elif len(v[key]) > TEXT_MAX:
                plan.issues.append(table.issue(row, key, "too_long", max=TEXT_MAX))
        person = people.get(v["user"])
        if v["user"] and person is None:
            plan.issues.append(table.issue(row, "user", "unknown_inspector", name=v["user"]))
        elif person is not None and person.revoked_at is not None:
            plan.issues.append(table.issue(row, "user", "revoked_inspector", name=v["user"]))
        site_id = v["site"] if v["site"] in site_names else None
        if v["site"] and site_id is None:
            matches = ids_by_name.get(v["site"], [])
            if len(matches) == 1:
                site_id = matches[0]
            elif matches:
                plan.issues.append(table.issue(row, "site", "ambiguous_site", site=v["site"], ids=", ".join(matches)))
            else:
                plan.issues.append(table.issue(row, "site", "unknown_site", site=v["site"]))
        if len(plan.issues) > before or site_id is None:
            continue
        triple = (v["user"], site_id, v["batch"])
        if triple in seen:
            plan.issues.append(table.issue(row, "site", "duplicate_assignment", first=seen[triple]))
            continue
        seen[triple] = row.number
        plan.rows.append(Planned(v["user"], site_id, site_names[site_id], v["batch"]))
    if plan.issues:
        return plan
    batches = {p.batch for p in plan.rows}
    current = {(a.user, a.site_id, a.batch) for a in active_assignments(db) if a.batch in batches}
    for p in plan.rows:
        (plan.unchanged if (p.user, p.site_id, p.batch) in current else plan.added).append(p)
    wanted = set(seen)
    plan.withdrawn = [
        Planned(u, s, site_names.get(s, s), b) for (u, s, b) in sorted(current) if (u, s, b) not in wanted
    ]
    return plan


def apply_assign_plan(
    db: Database, plan: AssignPlan, *, file: str, now: datetime, actor: str = audit.HQ_ADMIN, ip: str | None = None
) -> tuple[int, int]:
    assert plan.ok, "a plan with issues is never applied"
    upload = AssignmentsUpload(
        assignments=[AssignmentIn(user=p.user, site_id=p.site_id, batch=p.batch) for p in plan.rows]
        + [AssignmentIn(user=p.user, site_id=p.site_id, batch=p.batch, active=False) for p in plan.withdrawn]
    )
    return set_assignments(
        db,
        upload,
        actor=actor,
        ip=ip,
        device_id=None,
        now=now,
        action="assign_import",
        file=file,
        added=len(plan.added),
        withdrawn=len(plan.withdrawn),
    )


@dataclass(frozen=True)
class Active:
    user: str
    site_id: str
    batch: str


def active_assignments(db: Database, batch: str | None = None) -> list[Active]:
    query = (
        select(users.c.name, assignments.c.site_id, assignments.c.batch)
        .join(users, users.c.id == assignments.c.user_id)
        .where(assignments.c.active.is_(True))
    )
    if batch is not None:
        query = query.where(assignments.c.batch == batch)
    with db.read() as conn:
        return [Active(r.name, r.site_id, r.batch) for r in conn.execute(query.order_by(users.c.name))]


@dataclass
class Progress:
    user: str
    assigned: int = 0
    done: int = 0
    due_sites: list[str] = field(default_factory=list)  # names of the sites still to walk in an open round
    missed_sites: list[str] = field(default_factory=list)  # not walked by the last day of their round

    @property
    def due(self) -> int:
        return len(self.due_sites)

    @property
    def missed(self) -> int:
        return len(self.missed_sites)


def progress(db: Database, batch: str | None = None, *, today: date | None = None) -> list[Progress]:
    """Per inspector with active assignments (in `batch`, or in every batch): assigned, done, due, missed.

    Done is read from the read model (a submitted inspection of the site by its owner in the batch); a site not
    done by the last day of its round (`inspector hq round add`) is missed, not due."""
    active = active_assignments(db, batch)
    names = {s.id: s.name for s in hq_sites(db)}
    closed_on = {r.name: r.date_to for r in list_rounds(db)}
    from sync.hq.services.bulletin import today_at_hq  # here: that module loads the bulletin's code

    today = today or today_at_hq()
    with db.read() as conn:
        rows = conn.execute(
            select(users.c.name, rm_inspections.c.site_id, rm_inspections.c.batch)
            .join(docs, docs.c.id == rm_inspections.c.id)
            .join(users, users.c.id == docs.c.owner_user_id)
            .where(rm_inspections.c.submitted.is_(True))
        ).all()
    walked = {(r.name, r.site_id, r.batch) for r in rows}
    by_user: dict[str, Progress] = {}
    for a in active:
        p = by_user.setdefault(a.user, Progress(a.user))
        p.assigned += 1
        if (a.user, a.site_id, a.batch) in walked or (a.user, a.site_id, "") in walked:
            p.done += 1
        elif a.batch in closed_on and today > closed_on[a.batch]:
            p.missed_sites.append(names.get(a.site_id, a.site_id))
        else:
            p.due_sites.append(names.get(a.site_id, a.site_id))
    return sorted(by_user.values(), key=lambda p: p.user)
