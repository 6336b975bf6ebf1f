"""The HTTP status of each kind of refusal, for HQ's two web front ends (the device API answers JSON with it, the
console a page). Services raise `HqError` with a kind and know nothing of HTTP; this table is where a kind becomes
a status, once, so a refusal reads the same in both."""

from __future__ import annotations

from sync.hq.services.errors import Kind

STATUS: dict[Kind, int] = {
    Kind.INVALID: 422,
    Kind.UNAUTHORIZED: 401,
    Kind.FORBIDDEN: 403,
    Kind.NOT_FOUND: 404,
    Kind.CONFLICT: 409,
    Kind.TOO_LARGE: 413,
    Kind.UNSUPPORTED_TYPE: 415,
    Kind.UNAVAILABLE: 503,
    Kind.TOO_MANY: 429,
}
