"""What every reader returns: flows, quarantined rows with reasons, and the conservation account."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.flows import parse_count

QUARANTINE_COLUMNS = ["row", "year", "reason", "column", "raw_value", "detail",
                      "value_low", "value_high"]

#: How each source's counts were produced; case-level data gets the stricter disclosure rule.
SOURCE_KIND = {"glotip": "aggregate", "ctdc": "case", "template_counts": "aggregate",
               "template_cases": "case"}


@dataclass
class ReadResult:
    """A reader's full output.

    Attributes:
        source: Source id (``glotip``, ``ctdc``, ``template_counts``, ``template_cases``).
        flows: The tidy flows table.
        quarantine: Rows not used because something is wrong with them (QUARANTINE_COLUMNS).
        set_aside: Rows read but outside the flows table (other indicators), by group.
        harmonisation: Raw country texts matched by fallback or unmatched, with rows.
        duplicates: Keys that repeated, and what was done.
        conservation: Counts read = used + quarantined + set aside, per year.
        meta: Facts about the input (file, sheet, header row, export date...).
    """

    source: str
    flows: pd.DataFrame
    quarantine: pd.DataFrame
    set_aside: pd.DataFrame
    harmonisation: pd.DataFrame
    duplicates: pd.DataFrame
    conservation: pd.DataFrame
    meta: dict = field(default_factory=dict)


def parse_values(values: pd.Series) -> pd.DataFrame:
    """Parse a column of published counts; each distinct text is parsed once.

    Returns:
        Columns value_low, value_high (nullable Int64), censored (bool) and problem
        (reason text, empty when the value parsed).
    """
    text = values.astype(object).where(values.notna(), None)
    codes, uniques = pd.factorize(text, use_na_sentinel=False)
    results = [parse_count(u) for u in uniques]
    parsed = pd.Series([results[c] for c in codes], index=values.index, dtype=object)
    ok = parsed.map(lambda p: isinstance(p, tuple))
    low = parsed.map(lambda p: p[0] if isinstance(p, tuple) else np.nan)
    high = parsed.map(lambda p: p[1] if isinstance(p, tuple) else np.nan)
    return pd.DataFrame({
        "value_low": low.astype("Int64"), "value_high": high.astype("Int64"),
        "censored": parsed.map(lambda p: bool(p[2]) if isinstance(p, tuple) else False),
        "problem": parsed.where(~ok, "").astype(str),
    }, index=values.index)


def conservation(read: pd.DataFrame, used_rows: pd.Index, quarantined: pd.DataFrame,
                 set_aside_rows: pd.Index, source: str) -> pd.DataFrame:
    """Account for every row read: used + quarantined + set aside, in rows and in counts.

    Args:
        read: All rows read, with columns year (nullable), value_low, value_high.
        used_rows: Index labels of rows that went into the flows table.
        quarantined: The quarantine table (its ``_label`` column holds the index labels).
        set_aside_rows: Index labels of rows outside the flows table's scope.
        source: Source id.

    Returns:
        One row per year with rows and summed bounds for each outcome; a test asserts
        that read equals used + quarantined + set aside.
    """
    outcome = pd.Series("read", index=read.index)
    frame = read[["year", "value_low", "value_high"]].copy()
    frame["year"] = frame["year"].astype("Int64").astype(str).replace("<NA>", "unknown")
    parts = {"used": used_rows, "quarantined": pd.Index(quarantined["_label"]),
             "set_aside": set_aside_rows}
    rows = []
    for name, labels in parts.items():
        outcome.loc[labels] = name
    for year, grp in frame.groupby("year"):
        rec = {"source": source, "year": year}
        out = outcome.loc[grp.index]
        for name in ("read", *parts):
            sel = grp if name == "read" else grp[out == name]
            rec[f"rows_{name}"] = len(sel)
            rec[f"low_{name}"] = int(sel["value_low"].fillna(0).sum())
            rec[f"high_{name}"] = int(sel["value_high"].fillna(0).sum())
        rows.append(rec)
    return pd.DataFrame(rows)


def quarantine_rows(frame: pd.DataFrame, mask: pd.Series, reason, column: str,
                    raw: pd.Series, detail: pd.Series | str = "") -> pd.DataFrame:
    """Build quarantine records for the rows in ``mask`` (reason may be a Series)."""
    sel = frame[mask]
    out = pd.DataFrame({
        "_label": sel.index,
        "row": sel["_row"].to_numpy(),
        "year": sel["year"].astype("Int64").to_numpy(),
        "reason": reason[mask].to_numpy() if isinstance(reason, pd.Series) else reason,
        "column": column,
        "raw_value": raw[mask].astype(str).to_numpy(),
        "detail": detail[mask].astype(str).to_numpy() if isinstance(detail, pd.Series) else detail,
        "value_low": sel["value_low"].to_numpy(),
        "value_high": sel["value_high"].to_numpy(),
    })
    return out
