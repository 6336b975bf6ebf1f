"""The HQ server for the fault tests: `python tests/hq_fault_server.py --fault STAGE:MARKER <python -m sync.hq args>`.

It serves the production app, built by the production factory, with one addition: a push-stage hook (the push
queue's extension point, which production never sets) that, when a push reaches STAGE ("before_commit" or
"after_commit"), writes MARKER and stops there for a minute, so the test can kill the server at exactly that point.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from sync.hq.__main__ import arguments
from sync.hq.api.app import Settings
from sync.hq.db import Database
from sync.hq.server import hq_app, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hq_fault_server.py")
    parser.add_argument("--fault", required=True, metavar="STAGE:MARKER")
    known, rest = parser.parse_known_args(argv)
    args = arguments(rest)
    stage, _, marker = known.fault.partition(":")

    def stop_there(reached: str) -> None:
        if reached == stage:
            Path(marker).write_text(reached, encoding="utf-8")
            time.sleep(60)

    logging.basicConfig(level=logging.WARNING)
    db = Database(args.db)
    db.migrate()
    app = hq_app(Settings(db_url=args.db, files_dir=args.files), db, on_push_stage=stop_there)
    run(app, host=args.host, port=args.port, fd=args.fd, log_level=args.log_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
