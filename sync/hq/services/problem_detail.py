"""One problem at HQ as a reviewer decides on it: the record with its events in HQ's order, its fold (the same
`fold` the devices run), its read-model row and its site."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from inspector.core.problems import ProblemView, fold
from inspector.core.records import Problem, Site
from inspector.reports.facts import ProblemFact
from sync.hq.db import Database
from sync.hq.db.models import docs, rm_problems, sites
from sync.hq.services.errors import HqError, Kind
from sync.hq.services.pull import problems_json
from sync.hq.services.readmodel import REPORT_TZ, problem_from_row

__all__ = ["ProblemDetail", "problem_detail"]


@dataclass(frozen=True)
class ProblemDetail:
    problem: Problem
    view: ProblemView
    fact: ProblemFact | None
    site: Site | None


def problem_detail(db: Database, problem_id: str) -> ProblemDetail:
    """NOT_FOUND unless HQ holds a problem with this id."""
    with db.read() as conn:
        rows = list(
            conn.execute(
                select(docs.c.id, docs.c.current_rev, docs.c.change_id).where(
                    docs.c.id == problem_id, docs.c.kind == "problem"
                )
            )
        )
        if not rows:
            raise HqError(Kind.NOT_FOUND, "no_problem", key="console_no_record", id=problem_id[:64])
        problem = Problem.model_validate_json(problems_json(conn, rows)[problem_id])
        fact_row = conn.execute(select(rm_problems).where(rm_problems.c.id == problem_id)).first()
        site_row = conn.execute(select(sites.c.data).where(sites.c.id == problem.site_id)).first()
    return ProblemDetail(
        problem=problem,
        view=fold(problem, REPORT_TZ),
        fact=problem_from_row(fact_row) if fact_row is not None else None,
        site=Site.model_validate_json(site_row.data) if site_row is not None else None,
    )
