"""Reader for US TIP Report tier placements in the Kelley & Heiss layout (any report years)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import paths, provenance, schemas
from analysis.errors import InputError
from analysis.sources.indicators import (
    SourceResult,
    first_of_duplicates,
    load_table,
    match_countries,
    quarantine,
    read_csv,
    render_report,
    write_outputs,
)

SOURCE = "tip"
OUT_FILE = "tip_tiers.csv"
SHARED_DIR = ("tip_tiers",)
#: Files in the published layout (report years in the name); later years go beside them.
PATTERN = "tip_tiers_*.csv"
REQUIRED = ["countryname", "iso", "year", "tier"]
#: Tier texts after trimming, collapsing spaces and lower-casing -> (tier, label).
TIERS = {
    "tier 1": (1.0, "Tier 1"), "1": (1.0, "Tier 1"),
    "tier 2": (2.0, "Tier 2"), "2": (2.0, "Tier 2"),
    "watchlist": (2.5, "Tier 2 Watch List"), "watch list": (2.5, "Tier 2 Watch List"),
    "tier 2 watch list": (2.5, "Tier 2 Watch List"),
    "tier 2 watchlist": (2.5, "Tier 2 Watch List"), "tier 2wl": (2.5, "Tier 2 Watch List"),
    "2wl": (2.5, "Tier 2 Watch List"), "2.5": (2.5, "Tier 2 Watch List"),
    "tier 3": (3.0, "Tier 3"), "3": (3.0, "Tier 3"),
    "na": (np.nan, "not ranked"), "": (np.nan, "not ranked"),
    "special case": (np.nan, "not ranked"), "not ranked": (np.nan, "not ranked"),
}


def normalise_tier(text: pd.Series) -> pd.DataFrame:
    """Map tier texts (``'Tier 1    '``, ``'Watchlist'``, ``'NA'``...) to tier and label.

    Returns:
        Columns ``tier`` (1, 2, 2.5, 3 or NaN for not ranked), ``tier_label`` and ``known``
        (False for a text not in :data:`TIERS`).
    """
    key = text.fillna("").astype(str).map(lambda t: re.sub(r"\s+", " ", t).strip().lower())
    found = key.map(lambda k: TIERS.get(k))
    return pd.DataFrame({"tier": found.map(lambda f: f[0] if f else np.nan),
                         "tier_label": found.map(lambda f: f[1] if f else ""),
                         "known": found.notna()}, index=text.index)


def read(path: str | Path | list[str | Path]) -> SourceResult:
    """Read one or more TIP tier files in the published layout.

    A later report year in the same layout (columns countryname, iso, year, tier; ccode
    optional) loads without code changes: give its file, or the folder holding all files.

    Args:
        path: A CSV file, a list of them, or a folder (all ``tip_tiers_*.csv`` in it).

    Returns:
        A :class:`~analysis.sources.indicators.SourceResult` whose table has ``iso3, year,
        tier, tier_label, raw_name, source_file``; not-ranked rows are kept (tier NaN).

    Raises:
        InputError: A file is missing, the folder holds no tier file, or a column is missing.
    """
    files = _files(path)
    frame = pd.concat([read_csv(f, REQUIRED) for f in files], ignore_index=True)
    year = pd.to_numeric(frame["year"], errors="coerce")
    bad_year = year.isna() | (year % 1 != 0)
    tiers = normalise_tier(frame["tier"])
    bad_tier = ~tiers["known"] & ~bad_year
    iso3, names = match_countries(frame, SOURCE)
    no_iso = (iso3 == "") & ~bad_year & ~bad_tier
    parts = [quarantine(frame, bad_year, "year", "year is not a whole number"),
             quarantine(frame, bad_tier, "tier", "unknown tier text (expected Tier 1, Tier 2, "
                        "Watchlist, Tier 3 or NA)"),
             quarantine(frame, no_iso, "countryname", "country not matched (or name and file "
                        "iso disagree): add a row to data/mappings/tip.csv")]
    keep = ~(bad_year | bad_tier | no_iso)
    table = pd.DataFrame({"iso3": iso3, "year": year, "tier": tiers["tier"],
                          "tier_label": tiers["tier_label"], "raw_name": frame["countryname"],
                          "source_file": frame["_file"]})[keep]
    table["year"] = table["year"].astype(int)
    table, dup_q = first_of_duplicates(table, frame, ["iso3", "year"], ["tier"], "countryname")
    parts.append(dup_q)
    table = table.sort_values(["iso3", "year"]).reset_index(drop=True)
    table = schemas.validate(table, schemas.TIP, ", ".join(f.name for f in files))
    q = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
    meta = {"files": ", ".join(f.name for f in files), "rows_read": len(frame),
            "report_years": f"{table.year.min()}-{table.year.max()}",
            "not_ranked_rows": int((table.tier_label == "not ranked").sum())}
    return SourceResult(table=table, quarantine=q.sort_values(["file", "row"],
                                                              ignore_index=True),
                        names=names, meta=meta)


def _files(path: str | Path | list[str | Path]) -> list[Path]:
    if isinstance(path, list | tuple):
        return [Path(p) for p in path]
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob(PATTERN))
        if not files:
            raise InputError(str(path), f"no {PATTERN} file in the folder",
                             "put the tier files (published layout) in it")
        return files
    return [path]


def load(path: str | Path | None = None) -> pd.DataFrame:
    """Load the project's derived tier table, checking it against its provenance record."""
    return load_table(path, OUT_FILE, "tip", schemas.TIP,
                      dtype={"iso3": str, "tier_label": str, "raw_name": str},
                      na_values={"tier": [""]})


def regenerate(src: str | Path | list | None = None, out_dir: str | Path | None = None
               ) -> tuple[SourceResult, list[Path]]:
    """Read the published files (default: every tier file in ``../shared``) and write the copy.

    Returns:
        The reader result and the written files (table, provenance record, report).
    """
    files = _files(src or paths.shared_file(*SHARED_DIR))
    result = read(files)
    out = Path(out_dir or paths.PROCESSED) / OUT_FILE
    written = write_outputs(result, out, files, provenance.citation(SOURCE), "TIP",
                            "analysis.sources.tip",
                            render_report(result, "TIP tiers: reader report"))
    return result, written
