"""`python -m sync.hq --db URL --files DIR [--port N | --fd FD]`."""

from __future__ import annotations

import sys

from sync.hq.api.app import main

sys.exit(main())
