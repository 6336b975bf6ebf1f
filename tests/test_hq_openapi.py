"""`/openapi.json` documents every status each route can answer, the sha256 pattern, and the 405's `Allow` header
(which a 405 really carries, listing every method of the path)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.sync_support import HQServer, headers, start_server

REFUSALS = {"401", "403", "404", "405", "413", "422", "426", "503"}


@pytest.fixture(scope="module")
def hq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HQServer]:
    folder: Path = tmp_path_factory.mktemp("hq")
    server = start_server(f"sqlite:///{(folder / 'hq.sqlite3').as_posix()}", folder / "files")
    yield server
    server.close()


@pytest.fixture(scope="module")
def document(hq: HQServer) -> dict[str, Any]:
    answer = httpx.get(f"{hq.url}/openapi.json")
    assert answer.status_code == 200
    found: dict[str, Any] = answer.json()
    return found


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_guarded_operation_documents_every_refusal(document: dict[str, Any]) -> None:
    seen = 0
    for path, method, operation in operations(document):
        codes = set(operation["responses"])
        if path == "/v1/health":
            assert {"404", "405", "503"} <= codes
            continue
        seen += 1
        assert codes >= REFUSALS, (method, path, REFUSALS - codes)
        if path.startswith("/v1/attachments/") and method == "put":
            assert "415" in codes
        for code in REFUSALS:
            assert operation["responses"][code]["description"], (method, path, code)
    assert seen >= 8


def test_head_documents_401_without_a_body(document: dict[str, Any]) -> None:
    head = document["paths"]["/v1/attachments/{sha256}"]["head"]
    assert "401" in head["responses"] and "content" not in head["responses"]["401"]


def test_error_answers_have_the_error_schema_and_405_an_allow_header(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        if method == "head":
            continue
        for code in REFUSALS & set(operation["responses"]):
            content = operation["responses"][code]["content"]["application/json"]["schema"]
            assert content == {"$ref": "#/components/schemas/ErrorResponse"}, (method, path, code)
        assert "Allow" in operation["responses"]["405"]["headers"], (method, path)


def test_sha256_parameters_have_a_pattern(document: dict[str, Any]) -> None:
    found = 0
    for _path, _method, operation in operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["name"] == "sha256":
                assert parameter["schema"]["pattern"] == "^[0-9a-f]{64}$"
                found += 1
    assert found == 3


def test_a_405_carries_allow_with_every_method_of_the_path(hq: HQServer) -> None:
    answer = httpx.post(f"{hq.url}/v1/attachments/{'a' * 64}", headers=headers())
    assert answer.status_code == 405
    assert set(answer.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "PUT"}
    assert answer.json()["error"] == "method_not_allowed"
    assert httpx.delete(f"{hq.url}/v1/health").headers["allow"] == "GET"
