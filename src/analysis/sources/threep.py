"""Reader for the 3P Anti-Trafficking Policy Index CSV (Cho, Dreher & Neumayer) as published."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import paths, provenance, schemas
from analysis.sources.indicators import (
    MISSING,
    SourceResult,
    first_of_duplicates,
    load_table,
    match_countries,
    quarantine,
    read_csv,
    render_report,
    write_outputs,
)

SOURCE = "threep"
OUT_FILE = "threep.csv"
SHARED_FILE = ("3p_index", "policy_index_3p_2000-2013.csv")
REQUIRED = ["countryname", "year", "tier", "p", "prosecution", "prevention", "protection", "iso"]
SCORES = ["prosecution", "prevention", "protection", "p"]
TIERS_3P = {"1": 1.0, "2": 2.0, "2.5": 2.5, "3": 3.0}


def read(path: str | Path) -> SourceResult:
    """Read the 3P index CSV in its published layout.

    Args:
        path: ``policy_index_3p_2000-2013.csv`` (or a later file in the same layout).

    Returns:
        A :class:`SourceResult`; the table has ``iso3, year, tier, prosecution,
        prevention, protection, p, raw_name``. Rows with no tier and no score (e.g. the
        file's 1999 rows) are not kept and are counted in ``meta``.

    Raises:
        InputError: The file is missing or lacks a required column.
    """
    path = Path(path)
    frame = read_csv(path, REQUIRED)
    parts = []
    year = pd.to_numeric(frame["year"], errors="coerce")
    bad_year = year.isna() | (year % 1 != 0)
    parts.append(quarantine(frame, bad_year, "year", "year is not a whole number"))
    values, bad = {}, pd.Series(False, index=frame.index)
    for col in SCORES:
        v = pd.to_numeric(frame[col].where(~frame[col].isin(MISSING)), errors="coerce")
        lo, hi = (3, 15) if col == "p" else (1, 5)
        wrong = (~frame[col].isin(MISSING) & v.isna()) | ~(v.isna() | v.between(lo, hi))
        wrong |= v.notna() & (v % 1 != 0)
        parts.append(quarantine(frame, wrong & ~bad, col, f"{col} not a whole number "
                                                          f"{lo}-{hi}"))
        bad |= wrong
        values[col] = v
    tier_txt = frame["tier"].where(~frame["tier"].isin(MISSING), "")
    tier = tier_txt.map(TIERS_3P)
    wrong_tier = (tier_txt != "") & tier.isna()
    parts.append(quarantine(frame, wrong_tier & ~bad, "tier", "tier not 1, 2, 2.5 or 3"))
    bad |= wrong_tier | bad_year
    iso3, names = match_countries(frame, SOURCE)
    no_iso = (iso3 == "") & ~bad
    parts.append(quarantine(frame, no_iso, "countryname",
                            "country not matched (or name and file iso disagree): add a row to "
                            "data/mappings/threep.csv"))
    bad |= no_iso
    empty = tier.isna() & pd.concat(values, axis=1).isna().all(axis=1) & ~bad
    table = pd.DataFrame({"iso3": iso3, "year": year, "tier": tier,
                          **{c: values[c].astype("Int64") for c in SCORES[:3]},
                          "p": values["p"].astype("Int64"), "raw_name": frame["countryname"]})
    table = table[~bad & ~empty]
    table["year"] = table["year"].astype(int)
    table, dup_q = first_of_duplicates(table, frame, ["iso3", "year"], SCORES + ["tier"],
                                       "countryname")
    parts.append(dup_q)
    table = table.sort_values(["iso3", "year"]).reset_index(drop=True)
    table = schemas.validate(table, schemas.THREEP, str(path))
    q = pd.concat([p for p in parts if len(p)] or [parts[0]], ignore_index=True)
    meta = {"file": path.name, "rows_read": len(frame),
            "rows_without_any_value": int(empty.sum()),
            "years_with_protection": _years(table, "protection"),
            "sum_check": _sum_check(table)}
    return SourceResult(table=table, quarantine=q.sort_values("row", ignore_index=True),
                        names=names, meta=meta)


def _years(table: pd.DataFrame, col: str) -> str:
    y = table.loc[table[col].notna(), "year"]
    return f"{y.min()}-{y.max()}" if len(y) else "none"


def _sum_check(table: pd.DataFrame) -> str:
    """Say whether p equals prosecution + prevention + protection where all are present."""
    full = table.dropna(subset=SCORES)
    off = full[full["p"] != full[SCORES[:3]].sum(axis=1)]
    return f"p = sum of the three pillars in {len(full) - len(off)} of {len(full)} rows"


def load(path: str | Path | None = None) -> pd.DataFrame:
    """Load the project's derived 3P table, checking it against its provenance record."""
    return load_table(path, OUT_FILE, "threep", schemas.THREEP,
                      dtype={"iso3": str, "raw_name": str}, na_values=[""])


def regenerate(src: str | Path | None = None, out_dir: str | Path | None = None
               ) -> tuple[SourceResult, list[Path]]:
    """Read the published file (default ``../shared``) and write the derived copy.

    Returns:
        The reader result and the written files (table, provenance record, report).
    """
    src = Path(src or paths.shared_file(*SHARED_FILE))
    result = read(src)
    out = Path(out_dir or paths.PROCESSED) / OUT_FILE
    written = write_outputs(result, out, [src], provenance.citation(SOURCE), "THREEP",
                            "analysis.sources.threep",
                            render_report(result, "3P index: reader report"))
    return result, written
