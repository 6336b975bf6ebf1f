"""Inspector: the field app for 创文/创城/创卫 site inspections.

The version has one home, pyproject.toml; `version()` reads it from the installed package's metadata (lazily:
looking it up costs a few milliseconds that starting the TUI need not pay).
"""

from __future__ import annotations

import functools


@functools.cache
def version() -> str:
    """This installation's version, as pyproject.toml states it ("0+unknown" when running from an uninstalled tree)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("inspector")
    except PackageNotFoundError:
        return "0+unknown"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
