"""What every flow reader returns: flows, quarantined rows with reasons, the row account."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

QUARANTINE_COLUMNS = ["row", "year", "reason", "column", "raw_value", "detail",
                      "value_low", "value_high"]


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
    # Vectorised (a million case rows): year labels per distinct year, outcomes by position.
    codes, uniques = pd.factorize(read["year"].astype("Int64"), use_na_sentinel=True)
    labels = np.array([*(str(int(y)) for y in uniques), "unknown"], dtype=object)
    year = labels[codes]  # code -1 (missing year) picks "unknown"
    outcome = np.zeros(len(read), dtype=np.int8)  # 0 = read only
    parts = {"used": used_rows, "quarantined": pd.Index(quarantined["_label"]),
             "set_aside": set_aside_rows}
    for code, labels_ in enumerate(parts.values(), start=1):
        pos = read.index.get_indexer(pd.Index(labels_))
        outcome[pos[pos >= 0]] = code
    low = read["value_low"].astype("Float64").fillna(0).to_numpy(dtype=np.int64)
    high = read["value_high"].astype("Float64").fillna(0).to_numpy(dtype=np.int64)
    years = sorted(set(year))
    ycode = pd.Index(years).get_indexer(year)
    rows = []
    for i, label in enumerate(years):
        sel = ycode == i
        rec = {"source": source, "year": label}
        for code, name in enumerate(("read", *parts)):
            m = sel if name == "read" else sel & (outcome == code)
            rec[f"rows_{name}"] = int(m.sum())
            rec[f"low_{name}"] = int(low[m].sum())
            rec[f"high_{name}"] = int(high[m].sum())
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



class Sieve:
    """Apply quarantine rules in order; each row is quarantined once, for the first rule broken.

    The frame needs ``_row``, ``year``, ``value_low`` and ``value_high``. Rows are never
    removed from the frame (fast on a million rows); ``alive`` marks the rows still in use.
    """

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.alive = np.ones(len(frame), dtype=bool)
        self.parts: list[pd.DataFrame] = []

    def drop(self, cond, reason, column: str, raw: pd.Series, detail="") -> None:
        """Quarantine the rows still alive where ``cond`` holds.

        Args:
            cond: Boolean array or Series aligned with the frame.
            reason: Text, or a Series of texts aligned with the frame.
            column: The input column at fault.
            raw: The raw values shown in the quarantine table.
            detail: Extra text (or Series), e.g. a suggested match.
        """
        mask = self.alive & np.asarray(cond, dtype=bool)
        if not mask.any():
            return
        m = pd.Series(mask, index=self.frame.index)
        self.parts.append(quarantine_rows(self.frame, m, reason, column, raw, detail))
        self.alive &= ~mask

    def table(self) -> pd.DataFrame:
        """Return the quarantine table, in file order."""
        parts = [p for p in self.parts if len(p)]
        if not parts:
            return pd.DataFrame(columns=["_label", *QUARANTINE_COLUMNS])
        return pd.concat(parts, ignore_index=True).sort_values("row").reset_index(drop=True)


def empty_duplicates() -> pd.DataFrame:
    """Return an empty repeated-keys table with the columns the ingest report shows."""
    return pd.DataFrame(columns=["year", "origin", "destination", "raw_names", "rows", "values",
                                 "action"])
