"""Reader for UN DESA International Migrant Stock 2020 (bilateral, by sex) and interpolation."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from analysis import paths, schemas
from analysis.errors import InputError
from analysis.sources.derived import (
    Derived,
    collect,
    load_derived,
    quarantine,
    read_text_csv,
    valid_iso3,
    write_derived,
)

SHARED_FILE = ("undesa_migrant_stock_2020", "undesa_ims2020_bilateral_by_sex.csv")
OUT_FILE = "migrant_stock.csv"
#: The published mid-year points.
POINTS = (1990, 1995, 2000, 2005, 2010, 2015, 2020)
STEP = 5
SEXES = ("Male", "Female")
REQUIRED = ["to", "from", "t", "sex", "v"]
FIX = ("give undesa_ims2020_bilateral_by_sex.csv as written from gdiviz's stocks.rda "
       "(columns to, from, t, sex, v)")
CITATION = {
    "source": "undesa_ims2020",
    "producer": "United Nations, Department of Economic and Social Affairs, Population "
                "Division",
    "title": "International Migrant Stock 2020, by destination and origin and sex, 1990-2020 "
             "(POP/DB/MIG/Stock/Rev.2020), long format as built by gdiviz (IOM GDI)",
    "citation": "United Nations, Department of Economic and Social Affairs, Population "
                "Division (2020), International Migrant Stock 2020",
    "licence": "free to use with attribution (UN DESA Population Division); gdiviz script MIT",
    "caveat": "An absent pair is 0 OR not available (the UN's zeros and '..' were both "
              "dropped upstream): unknown, never zero. Stocks are mostly foreign-born persons "
              "(foreign citizens where a country lacks place-of-birth data); 2020 partly "
              "projected. Kosovo is inside SRB; Taiwan has no code.",
}

MIGRANT_STOCK = pa.DataFrameSchema(
    {
        "origin": pa.Column(str, pa.Check.str_matches(schemas.ISO3)),
        "destination": pa.Column(str, pa.Check.str_matches(schemas.ISO3)),
        "year": pa.Column(int, pa.Check.isin(list(POINTS))),
        "stock": pa.Column(int, pa.Check.gt(0)),
        "stock_female": pa.Column("Int64", pa.Check.gt(0), nullable=True),
        "stock_male": pa.Column("Int64", pa.Check.gt(0), nullable=True),
        "one_sex_only": pa.Column(bool),
    },
    checks=[pa.Check(lambda d: ~d.duplicated(["origin", "destination", "year"]),
                     name="one row per origin, destination, year")],
    strict=True,
    ordered=True,
    coerce=True,
)


def _code_reasons(codes: pd.Series) -> pd.Series:
    """Return why a code cannot be used ("" where it is a valid ISO3)."""
    reason = pd.Series("", index=codes.index)
    reason[~valid_iso3(codes)] = "not an ISO3 code of one country"
    reason[codes == "XXX"] = "XXX: the UN's 'Other' origins (not one country)"
    reason[codes == "CHI"] = ("CHI: Channel Islands (Guernsey and Jersey together), not an "
                              "ISO3 code")
    return reason


def _row_masks(frame: pd.DataFrame) -> list[tuple[pd.Series, str, object]]:
    """Return (mask, column, reason) for each rule a row can break, in order of checking."""
    year = pd.to_numeric(frame["t"], errors="coerce")
    value = pd.to_numeric(frame["v"], errors="coerce")
    to_why, from_why = _code_reasons(frame["to"]), _code_reasons(frame["from"])
    return [
        (to_why != "", "to", "destination " + to_why),
        (from_why != "", "from", "origin " + from_why),
        (frame["to"] == frame["from"], "from", "origin equals destination"),
        (~year.isin(POINTS), "t", f"year not one of the published points {POINTS}"),
        (~frame["sex"].isin(SEXES), "sex", "sex not Male or Female"),
        (~((value > 0) & (value % 1 == 0)), "v", "not a positive whole number of persons"),
    ]


def _derive(path: str | Path) -> Derived:
    path = Path(path)
    frame = read_text_csv(path, REQUIRED, FIX)
    bad = pd.Series(False, index=frame.index)
    parts = []
    for mask, column, reason in _row_masks(frame):
        parts.append(quarantine(frame, mask & ~bad, column, reason))
        bad |= mask
    repeated = ~bad & frame.duplicated(["to", "from", "t", "sex"])
    parts.append(quarantine(frame, repeated, "v", "repeated key (to, from, t, sex): first "
                            "row kept"))
    used = frame[~bad & ~repeated]
    table = _by_pair(used)
    table = schemas.validate(table, MIGRANT_STOCK, str(path))
    q = collect(parts)
    meta = {"rows_read": len(frame), "rows_used": len(used), "rows_quarantined": len(q),
            "pair_years": len(table), "pair_years_one_sex_only": int(table.one_sex_only.sum()),
            "destinations": int(table.destination.nunique()),
            "origins": int(table.origin.nunique()),
            "total_1990_millions": _total(table, 1990), "total_2020_millions": _total(table, 2020)}
    return Derived(table=table, quarantine=q, meta=meta, inputs=[path])


def _total(table: pd.DataFrame, year: int) -> str:
    return f"{table.loc[table.year == year, 'stock'].sum() / 1e6:.2f}"


def _by_pair(used: pd.DataFrame) -> pd.DataFrame:
    """Turn Male/Female rows into one row per pair-year (both sexes = the sum of the two).

    Where one sex is absent the file cannot say whether it was 0 or not available; the
    stock is then the one sex published, flagged ``one_sex_only``, and the absent sex is
    missing, not 0.
    """
    long = pd.DataFrame({"origin": used["from"], "destination": used["to"],
                         "year": used["t"].astype(int), "sex": used["sex"],
                         "v": used["v"].astype("int64")})
    wide = long.pivot(index=["origin", "destination", "year"], columns="sex", values="v")
    wide = wide.reindex(columns=list(SEXES))
    table = pd.DataFrame({
        "stock": wide.sum(axis=1, min_count=1).astype("int64"),
        "stock_female": wide["Female"].astype("Int64"),
        "stock_male": wide["Male"].astype("Int64"),
        "one_sex_only": wide.isna().any(axis=1),
    })
    return table.reset_index().sort_values(["origin", "destination", "year"],
                                           ignore_index=True)


def read(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the bilateral stocks by sex into one row per origin, destination and year.

    ``XXX`` ("Other" origins), ``CHI`` (Channel Islands) and any other non-ISO3 code are
    quarantined, as are rows with a year off the 5-year grid, a sex other than Male/Female,
    or a value that is not a positive whole number. An absent pair is unknown, not zero.

    Args:
        path: ``undesa_ims2020_bilateral_by_sex.csv`` (not the ``.rda``).

    Returns:
        ``(table, quarantine)``: origin, destination, year, stock (both sexes, persons),
        stock_female, stock_male, one_sex_only; and the quarantined rows.

    Raises:
        InputError: The file is missing or lacks a column.
    """
    result = _derive(path)
    return result.table, result.quarantine


