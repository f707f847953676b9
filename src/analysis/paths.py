"""Every path the project uses, derived from this file's location (never the working directory)."""

from __future__ import annotations

import os
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


def data_dir() -> Path:
    """Return the data directory a run reads its processed tables from.

    ``ANALYSIS_DATA_DIR`` (set by ``python -m analysis build --data-dir``) overrides the
    committed ``data/processed``, so notebooks rerun on ingested data without code changes.
    """
    override = os.environ.get("ANALYSIS_DATA_DIR")
    return Path(override).resolve() if override else PROCESSED


def figures_dir() -> Path:
    """Return the folder figures are written to (``ANALYSIS_FIGURES_DIR`` overrides)."""
    override = os.environ.get("ANALYSIS_FIGURES_DIR")
    return Path(override).resolve() if override else FIGURES


def shared_file(*parts: str) -> Path:
    """Return a path inside ``../shared/data`` (which may not exist on a fresh clone)."""
    return SHARED_DATA.joinpath(*parts)


def use(data: str | os.PathLike | None = None, figures: str | os.PathLike | None = None) -> None:
    """Point this process at another data or figures folder (notebook parameters call this)."""
    if data:
        os.environ["ANALYSIS_DATA_DIR"] = str(Path(data).resolve())
    if figures:
        os.environ["ANALYSIS_FIGURES_DIR"] = str(Path(figures).resolve())


def data_file(name: str) -> Path:
    """Return a processed table from the active data folder, else the committed copy.

    A folder made by ``ingest`` holds the flows of the sources ingested into it; tables it
    does not hold (the 3P index, TIP tiers) come from ``data/processed``.
    """
    own = data_dir() / name
    return own if own.exists() else PROCESSED / name
