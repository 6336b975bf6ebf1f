"""Support for the sync tests: a real HQ server (uvicorn, in a subprocess) on a free loopback port, on SQLite or on
a fresh PostgreSQL database per test session; users, devices and records to push.

The listening socket is made here and inherited by the server process (`--fd`), so there is no race for a port
between xdist workers, and a server killed with SIGKILL can be restarted on the very same address."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from inspector.core.demo import demo_sites
from inspector.core.ids import new_id, utcnow
from inspector.core.records import (
    EventKind,
    Inspection,
    InspectionStatus,
    ItemResult,
    Problem,
    ProblemEvent,
    Severity,
    Site,
    Verdict,
)
from sync.credentials import Credentials
from sync.hq.db import Database
from sync.hq.server import listening_socket
from sync.hq.services.users import add_user
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, SERVER_FIELDS, Role

ROOT = Path(__file__).resolve().parent.parent
PG_HOST = os.environ.get("INSPECTOR_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("INSPECTOR_TEST_PG_PORT", "5432"))
PG_ADMIN_URL = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/test"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# --- the server -------------------------------------------------------------------------------------------------


class HQServer:
    """`python -m sync.hq` (or the fault launcher) in a subprocess, serving on a socket this process keeps."""

    def __init__(self, db_url: str, files: Path) -> None:
        self.db_url = db_url
        self.files = files
        self.sock = listening_socket()
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = files.parent / f"hq-{self.port}.log"

    def start(self, *, fault: str | None = None) -> HQServer:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        # With a fault, the production app behind a push-stage hook that stops at that stage (tests/hq_fault_server.py).
        launcher = [str(ROOT / "tests" / "hq_fault_server.py"), "--fault", fault] if fault else ["-m", "sync.hq"]
        command = [sys.executable, *launcher, "--db", self.db_url, "--files", str(self.files)]
        command += ["--fd", str(self.sock.fileno())]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                command, cwd=ROOT, env=env, pass_fds=(self.sock.fileno(),), stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"HQ server exited with {self.proc.returncode}:\n{self.log_text()}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"HQ server did not start in {timeout} s:\n{self.log_text()}")

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no cleanup, no flush, exactly like a power cut of the process."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def close(self) -> None:
        self.stop()
        self.sock.close()


def start_server(db_url: str, files: Path, **kwargs: Any) -> HQServer:
    return HQServer(db_url, files, **kwargs).start()


# --- databases --------------------------------------------------------------------------------------------------


def _postgres_reason() -> str | None:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=2):
            return None
    except OSError as exc:
        return f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT} ({exc})"


def _admin_execute(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"host={PG_HOST} port={PG_PORT} user=postgres dbname=test", autocommit=True) as conn:
        conn.execute(statement)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (one per xdist worker), dropped afterwards."""
    reason = _postgres_reason()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI needs PostgreSQL for the sync tests: {reason}")
        pytest.skip(reason)
    name = f"inspector_{uuid.uuid4().hex[:12]}"
    _admin_execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        _admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def backend_url(request: pytest.FixtureRequest, backend: str, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{(folder / 'hq.sqlite3').as_posix()}"
    url: str = request.getfixturevalue("postgres_url")
    return url


# --- users, devices, admin calls --------------------------------------------------------------------------------


def new_code(db_url: str, role: Role, name: str | None = None) -> tuple[str, str]:
    """(user name, enrollment code), made directly in the database like `inspector hq user add` does."""
    db = Database(db_url)
    try:
        db.migrate()
        issued = add_user(db, name or unique(role.value), role, now=utcnow())
    finally:
        db.dispose()
    return issued.user, issued.code


def enroll(server: HQServer, role: Role = Role.INSPECTOR, name: str | None = None) -> Credentials:
    user, code = new_code(server.db_url, role, name)
    response = httpx.post(
        f"{server.url}/v1/devices/enroll",
        json={"code": code, "device_name": "test laptop"},
        headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION)},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return Credentials(url=server.url, device_id=body["device_id"], token=body["token"], user=user, role=role.value)


