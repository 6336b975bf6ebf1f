#!/usr/bin/env python3
"""Bootstrap and run Inspector with nothing but Python 3.11+.

    python3 run.py          open the app on its demo data (any further arguments go to `inspector`)
    python3 run.py test     run the whole test suite (further arguments go to pytest)

The first run makes a virtual environment in .venv and installs the project into it; later runs reinstall only
when pyproject.toml has changed. Only the standard library is used here, so this works on a fresh machine.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".installed-from"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def _ensure_environment() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script must explain itself on an old Python
        sys.exit(f"Inspector needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text(encoding="utf-8").strip() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing Inspector and its dependencies into .venv (first run only) ...", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(wanted, encoding="utf-8")


def main(argv: list[str]) -> int:
    try:
        _ensure_environment()
    except subprocess.CalledProcessError as exc:
        print(f"Installing into .venv failed (exit {exc.returncode}); see the pip output above.", file=sys.stderr)
        return 1
    if argv[:1] == ["test"]:
        command = [str(PYTHON), "-m", "pytest", "-n", "auto", "--dist", "loadgroup", *argv[1:]]
    else:
        command = [str(PYTHON), "-m", "inspector", *argv]
    return subprocess.call(command, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