def load(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Load the committed ``migrant_stock.csv`` (checked against provenance and schema)."""
    return load_derived(data_dir, OUT_FILE, "undesa", MIGRANT_STOCK,
                        dtype={"origin": str, "destination": str}, keep_default_na=False,
                        na_values=[""])


def regenerate(src: str | Path | None = None, out: str | Path | None = None) -> list[Path]:
    """Re-derive ``migrant_stock.csv``, its provenance record and report from the CSV.

    Args:
        src: The published CSV (default in ``../shared/data/undesa_migrant_stock_2020``).
        out: Output folder (default ``data/processed``).

    Returns:
        The files written.
    """
    result = _derive(src or paths.shared_file(*SHARED_FILE))
    return write_derived(result, Path(out or paths.PROCESSED), OUT_FILE, __name__, CITATION,
                         "MIGRANT_STOCK", "UN DESA International Migrant Stock "
                         "2020: reader report")


def annual_stock(table: pd.DataFrame, years: Iterable[int]) -> pd.DataFrame:
    """Interpolate stocks linearly between published points, for every pair in ``table``.

    A year that is a published point takes that point's value. A year between two points
    takes the straight line between them, but only when both points are published for the
    pair: the line never crosses a missing point (an absent row is unknown, not 0), so
    2003 needs 2000 and 2005, never 2000 and 2010. Years before the first or after the last
    point are never extrapolated: they stay missing.

    Args:
        table: ``origin, destination, year, stock`` (as :func:`read` or :func:`load` give).
        years: The years wanted (whole numbers).

    Returns:
        ``origin, destination, year, stock, interpolated``: one row per pair in ``table``
        and year asked for; ``stock`` is a float, NaN where unknown; ``interpolated`` is
        True where a value was drawn on the line between two published points.

    Raises:
        InputError: A column is missing, or a year in the table or asked for is not a
            whole number.
    """
    missing = [c for c in ("origin", "destination", "year", "stock") if c not in table.columns]
    if missing:
        raise InputError("migrant stock table", f"column(s) missing: {missing}",
                         "pass the table from analysis.sources.undesa.read or load",
                         column=missing[0])
    years = list(years)
    if any(float(y) != int(y) for y in years):
        raise InputError("annual_stock", f"years must be whole numbers, got {years[:5]}",
                         "pass e.g. range(2003, 2020)")
    off_grid = sorted(set(table["year"]) - set(POINTS))
    if off_grid:
        raise InputError("migrant stock table", f"year(s) {off_grid[:5]} are not published "
                         f"points {POINTS}", "pass the table as read, without added years",
                         column="year")
    wanted = [int(y) for y in years]
    wide = table.pivot_table(index=["origin", "destination"], columns="year", values="stock",
                             aggfunc="first").reindex(columns=list(POINTS))
    out = {y: _one_year(wide, y) for y in wanted}
    frame = pd.concat(out, names=["year"]).rename("stock").reset_index()
    frame["interpolated"] = ~frame["year"].isin(POINTS) & frame["stock"].notna()
    frame["year"] = frame["year"].astype(int)
    return frame[["origin", "destination", "year", "stock", "interpolated"]].sort_values(
        ["origin", "destination", "year"], ignore_index=True)


def _one_year(wide: pd.DataFrame, year: int) -> pd.Series:
    """Value of every pair in one year: a point, a line between two points, or NaN."""
    if year < POINTS[0] or year > POINTS[-1]:
        return pd.Series(np.nan, index=wide.index, dtype=float)
    if year in POINTS:
        return wide[year].astype(float)
    lo = POINTS[0] + (year - POINTS[0]) // STEP * STEP
    w = (year - lo) / STEP
    # NaN at either end stays NaN: no line across a missing point.
    return (1 - w) * wide[lo].astype(float) + w * wide[lo + STEP].astype(float)