def headers(credentials: Credentials | None = None, **extra: str) -> dict[str, str]:
    out = {PROTOCOL_HEADER: str(PROTOCOL_VERSION), "Accept-Language": "en", **extra}
    if credentials is not None:
        out["Authorization"] = f"Bearer {credentials.token}"
    return out


def admin_put(server: HQServer, admin: Credentials, what: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.put(f"{server.url}/v1/admin/{what}", json=body, headers=headers(admin))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def assign(server: HQServer, admin: Credentials, user: str, *site_ids: str) -> None:
    admin_put(server, admin, "assignments", {"assignments": [{"user": user, "site_id": s} for s in site_ids]})


# --- records ----------------------------------------------------------------------------------------------------


def make_inspection(site_id: str, items: int = 5, *, fail_every: int = 0, inspector: str = "") -> Inspection:
    """A submitted inspection with `items` results; every `fail_every`-th one a 不符合 with a note."""
    results: dict[str, ItemResult] = {}
    for n in range(items):
        code = f"LY-{n // 10 + 1}-{n + 1}"
        failed = bool(fail_every) and n % fail_every == 0
        results[code] = ItemResult(
            code=code,
            verdict=Verdict.FAIL if failed else Verdict.PASS,
            severity=Severity.MINOR if failed else None,
            note="3 号楼 2 单元楼道堆放纸箱、旧家具，影响通行" if failed else "",
            answered_at=datetime(2026, 5, 1, 9, 30, tzinfo=UTC),
        )
    return Inspection(
        site_id=site_id,
        checklist_id="residential",
        checklist_version="2026.1",
        inspector=inspector,
        status=InspectionStatus.SUBMITTED,
        submitted_at=utcnow(),
        results=results,
    )


def make_problem(inspection: Inspection, code: str, *, photos: list[str] | None = None) -> Problem:
    problem = Problem(
        inspection_id=inspection.id,
        site_id=inspection.site_id,
        item_code=code,
        item_text="楼道内无乱堆乱放",
        description="3 号楼 2 单元楼道堆放纸箱",
        photos=photos or [],
    )
    problem.events.append(ProblemEvent(problem_id=problem.id, kind=EventKind.REGISTER, actor="tester"))
    return problem


def item_json(kind: str, record: Inspection | Problem | ProblemEvent) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": record.id,
        "rev": record.sync.rev,
        "base_rev": record.sync.base_rev,
        "data": json.loads(record.model_dump_json(exclude=set(SERVER_FIELDS[kind]))),
    }


def push_body(*items: dict[str, Any]) -> dict[str, Any]:
    return {"batch_id": new_id(), "items": list(items)}


