"""Command line: ``python -m analysis build|ingest ...``."""

from analysis.cli import main

raise SystemExit(main())
