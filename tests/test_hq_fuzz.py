"""A bounded schemathesis run against the real server over loopback, on SQLite and on PostgreSQL: every operation
of `/openapi.json`, with an inspector token (an admin one on admin routes), must answer no 5xx and nothing its own
document does not describe. Bounded (a few examples per operation, no stateful phase) to stay about a minute."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from sync.credentials import Credentials
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, Role
from tests.sync_support import BACKENDS, HQServer, admin, backend_url, enroll, postgres_url, start_server

__all__ = ["admin", "postgres_url"]


@pytest.fixture(scope="module", params=BACKENDS)
def hq(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HQServer]:
    folder = tmp_path_factory.mktemp("hq")
    server = start_server(backend_url(request, request.param, folder), folder / "files")
    yield server
    server.close()


@pytest.fixture(scope="module")
def inspector(hq: HQServer) -> Credentials:
    return enroll(hq, Role.INSPECTOR)


def fuzz(operation: schemathesis.APIOperation, base_url: str, sent: dict[str, str]) -> None:
    """A few generated cases of one operation: no 5xx, nothing the document does not describe."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=15, deadline=None, phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck)
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(
            base_url=base_url, headers=sent, checks=[not_a_server_error, response_schema_conformance]
        )

    run()


def test_no_server_error_and_no_schema_violation(hq: HQServer, inspector: Credentials, admin: Credentials) -> None:
    api = schemathesis.openapi.from_url(f"{hq.url}/openapi.json")
    ran = 0
    for result in api.get_all_operations():
        operation = result.ok()
        who = admin if operation.path.startswith("/v1/admin/") else inspector
        sent = {PROTOCOL_HEADER: str(PROTOCOL_VERSION), "Authorization": f"Bearer {who.token}"}

        fuzz(operation, hq.url, sent)
        ran += 1
    assert ran >= 9