def push(server: HQServer, credentials: Credentials, *items: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        f"{server.url}/v1/sync/push", json=push_body(*items), headers=headers(credentials), timeout=60
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def pull_all(server: HQServer, credentials: Credentials, cursor: str | None = None) -> dict[str, Any]:
    """Every page after `cursor`, merged: the lists concatenated, the last cursor."""
    merged: dict[str, Any] = {"sites": [], "checklists": [], "assignments": [], "problems": []}
    while True:
        params = {"cursor": cursor} if cursor else {}
        response = httpx.get(f"{server.url}/v1/sync/pull", params=params, headers=headers(credentials), timeout=60)
        assert response.status_code == 200, response.text
        page = response.json()
        for key in ("sites", "checklists", "assignments", "problems"):
            merged[key].extend(page[key])
        cursor = page["cursor"]
        if not page["has_more"]:
            merged["cursor"] = cursor
            return merged


def server_counts(db_url: str, device_id: str) -> dict[str, Any]:
    """What HQ holds from one device: ids per kind, and how many rows (to see duplicates)."""
    from sqlalchemy import func, select

    from sync.hq.db.models import docs, events

    db = Database(db_url)
    try:
        with db.read() as conn:
            doc_rows = conn.execute(select(docs.c.id, docs.c.kind).where(docs.c.owner_device_id == device_id)).all()
            event_rows = conn.execute(select(events.c.id).where(events.c.device_id == device_id)).all()
            orders = [r[0] for r in conn.execute(select(events.c.server_order).where(events.c.device_id == device_id))]
            total_docs = conn.execute(select(func.count()).select_from(docs)).scalar_one()
    finally:
        db.dispose()
    return {
        "inspections": sorted(r.id for r in doc_rows if r.kind == "inspection"),
        "problems": sorted(r.id for r in doc_rows if r.kind == "problem"),
        "events": sorted(r.id for r in event_rows),
        "rows": len(doc_rows) + len(event_rows),
        "event_orders": sorted(orders),
        "total_docs": total_docs,
    }


# --- a device ---------------------------------------------------------------------------------------------------


def submit_into(
    store: Any, site_id: str, items: int = 6, *, fail_every: int = 3, photo: str | None = None
) -> tuple[Inspection, list[Problem]]:
    """Submit an inspection with its problems (one per 不符合, each with its 登记 event) into a device store."""
    inspection = make_inspection(site_id, items, fail_every=fail_every)
    inspection.status = InspectionStatus.DRAFT
    problems = []
    for code, result in inspection.results.items():
        if result.verdict is Verdict.FAIL:
            if photo:
                result.photos = [photo]
            problems.append(make_problem(inspection, code, photos=[photo] if photo else []))
    store.submit(inspection, problems)
    return inspection, problems


def photo_file(folder: Path, name: str = "photo.png") -> Path:
    """A small, unique PNG file (a valid PNG header, then unique bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(PNG + uuid.uuid4().bytes)
    return path


def held_by_device(db_url: str, device_id: str) -> dict[str, Any]:
    return server_counts(db_url, device_id)


def expected_ids(store: Any) -> dict[str, list[str]]:
    """What a device has submitted, by kind: what HQ must hold from it, exactly once."""
    return {
        "inspections": sorted(i.id for i in store.inspections() if i.is_submitted),
        "problems": sorted(p.id for p in store.problems()),
        "events": sorted(e.id for p in store.problems() for e in p.events),
    }


# --- a network that fails ---------------------------------------------------------------------------------------


class CuttingProxy:
    """A TCP proxy in front of HQ that can drop a push's answer: the request reaches HQ and HQ commits it (it has
    started answering), then the device's connection is closed before a byte of that answer reaches it."""

    def __init__(self, target_port: int) -> None:
        import threading

        self.target_port = target_port
        self.cut_pushes = 0
        self.cut_done = 0
        self._lock = threading.Lock()
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self.port = self._server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._closed = True
        self._server.close()

    def _accept(self) -> None:
        import threading

        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        import threading

        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        try:
            first = client.recv(65536)
            cut = False
            if first.startswith(b"POST /v1/sync/push"):
                with self._lock:
                    if self.cut_pushes > 0:
                        self.cut_pushes -= 1
                        cut = True
            upstream.sendall(first)
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            if cut:
                upstream.recv(1)  # HQ has begun its answer: the push is committed
                with self._lock:
                    self.cut_done += 1
                return  # close both ends without passing the answer on
            self._pump(upstream, client)
        except OSError:
            pass
        finally:
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass


# --- fixtures shared by the server and client suites (a test module imports them; its own `hq` feeds them) -------


@pytest.fixture(scope="module")
def admin(hq: HQServer) -> Credentials:
    return enroll(hq, Role.ADMIN)


@pytest.fixture
def site(hq: HQServer, admin: Credentials) -> str:
    """A 楼院 published by HQ, fresh for each test."""
    site_id = unique("site")
    admin_put(hq, admin, "sites", {"sites": [{"id": site_id, "name": "幸福里小区", "site_type": "楼院"}]})
    return site_id


def field_sites() -> list[Site]:
    """The demo places as an HQ would publish them, without the demo marker: a test that syncs what it walks needs
    sites HQ accepts (a demo site's inspections are refused, tests/test_demo_refused.py)."""
    return [site.model_copy(update={"demo": False}) for site in demo_sites()]
