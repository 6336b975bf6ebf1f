"""The roles a user has at HQ. Its own tiny module (no imports) so the `inspector` command can offer the choices
without loading the wire models; sync/protocol.py re-exports it."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    INSPECTOR = "inspector"  # pushes its own records; sees its assigned sites
    REVIEWER = "reviewer"  # sees everything; acts on problems (交办, 销号, 作废)
    ADMIN = "admin"  # reviewer rights plus users and reference data
