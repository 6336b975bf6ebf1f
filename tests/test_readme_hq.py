"""The README's HQ setup works as written: each line of its `hq-setup` block runs on a fresh data dir (all but
`serve`, which is started for real elsewhere), and leaves HQ with the sites, users, round and assignments."""

from __future__ import annotations

import io
import shlex
from pathlib import Path

import pytest
from sqlalchemy import func, select

from inspector.cli import main
from inspector.core.ids import utcnow
from sync.hq.db import Database, default_db_url
from sync.hq.db.models import assignments, checklists, rounds, sites, users
from sync.hq.services.console_auth import sign_in
from tests.sync_support import ROOT

PASSWORD = "王主任的控制台密码"


def setup_lines() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- hq-setup", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [shlex.split(line.split("  #", 1)[0]) for line in block.splitlines() if line.strip()]
    assert all(line[0] == "inspector" for line in lines)
    return [line[1:] for line in lines]


def test_the_readme_sets_up_a_city_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # the README's paths are the repository's
    data_dir = tmp_path / "hq-data"
    ran = []
    for argv in setup_lines():
        if argv[:2] == ["hq", "serve"]:
            continue
        if argv[:2] == ["hq", "user"] and "reviewer" in argv:  # it asks for a password: typed twice
            monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n{PASSWORD}\n"))
        code = main(["--data-dir", str(data_dir), *argv])
        out, err = capsys.readouterr()
        assert code == 0, (argv, err)
        assert "Traceback" not in out + err
        ran.append(argv[1])
    assert {"checklist", "site", "user", "round", "assign"} <= set(ran)
    db = Database(default_db_url(data_dir))
    try:
        with db.read() as conn:
            count = {
                t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (checklists, sites, users, rounds, assignments)
            }
    finally:
        db.dispose()
    assert count == {"checklists": 2, "sites": 8, "users": 3, "rounds": 1, "assignments": 8}
    db = Database(default_db_url(data_dir))
    try:  # the reviewer can sign in to the console with the password it was asked for
        assert sign_in(db, "王主任", PASSWORD, ip="127.0.0.1", now=utcnow()).user.name == "王主任"
    finally:
        db.dispose()
