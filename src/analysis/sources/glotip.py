"""Reader for the UNODC GLOTIP export exactly as dataUNODC publishes it (.xlsx, header on row 3)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

from analysis import countries
from analysis.errors import InputError
from analysis.flows import tidy
from analysis.sources.csvfiles import check_file
from analysis.sources.results import ReadResult, Sieve, conservation, quarantine_rows
from analysis.sources.values import MAX_PLAUSIBLE, parse_values, parse_years

SOURCE = "glotip"
SHEET = "data_glotip_1"
REQUIRED = ["Iso3_code", "Country", "Indicator", "Dimension", "Category", "Sex", "Age", "Year",
            "txtVALUE"]
FLOW_DIMENSIONS = {"by citizenship": "detected_victims",
                   "by country of repatriation": "repatriated_victims"}
FLOW_INDICATOR = "Detected trafficking victims"
SEX = {"Total": "total", "Female": "female", "Male": "male", "Other": "other",
       "Unknown": "unknown"}
AGE = {"Total": "total", "18 years or over": "adult", "0 to 17 years": "child",
       "Unknown": "unknown"}
KEY = ["year", "origin", "destination", "indicator", "sex", "age"]


def read(path: str | Path) -> ReadResult:
    """Read a GLOTIP export and return flows, quarantine and the full account of rows.

    Args:
        path: The ``.xlsx`` file as downloaded from dataUNODC.

    Returns:
        A :class:`~analysis.sources.results.ReadResult`.

    Raises:
        InputError: The file cannot be read as a GLOTIP export (the message says why and
            what to do).
    """
    path = Path(path)
    sheet, raw, header_row = _read_sheet(path)
    frame = _frame(raw, header_row, path)
    frame = frame.join(parse_values(frame["txtVALUE"]))
    # The export holds years as numbers or as text: the shared parser reads both.
    frame["year"], year_problem = parse_years(frame["Year"].map(_year_text))
    read_rows = frame[["year", "value_low", "value_high"]].copy()

    # Rules in order; each quarantined row keeps the first rule it broke. Rows stay in the
    # frame (the sieve marks them), so every column below stays aligned with it.
    sieve = Sieve(frame)
    high = frame["value_high"]  # nullable: NA breaks no rule here
    sieve.drop(frame["problem"] != "", frame["problem"], "txtVALUE", frame["txtVALUE"])
    sieve.drop(year_problem != "", year_problem, "Year", frame["Year"])
    sieve.drop((high > MAX_PLAUSIBLE).fillna(False),
               f"implausible count (over {MAX_PLAUSIBLE:,} in one cell): likely debris",
               "txtVALUE", frame["txtVALUE"])
    category = frame["Category"].fillna("").astype(str)
    note = _mapping_note(category)
    sieve.drop(category.str.contains("\ufffd"), "mis-encoded text (U+FFFD): the name cannot "
               "be verified from the file", "Category", frame["Category"], note)

    by_country = frame["Dimension"].isin(FLOW_DIMENSIONS)
    alive = pd.Series(sieve.alive, index=frame.index)
    harm = countries.harmonise(frame["Category"].where(by_country & alive, ""), SOURCE,
                               rows=frame["_row"])
    sieve.drop(by_country & (harm.kind == "debris"), "questionnaire debris, not data",
               "Category", frame["Category"], note)

    in_scope = by_country & (frame["Indicator"] == FLOW_INDICATOR)
    set_aside = frame[sieve.alive & ~in_scope]
    sieve.drop(in_scope & harm.kind.isin(["unknown", "aggregate"]),
               "citizenship is not a single country (" + harm.kind + ")", "Category",
               frame["Category"], note)
    sieve.drop(in_scope & (harm.kind == "unmatched"),
               "unmatched country name: add it to data/mappings/glotip.csv", "Category",
               frame["Category"])
    dest = _destination(frame)
    sieve.drop(in_scope & (dest == ""),
               "reporting country has no ISO3 code and its name is not in the mapping",
               "Country", frame["Country"])
    sieve.drop(in_scope & ~frame["Sex"].isin(SEX), "unknown sex label", "Sex", frame["Sex"])
    sieve.drop(in_scope & ~frame["Age"].isin(AGE), "unknown age label", "Age", frame["Age"])

    used = sieve.alive & in_scope.to_numpy()
    rows, dest, harm_iso, harm_kind = frame[used], dest[used], harm.iso3[used], harm.kind[used]
    other = harm_iso.where(harm_kind == "country", dest)  # "Nationals": the reporter itself
    indicator = rows["Dimension"].map(FLOW_DIMENSIONS)
    repatriated = indicator == "repatriated_victims"
    flows = pd.DataFrame({
        "year": rows["year"].astype(int),
        "origin": other.where(~repatriated, dest),
        "destination": dest.where(~repatriated, other),
        "indicator": indicator,
        "sex": rows["Sex"].map(SEX), "age": rows["Age"].map(AGE),
        "value_low": rows["value_low"].astype(int), "value_high": rows["value_high"].astype(int),
        "censored": rows["censored"], "source": SOURCE,
        "_raw": rows["Category"].astype(str), "_row": rows["_row"],
    })
    flows, dup_quarantine, duplicates = _resolve_duplicates(flows, frame)

    quarantined = sieve.table()
    if len(dup_quarantine):
        quarantined = pd.concat([quarantined, dup_quarantine], ignore_index=True)
    cons = conservation(read_rows, flows["_labels"].explode().dropna().astype(int).pipe(pd.Index),
                        quarantined, set_aside.index, SOURCE)
    aside = (set_aside.groupby(["Indicator", "Dimension"], as_index=False)
             .agg(rows=("_row", "size"), value_low=("value_low", "sum"),
                  value_high=("value_high", "sum")))
    aside["reason"] = "not a bilateral flow: kept out of the flows table"
    meta = {"file": str(path), "sheet": sheet, "header_row": header_row + 1,
            "export_stamp": _export_stamp(raw, header_row), "rows_read": len(read_rows)}
    return ReadResult(
        source=SOURCE, flows=tidy(flows, str(path)),
        quarantine=quarantined.sort_values("row").reset_index(drop=True),
        set_aside=aside, harmonisation=harm.report, duplicates=duplicates,
        conservation=cons, meta=meta)


def _year_text(value) -> str:
    """Return a Year cell as text: 2019.0 (how the workbook stores numbers) becomes '2019'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_sheet(path: Path) -> tuple[str, pd.DataFrame, int]:
    """Open the workbook and find the sheet and row holding the GLOTIP header."""
    check_file(path, "download the export again from dataUNODC")
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types for non-xlsx input
        raise InputError(str(path), f"not a readable Excel workbook ({type(exc).__name__}: "
                         f"{str(exc)[:120]})",
                         "give the .xlsx file as exported by dataUNODC; for CSV case data use "
                         "`ingest ctdc` or `ingest template`") from None
    names = [SHEET] + [s for s in book.sheet_names if s != SHEET]
    for sheet in (s for s in names if s in book.sheet_names):
        # python-calamine directly: pandas' per-cell conversion would double the read time.
        rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        raw = pd.DataFrame(rows, dtype=object).replace("", None)
        header_row = _find_header(raw)
        if header_row is not None:
            return sheet, raw, header_row
    raise InputError(
        str(path), f"no sheet has the GLOTIP header (a row with {', '.join(REQUIRED)}); "
        f"sheets found: {book.sheet_names}",
        "give the export as dataUNODC publishes it: sheet 'data_glotip_1', header on row 3",
        row=3)


