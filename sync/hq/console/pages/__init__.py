"""One router per area of the console's menu; app.py includes them in this order."""

from __future__ import annotations

from fastapi import APIRouter

from sync.hq.console.pages import auth, inspections, ledger, overview, photos, problems

ROUTERS: list[APIRouter] = [
    auth.router,
    overview.router,
    inspections.router,
    ledger.router,
    problems.router,
    photos.router,
]
