"""The coding table: load, check the interval rules, read the state of the law on a date."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import countries, paths
from analysis.errors import InputError
from analysis.protection.codebook import load_codebook

CODING_FILE = paths.PROTECTION / "coding.csv"
#: The folder record of the codebook and coding; it holds ``coded_up_to``.
PROVENANCE_FILE = paths.PROTECTION / "provenance.json"
COLUMNS = ["iso3", "provision", "valid_from", "valid_to", "score", "legal_basis", "source",
           "confidence", "note"]
#: Every entity x provision must be coded from this date on, without gaps, to an open end.
START = pd.Timestamp("2000-01-01")
#: The coding entity holding the EU minimum standard (not a country).
EU_FLOOR = "EU"
#: Entities the coding must cover (the issue's list).
REQUIRED_ENTITIES = ("JPN", EU_FLOOR, *countries.EU27, "GBR", "NOR", "CHE", "KOR", "THA", "MYS",
                     "SGP", "IDN", "USA", "CAN", "AUS", "ISR", "ARE", "BHR", "QAT", "SAU", "JOR")
_WHEN_FIX = ("pass an integer year (read on 31 December, e.g. 2019) or a date "
             "(datetime.date or pandas.Timestamp, e.g. pd.Timestamp('2019-07-01'))")


def load_coding(path: str | Path | None = None, codebook: pd.DataFrame | None = None,
                check: bool = True) -> pd.DataFrame:
    """Read and check the coding table.

    Args:
        path: The coding CSV (default ``data/protection/coding.csv``).
        codebook: The codebook (loaded when None), for the provision ids.
        check: Run the schema and interval checks (see :func:`check_coding`).

    Returns:
        The table with ``valid_from``/``valid_to`` as timestamps (``NaT`` = in force) and
        ``score`` as int; the index is the 0-based data row (file row = index + 2).

    Raises:
        InputError: Naming file, row and column of the first problem found.
    """
    path = Path(path or CODING_FILE)
    if not path.exists():
        raise InputError(str(path), "coding table not found",
                         "restore data/protection/coding.csv or pass the path of a coding "
                         "table in its layout")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    table = raw.copy()
    for col in ("valid_from", "valid_to"):
        if col in raw:
            table[col] = pd.to_datetime(raw[col].replace("", None), format="%Y-%m-%d",
                                        errors="coerce")
    if "score" in raw:
        table["score"] = pd.to_numeric(raw["score"], errors="coerce")
    if check:
        _check_parsed(raw, table, path)
        check_coding(table, codebook if codebook is not None else load_codebook(), str(path))
    table["score"] = table["score"].astype(int)
    return table


def _check_parsed(raw: pd.DataFrame, table: pd.DataFrame, path: Path) -> None:
    """Raise on dates and scores that did not parse, naming the row."""
    for col in ("valid_from", "valid_to", "score"):
        if col not in raw:
            raise InputError(str(path), f"column '{col}' missing", f"restore {COLUMNS}",
                             row=1, column=col)
        bad = table[col].isna() & (raw[col] != "" if col == "valid_to" else True)
        if col == "score":
            bad |= table[col] % 1 != 0  # 1.5 would otherwise be truncated to 1
        if bad.any():
            i = int(bad.idxmax())
            raise InputError(str(path), f"'{raw.at[i, col]}' is not a valid "
                             f"{'date (YYYY-MM-DD)' if col != 'score' else 'score (0, 1 or 2)'}",
                             "correct the value", row=i + 2, column=col)


def check_coding(table: pd.DataFrame, codebook: pd.DataFrame, file: str = "coding.csv") -> None:
    """Check the coding table: schema, codebook ids, ISO3 codes and the interval rules.

    Rules: the pandera schema :data:`analysis.schemas.CODING` (scores 0/1/2, confidence
    high/medium/low, legal_basis and source non-empty, valid_from < valid_to); provision
    ids from the codebook; iso3 a real ISO3 code or ``EU``; per entity x provision the
    intervals start on 2000-01-01, touch without gap or overlap, and the last is open.

    Args:
        table: The table as :func:`load_coding` parses it.
        codebook: The codebook (:func:`analysis.protection.codebook.load_codebook`).
        file: File name used in messages.

    Raises:
        InputError: Naming file, row (as in the file) and column of the first problem.
    """
    from analysis import schemas

    schemas.validate(table[COLUMNS], schemas.CODING, file)
    unknown = ~table["provision"].isin(codebook.index)
    if unknown.any():
        i = int(unknown.idxmax())
        raise InputError(file, f"provision '{table.at[i, 'provision']}' is not in the codebook",
                         f"use one of {list(codebook.index)}", row=i + 2, column="provision")
    _check_iso3(table, file)
    for problem, fix, i, col in interval_problems(table):
        raise InputError(file, problem, fix, row=i + 2, column=col)


def _check_iso3(table: pd.DataFrame, file: str) -> None:
    codes = [c for c in table["iso3"].unique() if c != EU_FLOOR]
    known = dict(zip(codes, countries.convert(codes, to="ISO3", src="ISO3"), strict=True))
    bad = [c for c, k in known.items() if k != c]
    if bad:
        i = int((table["iso3"] == bad[0]).idxmax())
        raise InputError(file, f"iso3 '{bad[0]}' is not an ISO 3166 alpha-3 code",
                         "use the ISO3 code (or EU for the EU floor)", row=i + 2, column="iso3")


def interval_problems(table: pd.DataFrame) -> list[tuple[str, str, int, str]]:
    """List interval problems per entity x provision (start, gaps, overlaps, open end).

    Args:
        table: Parsed coding rows (index = 0-based data row).

    Returns:
        ``(problem, fix, index, column)`` tuples, in file order; empty when all is well.
    """
    out = []
    ordered = table.sort_values(["iso3", "provision", "valid_from"], kind="stable")
    for (iso3, prov), grp in ordered.groupby(["iso3", "provision"], sort=False):
        key = f"{iso3} x {prov}"
        first, last = grp.index[0], grp.index[-1]
        if grp.at[first, "valid_from"] != START:
            out.append((f"{key}: first interval starts {grp.at[first, 'valid_from']:%Y-%m-%d}, "
                        f"not {START:%Y-%m-%d}", "code the state from 2000-01-01", first,
                        "valid_from"))
        ends, starts = grp["valid_to"].iloc[:-1], grp["valid_from"].iloc[1:]
        for (i_prev, end), (i_next, start) in zip(ends.items(), starts.items(), strict=True):
            if pd.isna(end) or start < end:
                out.append((f"{key}: interval overlaps the one before it (row {i_prev + 2} "
                            f"runs to {'open end' if pd.isna(end) else f'{end:%Y-%m-%d}'})",
                            "end the earlier interval where this one starts", i_next,
                            "valid_from"))
            elif start > end:
                out.append((f"{key}: gap from {end:%Y-%m-%d} to {start:%Y-%m-%d}",
                            "make valid_to of the earlier row equal valid_from of this one",
                            i_next, "valid_from"))
        if pd.notna(grp.at[last, "valid_to"]):
            out.append((f"{key}: last interval ends {grp.at[last, 'valid_to']:%Y-%m-%d}; "
                        "the state after it is not coded", "leave valid_to empty on the "
                        "interval in force", last, "valid_to"))
    return sorted(out, key=lambda p: p[2])


def missing_entities(coding: pd.DataFrame, required: Iterable[str] = REQUIRED_ENTITIES
                     ) -> list[str]:
    """Return the required entities that have no row in the coding (in required order)."""
    have = set(coding["iso3"])
    return [e for e in required if e not in have]


# --------------------------------------------------------------------------- as of a date


def reference_date(when: int | dt.date | pd.Timestamp) -> pd.Timestamp:
    """Return the date a state is read on.

    A year means 31 December of that year: the law as it stood at the end of the year, so
    a reform that took effect during the year counts for it (the convention of annual
    indices such as the 3P index). A date is used as given. Strings and floats are
    refused: ``"2019"`` would parse as 1 January and ``2019.0`` as a 1970 timestamp.

    Args:
        when: An integer year or a date (``datetime.date``, ``datetime.datetime`` or
            ``pandas.Timestamp``).

    Returns:
        The reference date (midnight).

    Raises:
        TypeError: ``when`` is of any other type (str, float, bool, None, NaT).
    """
    if isinstance(when, bool | np.bool_):
        raise TypeError(f"reference date {when!r} is a bool: {_WHEN_FIX}")
    if isinstance(when, int | np.integer):
        return pd.Timestamp(year=int(when), month=12, day=31)
    if isinstance(when, dt.date) and not pd.isna(when):  # Timestamp and datetime are dates
        return pd.Timestamp(when).normalize()
    raise TypeError(f"reference date {when!r} ({type(when).__name__}) is not accepted: "
                    f"{_WHEN_FIX}")


def as_of(coding: pd.DataFrame, when: int | dt.date | pd.Timestamp,
          value: str = "score") -> pd.DataFrame:
    """Return the state of every entity x provision on one date.

    ``valid_from`` is inclusive and ``valid_to`` exclusive: on the day a new interval
    starts the new value applies.

    Args:
        coding: The coding table (:func:`load_coding`).
        when: An integer year (read on 31 December, see :func:`reference_date`) or a date.
        value: The column to return (``score`` or ``confidence``).

    Returns:
        Entities as rows (sorted), provisions as columns (sorted).
    """
    date = reference_date(when)
    in_force = (coding["valid_from"] <= date) & (coding["valid_to"].isna()
                                                 | (date < coding["valid_to"]))
    state = coding.loc[in_force, ["iso3", "provision", value]]
    wide = state.pivot(index="iso3", columns="provision", values=value)
    wide.columns.name, wide.index.name = "provision", "iso3"
    return wide.sort_index().sort_index(axis=1)


def coded_up_to(record: str | Path | None = None) -> pd.Timestamp:
    """Return the date the coding is complete up to, from its provenance record.

    The coders state it (``coded_up_to`` in ``data/protection/provenance.json``); it does
    not move with the day the code runs, so every default derived from it is reproducible.

    Args:
        record: The folder record (default ``data/protection/provenance.json``).

    Raises:
        InputError: The record or its ``coded_up_to`` field is missing or not a date.
    """
    path = Path(record or PROVENANCE_FILE)
    if not path.exists():
        raise InputError(str(path), "provenance record not found",
                         "restore data/protection/provenance.json")
    value = json.loads(path.read_text()).get("coded_up_to")
    date = pd.to_datetime(value, format="%Y-%m-%d", errors="coerce") if value else pd.NaT
    if pd.isna(date):
        raise InputError(str(path), f"coded_up_to is {value!r}, not a date (YYYY-MM-DD)",
                         "state the date the coding is complete up to", column="coded_up_to")
    return date


def latest_year(up_to: dt.date | None = None) -> int:
    """Return the latest year whose 31 December state the coding covers.

    That is the year of ``up_to`` when ``up_to`` is 31 December, else the year before:
    a year is read on 31 December, and a coding complete up to 29 November cannot
    speak for 31 December of the same year (a change in December would be missing).

    Args:
        up_to: The date the coding is complete up to (default :func:`coded_up_to`).
    """
    date = pd.Timestamp(up_to) if up_to is not None else coded_up_to()
    return date.year if (date.month, date.day) == (12, 31) else date.year - 1


def last_change(coding: pd.DataFrame, when: int | dt.date | pd.Timestamp) -> pd.Timestamp:
    """Return the date of the last coded change on or before a reference date (or year)."""
    date = reference_date(when)
    starts = coding.loc[coding["valid_from"] > START, "valid_from"]
    starts = starts[starts <= date]
    return starts.max() if len(starts) else START


def low_confidence_share(coding: pd.DataFrame, when: int | dt.date | pd.Timestamp,
                         entities: Iterable[str] | None = None) -> float:
    """Share of entity x provision cells coded with ``low`` confidence on a date."""
    conf = as_of(coding, when, value="confidence")
    if entities is not None:
        conf = conf.loc[conf.index.intersection(list(entities))]
    return float((conf == "low").to_numpy().mean())
