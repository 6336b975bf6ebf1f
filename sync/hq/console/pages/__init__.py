"""One router per area of the console's menu; app.py includes them in this order."""

from __future__ import annotations

from fastapi import APIRouter

from sync.hq.console.pages import (
    audit,
    auth,
    bulletin,
    checklists,
    inspections,
    ledger,
    overview,
    photos,
    problems,
    ranking,
    rounds,
    sites,
    users,
)

ROUTERS: list[APIRouter] = [
    auth.router,
    overview.router,
    inspections.router,
    ledger.router,
    problems.router,
    photos.router,
    ranking.router,
    bulletin.router,
    sites.router,
    checklists.router,
    rounds.router,
    users.router,
    audit.router,
]
