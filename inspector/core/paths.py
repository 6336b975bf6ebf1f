"""Where the field app keeps its data: the platform's user data folder, unless INSPECTOR_DATA_DIR says otherwise."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "inspector"
DATA_DIR_ENV = "INSPECTOR_DATA_DIR"


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """INSPECTOR_DATA_DIR when set (as `--data-dir` would), else e.g. ~/.local/share/inspector or %LOCALAPPDATA%."""
    env = os.environ if environ is None else environ
    override = env.get(DATA_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return user_data_path(APP_NAME, appauthor=False)
