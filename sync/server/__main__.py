"""`python -m sync.server --db URL --files DIR [--port N | --fd FD]`."""

from __future__ import annotations

import sys

from sync.server.app import main

sys.exit(main())