def _find_header(raw: pd.DataFrame, scan: int = 20) -> int | None:
    """Return the 0-based row index of the header (the row holding 'Iso3_code')."""
    top = raw.head(scan)
    for i, row in top.iterrows():
        cells = {str(c).strip() for c in row}
        if "Iso3_code" in cells or "txtVALUE" in cells:
            return int(i)
    return None


def _frame(raw: pd.DataFrame, header_row: int, path: Path) -> pd.DataFrame:
    """Cut the data block below the header and check the required columns are present."""
    header = [str(h).strip() for h in raw.iloc[header_row]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        found = [h for h in header if h != "nan"]
        raise InputError(str(path), f"required column(s) missing: {missing}; columns found: "
                         f"{found}", "restore the column names as dataUNODC writes them "
                         f"({', '.join(REQUIRED)})", row=header_row + 1, column=missing[0])
    frame = raw.iloc[header_row + 1:].copy()
    frame.columns = header
    frame = frame.loc[:, ~pd.Index(header).duplicated()]
    frame["_row"] = frame.index + 1  # spreadsheet row number
    frame = frame[frame[REQUIRED].notna().any(axis=1)]
    for col in ("Iso3_code", "Country", "Indicator", "Dimension", "Sex", "Age"):
        frame[col] = frame[col].astype("string").str.strip()
    return frame


def _destination(frame: pd.DataFrame) -> pd.Series:
    """Return the reporting country's ISO3: the export's code, else its mapped name."""
    code = frame["Iso3_code"].fillna("").astype(str)
    missing = code == ""
    if missing.any():
        named = countries.harmonise(frame.loc[missing, "Country"], SOURCE)
        code = code.copy()
        code[missing] = named.iso3.where(named.kind == "country", "").to_numpy()
    return code


def _mapping_note(category: pd.Series) -> pd.Series:
    mapping = countries.load_mapping(SOURCE).set_index("raw")
    note = mapping["iso3"].where(mapping["iso3"] == "", "reviewer reads: " + mapping["iso3"])
    note = note.where(note != "", mapping["kind"] + ": " + mapping["note"])
    return category.fillna("").astype(str).map(note).fillna("")


def _resolve_duplicates(flows: pd.DataFrame, frame: pd.DataFrame):
    """Settle keys that repeat, so nothing is double counted and nothing silently lost.

    Same key and same value: the export repeats a row (e.g. "Nationals" beside the
    country's own name); it is counted once and the repeats are quarantined. Same key,
    different raw names, different values: distinct groups that harmonise to one country
    (e.g. "Burmese" and "Rohingya"): summed. Same key, same raw name, different values:
    a conflict: the first row is kept and the others quarantined.
    """
    flows = flows.copy()
    flows["_labels"] = [[i] for i in flows.index]
    dup = flows.duplicated(KEY, keep=False)
    if not dup.any():
        empty = pd.DataFrame(columns=[*KEY, "raw_names", "rows", "values", "action"])
        return flows, pd.DataFrame(columns=["_label"]), empty
    keep, quarantine, report = [flows[~dup]], [], []
    for key, grp in flows[dup].groupby(KEY, sort=True):
        values = list(zip(grp.value_low, grp.value_high, strict=True))
        if len(set(values)) == 1:
            action, kept, dropped = "same value repeated: counted once", grp.iloc[:1], grp.iloc[1:]
        elif grp["_raw"].nunique() == len(grp):
            merged = grp.iloc[:1].copy()
            merged["value_low"] = grp.value_low.sum()
            merged["value_high"] = grp.value_high.sum()
            merged["censored"] = grp.censored.any()
            merged.at[merged.index[0], "_labels"] = list(grp.index)
            action, kept, dropped = "distinct groups of one country: summed", merged, grp.iloc[:0]
        else:
            action, kept, dropped = "conflicting values: first kept", grp.iloc[:1], grp.iloc[1:]
        keep.append(kept)
        if len(dropped):
            mask = frame.index.isin(dropped.index)
            quarantine.append(quarantine_rows(frame, pd.Series(mask, index=frame.index),
                                              f"duplicate key ({action})", "Category",
                                              frame["Category"]))
        report.append({**dict(zip(KEY, key, strict=True)),
                       "raw_names": " / ".join(grp["_raw"]),
                       "rows": ", ".join(map(str, grp["_row"])),
                       "values": " / ".join(f"{lo}-{hi}" if lo != hi else f"{lo}"
                                            for lo, hi in values),
                       "action": action})
    q = pd.concat(quarantine, ignore_index=True) if quarantine else pd.DataFrame(columns=["_label"])
    return pd.concat(keep), q, pd.DataFrame(report)


def _export_stamp(raw: pd.DataFrame, header_row: int) -> str:
    """Return the export date the portal writes above the header (row 2), as text."""
    if header_row >= 2:
        return str(raw.iat[header_row - 1, 0])
    return ""
