"""The tidy flows table: censored counts as intervals, loading, aggregation and route summaries."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import countries, provenance
from analysis.schemas import FLOW_COLUMNS, FLOWS, validate

FLOWS_FILE = "flows.csv"
#: Published counts below this are censored as "<5" and flows below it are not drawn.
CENSOR_THRESHOLD = 5
_INT = re.compile(r"^\d{1,3}(,\d{3})+$|^\d+$")
_CENSORED = re.compile(r"^<\s*(\d+)$")


def parse_count(text: object) -> tuple[int, int, bool] | str:
    """Parse a published count into (low, high, censored), or return why it cannot be used.

    ``<5`` becomes (1, 4, True): a published censored value is at least 1 and below 5.
    Thousands separators are accepted only in their proper places (``1,156``).

    Args:
        text: The cell as read (text or number).

    Returns:
        The interval, or a short reason string when the value is not a usable count.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return "empty value"
    if isinstance(text, bool):
        return f"not a count: {text!r}"
    if isinstance(text, int | np.integer):
        value = int(text)
        return (value, value, False) if value >= 0 else f"negative count: {value}"
    if isinstance(text, float | np.floating):
        if not float(text).is_integer():
            return f"not a whole number: {text}"
        return parse_count(int(text))
    s = str(text).strip()
    if m := _CENSORED.match(s):
        bound = int(m.group(1))
        return (1, bound - 1, True) if bound > 1 else "censored below 1 is not a count"
    if s.startswith("-") and _INT.match(s[1:]):
        return f"negative count: {s}"
    if not _INT.match(s):
        return f"not a count: {s!r}" if s else "empty value"
    return (int(s.replace(",", "")), int(s.replace(",", "")), False)


def sum_bounds(table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Sum flows over groups, carrying censored values as bounds.

    Args:
        table: A flows table (value_low, value_high, censored).
        by: Columns to group by.

    Returns:
        One row per group with value_low, value_high (sums of the bounds) and censored
        (True when any part was censored).
    """
    out = table.groupby(by, as_index=False, observed=True, sort=True).agg(
        value_low=("value_low", "sum"), value_high=("value_high", "sum"),
        censored=("censored", "any"))
    return out


def load(data_dir: str | Path, verify: bool = True) -> pd.DataFrame:
    """Load the flows table from a data directory and check its schema and provenance.

    Args:
        data_dir: Folder holding ``flows.csv`` (e.g. ``Settings.data_dir``).
        verify: Check the file against its provenance record's checksum.

    Returns:
        The flows table, schema-checked.
    """
    path = Path(data_dir) / FLOWS_FILE
    if verify:
        provenance.verify(path)
    table = pd.read_csv(path, dtype={"origin": str, "destination": str}, keep_default_na=False)
    return validate(table, FLOWS, str(path))


def tidy(table: pd.DataFrame, file: str = "flows") -> pd.DataFrame:
    """Order, sort and schema-check a freshly built flows table."""
    order = ["indicator", "year", "destination", "origin", "sex", "age", "source"]
    table = table[FLOW_COLUMNS].sort_values(order).reset_index(drop=True)
    return validate(table, FLOWS, file)


def from_origins(table: pd.DataFrame, origins=countries.SOUTHEAST_ASIA,
                 indicator: str = "detected_victims", domestic: bool = False) -> pd.DataFrame:
    """Select the flows that start in the given origins (by default, cross-border only)."""
    sel = table[(table.indicator == indicator) & table.origin.isin(origins)
                & (table.sex == "total") & (table.age == "total")]
    if not domestic:
        sel = sel[sel.origin != sel.destination]
    return sel


def periods(years, n: int = 3) -> list[tuple[int, int]]:
    """Split the years present into ``n`` consecutive periods of near-equal length."""
    ys = sorted(set(int(y) for y in years))
    if not ys:
        return []
    span = list(range(ys[0], ys[-1] + 1))
    chunks = [c for c in np.array_split(span, min(n, len(span))) if len(c)]
    return [(int(c[0]), int(c[-1])) for c in chunks]


def reporting_universe(table: pd.DataFrame) -> pd.DataFrame:
    """Destination-years that reported any citizenship data, per source.

    A destination counts in a year when the flows table holds any row of detected victims
    by citizenship for it (any origin, its own nationals included, zero counts included):
    it reported, whether or not any victim came from the origins a figure is about. This is
    the universe a "reporting countries" panel and a panel model's sample are drawn from.

    Args:
        table: The whole flows table (not filtered to some origins).

    Returns:
        Columns source, destination, year: one row per reporting destination-year, sorted.
    """
    rows = table[table.indicator == "detected_victims"]
    out = rows[["source", "destination", "year"]].drop_duplicates()
    return out.sort_values(["source", "destination", "year"]).reset_index(drop=True)


def route_table(table: pd.DataFrame, top: int = 15) -> pd.DataFrame:
    """Summarise the largest routes: origin, destination, years reported and total detections.

    Args:
        table: Flows already filtered to the routes of interest.
        top: How many routes to keep, ranked by the lower bound.

    Returns:
        A table with route names, the interval of total detections and the years covered.
    """
    agg = table.groupby(["origin", "destination"], as_index=False).agg(
        value_low=("value_low", "sum"), value_high=("value_high", "sum"),
        censored=("censored", "any"), first_year=("year", "min"), last_year=("year", "max"),
        years_reported=("year", "nunique"))
    agg = agg.sort_values(["value_low", "value_high"], ascending=False).head(top)
    agg.insert(0, "route", [f"{countries.name(o)} -> {countries.name(d)}"
                            for o, d in zip(agg.origin, agg.destination, strict=True)])
    agg["group"] = agg.destination.map(countries.destination_group)
    return agg.reset_index(drop=True)


def format_interval(low: int, high: int) -> str:
    """Format an interval of counts: ``123`` when exact, ``123-131`` when censored."""
    return f"{low:,}" if low == high else f"{low:,}-{high:,}"


def pick_source(table: pd.DataFrame, source: str | None = None) -> str:
    """Choose which source a notebook shows: the one asked for, else GLOTIP, else the largest.

    Sources are never mixed in one figure: GLOTIP counts published detections, case
    records count registered cases, and adding them would double count.

    Raises:
        ValueError: ``source`` is not in the table, or the table is empty.
    """
    present = table.source.value_counts()
    if present.empty:
        raise ValueError("the flows table is empty: ingest a source first")
    if source:
        if source not in present.index:
            raise ValueError(f"source {source!r} not in the flows table; present: "
                             f"{sorted(present.index)}")
        return source
    return "glotip" if "glotip" in present.index else str(present.index[0])
