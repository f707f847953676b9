"""Reader for CTDC case-level CSV releases (one row per registered victim), aggregated to flows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis import countries
from analysis.sources.cases import aggregate_cases
from analysis.sources.csvfiles import csv_header, match_columns, read_csv_columns
from analysis.sources.results import ReadResult, Sieve, conservation, empty_duplicates
from analysis.sources.values import age_label, parse_years, per_unique, sex_label

SOURCE = "ctdc"
YEAR, ORIGIN, DEST = "yearOfRegistration", "citizenship", "CountryOfExploitation"
REQUIRED = [YEAR, ORIGIN, DEST]
OPTIONAL = ["gender", "ageBroad"]
EMPTY_FIX = "download the CTDC release again (a CSV with one row per victim case)"
RENAMED_FIX = (f"this reader needs the CTDC columns {', '.join(REQUIRED)} (and uses gender, "
               "ageBroad when present); a later release may have renamed them: rename them "
               "back in the file, or add the new names to analysis.sources.ctdc")
#: What each geography column means, for the quarantine reasons.
ROLE = {ORIGIN: "citizenship", DEST: "country of exploitation"}


def read(path: str | Path) -> ReadResult:
    """Read a CTDC case file (7-column subset or full-width release) into flows.

    Each row is one registered victim (a case, not prevalence). Rows whose year or
    countries cannot be used (``-99`` = missing) are quarantined with the reason; the
    others are counted per year, citizenship (origin) and country of exploitation.

    Args:
        path: The CSV file as CTDC publishes it.

    Returns:
        A :class:`~analysis.sources.results.ReadResult` (source ``ctdc``).

    Raises:
        InputError: The file cannot be read as a CTDC release (the message says why).
    """
    path = Path(path)
    header = csv_header(path, EMPTY_FIX)
    columns = match_columns(header, REQUIRED, OPTIONAL, path, RENAMED_FIX)
    frame = read_csv_columns(path, header, columns)
    frame["year"], year_problem = parse_years(frame[YEAR])
    frame["value_low"] = frame["value_high"] = np.int64(1)  # one row = one registered victim
    read_rows = frame[["year", "value_low", "value_high"]]

    sieve = Sieve(frame)
    sieve.drop(year_problem != "", year_problem, YEAR, frame[YEAR])
    geo, reports = {}, []
    for col in (ORIGIN, DEST):
        iso3, kind, note, suggestion, report = harmonise_codes(frame[col], frame["_row"], col)
        role = ROLE[col]
        sieve.drop(kind == "unknown", f"{role} missing or unknown", col, frame[col], note)
        sieve.drop(kind.isin(["aggregate", "debris", "nationals"]),
                   f"{role} is not a single country", col, frame[col], note)
        sieve.drop(kind == "unmatched", f"unmatched {role} code: add it to "
                   "data/mappings/ctdc.csv", col, frame[col], suggestion)
        geo[col], reports = iso3, [*reports, report]

    alive = sieve.alive
    sex = per_unique(frame["gender"], _sex) if "gender" in columns else None
    age = per_unique(frame["ageBroad"], _age) if "ageBroad" in columns else None
    # Categorical columns all the way: grouping a million rows by small integer codes.
    cases = pd.DataFrame({"year": frame["year"].to_numpy(dtype=np.int64, na_value=0)[alive],
                          "origin": geo[ORIGIN].array[alive],
                          "destination": geo[DEST].array[alive]})
    breakdowns = []
    for name, series in (("sex", sex), ("age", age)):
        if series is not None:
            cases[name] = series.array[alive]
            breakdowns.append(name)
    flows = aggregate_cases(cases, SOURCE, str(path), tuple(breakdowns))

    quarantine = sieve.table()
    cons = conservation(read_rows, frame.index[alive], quarantine, pd.Index([]), SOURCE)
    found = [r for r in reports if len(r)]
    harm = pd.concat(found, ignore_index=True) if found else reports[0]
    meta = {"file": str(path), "rows_read": len(frame),
            "release": "7-column subset" if len(header) <= 7 else
            f"full width ({len(header)} columns)",
            "columns_used": ", ".join(columns.values()),
            **_label_notes(frame, sex, age)}
    return ReadResult(source=SOURCE, flows=flows, quarantine=quarantine,
                      set_aside=pd.DataFrame(columns=["reason", "rows"]), harmonisation=harm,
                      duplicates=empty_duplicates(), conservation=cons, meta=meta)


def harmonise_codes(raw: pd.Series, rows: pd.Series, column: str):
    """Map ISO 3166 alpha-2 codes to ISO3: the reviewed mapping file first, then the standard.

    Same rules as :func:`analysis.countries.harmonise`: ``data/mappings/ctdc.csv`` decides
    codes that need a reviewer's judgement (``-99``, ``UK``, ``XK``...); other codes are
    looked up as ISO2 by country_converter (an exact lookup, so not listed for review);
    what is in neither is ``unmatched`` and listed with its rows and suggested matches.

    Args:
        raw: Codes, one per row (categorical is fastest).
        rows: Row numbers aligned with ``raw``.
        column: Column name, for the report.

    Returns:
        iso3, kind, note (mapping note), suggestion (for unmatched codes), each a
        categorical Series aligned with ``raw``, and the report of unmatched codes.
    """
    mapping = countries.load_mapping(SOURCE).set_index("raw")
    cat = raw.astype("category")
    texts = [str(c).strip() for c in cat.cat.categories]
    keys = [t if t in mapping.index else t.upper() for t in texts]
    lookup = [k for k in keys if k not in mapping.index and k]
    found = dict(zip(lookup, countries.convert(lookup, src="ISO2"), strict=True))
    facts = {"": ("", "unknown", "empty value", "")}
    for k in keys:
        if not k:
            continue
        if k in mapping.index:
            m = mapping.loc[k]
            facts[k] = (m["iso3"], m["kind"], f"{k}: {m['note']}" if m["note"] else k, "")
        elif found.get(k):
            facts[k] = (found[k], "country", "", "")
        else:
            facts[k] = ("", "unmatched", "", countries.suggest(k))
    key_of = dict(zip(cat.cat.categories, keys, strict=True))
    per = [per_unique(raw, lambda t, i=i: facts[key_of.get(t, t) if t else ""][i])
           for i in range(4)]
    unmatched = per[1] == "unmatched"
    report = _report(raw[unmatched], rows[unmatched], column, facts, key_of)
    return (*per, report)


def _report(raw: pd.Series, rows: pd.Series, column: str, facts: dict, key_of: dict):
    """One line per unmatched code: how many rows, the first rows, suggested matches."""
    cols = ["column", "raw", "method", "iso3", "n_rows", "rows", "suggestion"]
    if not len(raw):
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame({"raw": raw.astype(str).to_numpy(), "row": rows.to_numpy()})
    out = frame.groupby("raw", sort=True)["row"].agg(
        n_rows="size", rows=lambda r: ", ".join(map(str, r.iloc[:20]))).reset_index()
    out["column"], out["method"], out["iso3"] = column, "unmatched", ""
    out["suggestion"] = [facts[key_of.get(r, r)][3] for r in out["raw"]]
    return out[cols]


def _sex(raw: str) -> str:
    # CTDC writes Female/Male (later releases add Transgender/NonBinary); other labels: unknown.
    return sex_label(raw) or "unknown"


def _age(raw: str) -> str:
    label = age_label(raw)
    return label if label in ("adult", "child") else "unknown"


def _label_notes(frame: pd.DataFrame, sex, age) -> dict:
    """Count labels read as 'unknown' that were not CTDC's own missing codes (for the report)."""
    notes = {}
    for name, col, series, func in (("gender", "gender", sex, sex_label),
                                    ("ageBroad", "ageBroad", age, age_label)):
        if series is None:
            continue
        cats = frame[col].astype("category").cat.categories
        odd = [str(c) for c in cats if func(str(c)) is None]
        if odd:
            n = int(frame[col].isin(odd).sum())
            notes[f"{name}_unrecognised"] = f"{n} row(s) read as unknown: {odd[:10]}"
    return notes
