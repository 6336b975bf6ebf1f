"""`inspector hq serve | user add | user revoke` entry points: output, exit codes, and the server they start."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sync.hq.cli import user_add_main as hq_user_add_main
from sync.hq.cli import user_revoke_main as hq_user_revoke_main
from tests.sync_support import ROOT, headers


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_user_add_prints_a_code_and_revoke_cuts_off(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert hq_user_add_main(None, tmp_path, "张三", "inspector", out, err) == 0, err.getvalue()
    text = out.getvalue()
    code = next(line.split(": ")[1] for line in text.splitlines() if "enrollment code" in line)
    assert len(code) == 9 and code[4] == "-"
    assert "valid until" in text and "inspector enroll" in text
    assert (tmp_path / "hq" / "hq.sqlite3").exists()  # the default database, in the data dir
    again = io.StringIO()
    assert hq_user_add_main(None, tmp_path, "张三", "inspector", again, err) == 0  # a second device: a new code
    assert "existing" in again.getvalue() and code not in again.getvalue()
    clash = io.StringIO()
    assert hq_user_add_main(None, tmp_path, "张三", "admin", out, clash) == 1 and "role" in clash.getvalue()
    wrong = io.StringIO()
    assert hq_user_add_main(None, tmp_path, "李四", "boss", out, wrong) == 1 and "inspector" in wrong.getvalue()
    revoked = io.StringIO()
    assert hq_user_revoke_main(None, tmp_path, "张三", revoked, err) == 0 and "张三" in revoked.getvalue()
    missing = io.StringIO()
    assert hq_user_revoke_main(None, tmp_path, "nobody", out, missing) == 1 and "nobody" in missing.getvalue()


def test_a_bad_database_url_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    err = io.StringIO()
    assert hq_user_add_main("nosuchdb://x", tmp_path, "a", "inspector", io.StringIO(), err) == 1
    assert "cannot open the HQ database" in err.getvalue() and "Traceback" not in err.getvalue()
    err = io.StringIO()
    url = "postgresql+psycopg://postgres:secret@127.0.0.1:1/none"
    assert hq_user_add_main(url, tmp_path, "a", "inspector", io.StringIO(), err) == 1
    assert "secret" not in err.getvalue()  # the password is never echoed


def _serve(data_dir: Path, port: int) -> subprocess.Popen[str]:
    code = (
        "import sys; from pathlib import Path; from sync.hq.cli import serve_main as hq_serve_main; "
        f"sys.exit(hq_serve_main(None, '127.0.0.1', {port}, Path({str(data_dir)!r}), sys.stdout, sys.stderr))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_serve_runs_the_server_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    proc = _serve(tmp_path, port)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert health.json()["protocol"] == 1
        assert httpx.get(f"http://127.0.0.1:{port}/v1/sync/pull", headers=headers()).status_code == 401
        assert (tmp_path / "hq" / "hq.sqlite3").is_file() and (tmp_path / "hq" / "attachments").is_dir()
        second = _serve(tmp_path, port)  # the same port again: a clear message, exit 1
        _, second_err = second.communicate(timeout=60)
        assert second.returncode == 1 and "port in use" in second_err and "Traceback" not in second_err
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert f"http://127.0.0.1:{port}" in out and "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_data_dir_that_is_a_file_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert hq_user_add_main(None, a_file, "x", "admin", out, err) == 1
    assert "cannot open the HQ database" in err.getvalue() and str(a_file) in err.getvalue()
    err = io.StringIO()
    assert hq_user_revoke_main(None, a_file, "x", out, err) == 1 and str(a_file) in err.getvalue()
    cli = subprocess.run(
        [sys.executable, "-m", "inspector.cli", "--data-dir", str(a_file), "hq", "user", "add", "x", "--role", "admin"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 1 and "unexpected error" not in cli.stderr and str(a_file) in cli.stderr


@pytest.mark.parametrize("port", ["99999", "0", "-1", "http"])
def test_a_port_out_of_range_is_refused_by_the_argument_parser(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    from inspector.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["hq", "serve", "--port", port])
    assert exit_.value.code == 2
    stderr = capsys.readouterr().err
    assert "1-65535" in stderr and "unexpected error" not in stderr


def test_the_help_and_argparse_errors_are_chinese_unless_english_is_asked_for(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from inspector.cli import main

    with pytest.raises(SystemExit):
        main(["hq", "user", "add", "--help"])
    zh = capsys.readouterr().out
    assert "用法：" in zh and "选项：" in zh and "显示本帮助并退出" in zh and "角色" in zh
    assert "usage:" not in zh and "show this help" not in zh
    with pytest.raises(SystemExit) as exit_zh:
        main(["export", "--format", "pdf"])
    assert exit_zh.value.code == 2
    assert "错误：参数 --format：无效的选项 'pdf'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--lang", "en", "hq", "user", "add", "--help"])
    en = capsys.readouterr().out
    assert "usage:" in en and "show this help message and exit" in en and "用法" not in en
    with pytest.raises(SystemExit):
        main(["--lang", "en", "hq", "user", "add", "x"])
    assert "error: the following arguments are required: --role" in capsys.readouterr().err
