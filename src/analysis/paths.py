"""Fixed project paths, from this file's location; run folders are passed as a Settings."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
PROCESSED = DATA / "processed"
EXTERNAL = DATA / "external"
MAPPINGS = DATA / "mappings"
PROTECTION = DATA / "protection"
TEMPLATES = DATA / "templates"
NOTEBOOKS = ROOT / "notebooks"
REPORTS = ROOT / "reports"
FIGURES = REPORTS / "figures"
SHARED = ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"


def shared_file(*parts: str) -> Path:
    """Return a path inside ``../shared/data`` (which may not exist on a fresh clone)."""
    return SHARED_DATA.joinpath(*parts)
