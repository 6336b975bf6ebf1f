"""One router per area of the console's menu; app.py includes them in this order."""

from __future__ import annotations

from fastapi import APIRouter

from sync.hq.console.pages import auth, overview

ROUTERS: list[APIRouter] = [auth.router, overview.router]
