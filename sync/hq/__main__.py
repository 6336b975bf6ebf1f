"""`python -m sync.hq --db URL --files DIR [--port N | --fd FD]`: the HQ server without the `inspector` command."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from sync.hq.server import Settings, serve


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sync.hq", description="Run the Inspector HQ server.")
    parser.add_argument("--db", required=True, help="SQLAlchemy URL, e.g. sqlite:///hq.sqlite3")
    parser.add_argument("--files", required=True, type=Path, help="folder for uploaded photos")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--fd", type=int, help="serve on this inherited listening socket instead of host:port")
    parser.add_argument("--log-level", default="warning")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    logging.basicConfig(level=logging.WARNING)
    settings = Settings(db_url=args.db, files_dir=args.files)
    serve(settings, host=args.host, port=args.port, fd=args.fd, log_level=args.log_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
