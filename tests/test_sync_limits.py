"""Answers that would hang or swell a laptop: a server that trickles, one that sends half a gigabyte.

Each runs `inspector sync` (its handler, or the real command in a subprocess where memory is measured) against a
small raw-socket server on loopback that misbehaves exactly so; each case failed before the client had deadlines
and a size cap (it ran until killed, or grew to 1.6 GB)."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from inspector.core.store import Store
from sync.commands import EXIT_UNREACHABLE, sync_main
from sync.credentials import Credentials, save_credentials
from tests.sync_support import submit_into

ROOT = Path(__file__).resolve().parents[1]

Behaviour = Callable[[socket.socket], None]


class MisbehavingServer:
    """Accepts connections, reads the request head, then does what `behaviour` says with the socket."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.requests: list[str] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                head += chunk
            self.requests.append(head.split(b"\r\n", 1)[0].decode("latin-1"))
            try:
                self.behaviour(conn)
            except OSError:  # the client gave up and closed: what these tests want
                return

    def close(self) -> None:
        self._closed = True
        self._sock.close()


def trickle(conn: socket.socket) -> None:
    """A 200 with a promised body that comes one byte every half second: every read succeeds, none finishes."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
    for _ in range(400):
        conn.sendall(b" ")
        time.sleep(0.5)


def silence(conn: socket.socket) -> None:
    """Accepts the request and never answers: only httpx's read timeout (30 s) would end this without a deadline."""
    time.sleep(120)


def flood(conn: socket.socket) -> None:
    """Half a gigabyte of answer, chunked, so no Content-Length warns the client before the bytes arrive."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    block = b"[" + b"0," * (1024 * 1024 // 2 - 1) + b"0"
    frame = f"{len(block):x}\r\n".encode() + block + b"\r\n"
    for _ in range(512):
        conn.sendall(frame)
    conn.sendall(b"0\r\n\r\n")


def declared_flood(conn: socket.socket) -> None:
    """An answer that says up front it is half a gigabyte."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 536870912\r\n\r\n")
    time.sleep(5)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "device"


def enrolled(data_dir: Path, url: str, *, with_work: bool = True) -> None:
    save_credentials(data_dir, Credentials(url=url, device_id="dev-1", token="tok", user="张三"))
    if with_work:
        store = Store.open(data_dir)
        try:
            submit_into(store, "site-1", 3, fail_every=2)
        finally:
            store.close()


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[MisbehavingServer]:
    running = MisbehavingServer(request.param)
    yield running
    running.close()


def pending_count(data_dir: Path) -> int:
    store = Store.open(data_dir)
    try:
        return store.pending().count
    finally:
        store.close()


@pytest.mark.parametrize("server", [trickle, silence], indirect=True, ids=["trickle", "silence"])
def test_a_server_that_never_finishes_its_answer_is_given_up_on_within_the_deadline(
    server: MisbehavingServer, data_dir: Path
) -> None:
    enrolled(data_dir, server.url)
    before = pending_count(data_dir)
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    code = sync_main(data_dir, out, err, "en", request_deadline_s=2.0)
    took = time.monotonic() - started
    assert code == EXIT_UNREACHABLE
    assert took < 10, f"gave up only after {took:.1f} s"
    assert "did not finish answering within 2 s" in err.getvalue()
    assert "Traceback" not in err.getvalue() + out.getvalue()
    assert pending_count(data_dir) == before  # nothing marked synced


@pytest.mark.parametrize("server", [trickle], indirect=True, ids=["trickle"])
def test_the_round_has_a_deadline_of_its_own(server: MisbehavingServer, data_dir: Path) -> None:
    enrolled(data_dir, server.url)
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    code = sync_main(data_dir, out, err, "zh", request_deadline_s=600.0, round_deadline_s=1.5)
    assert code == EXIT_UNREACHABLE and time.monotonic() - started < 10
    assert "本轮同步超过" in err.getvalue() and "已完成的部分已保存" in err.getvalue()


@pytest.mark.parametrize("server", [declared_flood], indirect=True, ids=["declared"])
def test_an_answer_declared_too_big_is_not_read(server: MisbehavingServer, data_dir: Path) -> None:
    enrolled(data_dir, server.url)
    before = pending_count(data_dir)
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    code = sync_main(data_dir, out, err, "en")
    assert code == 1 and time.monotonic() - started < 5  # refused on the header, not after the 5 s wait
    assert "the answer is 536870912 bytes, over the limit" in err.getvalue()
    assert pending_count(data_dir) == before


# Peak memory of the command's own process: VmHWM on Linux (a fresh address space after exec; ru_maxrss would carry
# over the high-water mark of the forked test worker), ru_maxrss elsewhere.
MEASURE = """
import io, json, resource, sys
from pathlib import Path
from sync.commands import sync_main
err = io.StringIO()
code = sync_main(Path(sys.argv[1]), io.StringIO(), err, "en")
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
try:
    with open("/proc/self/status", encoding="ascii") as status:
        peak_mb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
except (OSError, StopIteration):
    pass
print(json.dumps({"code": code, "peak_mb": peak_mb, "err": err.getvalue()}))
"""


@pytest.mark.skipif(os.name != "posix", reason="peak memory is read with the resource module (POSIX)")
@pytest.mark.parametrize("server", [flood], indirect=True, ids=["flood"])
def test_a_half_gigabyte_answer_leaves_the_client_under_300_mb(server: MisbehavingServer, data_dir: Path) -> None:
    enrolled(data_dir, server.url)
    before = pending_count(data_dir)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", MEASURE, str(data_dir)], capture_output=True, text=True, env=env, timeout=120
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["code"] == 1
    assert "over the limit" in result["err"] and "Traceback" not in result["err"]
    assert result["peak_mb"] < 300, result
    assert pending_count(data_dir) == before
