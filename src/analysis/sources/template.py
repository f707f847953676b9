"""Reader for the project's own data template (CSV/XLSX): aggregate counts or one row per case."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import CalamineWorkbook

from analysis import countries
from analysis.errors import InputError
from analysis.flows import tidy
from analysis.sources.cases import aggregate_cases
from analysis.sources.csvfiles import check_file, csv_header, match_columns, read_csv_columns
from analysis.sources.results import ReadResult, Sieve, conservation, empty_duplicates
from analysis.sources.values import (
    MAX_PLAUSIBLE,
    age_label,
    parse_values,
    parse_years,
    sex_label,
)

MAPPING = "template"
SHEET = "data"
COUNTS_REQUIRED = ["year", "origin", "destination", "count"]
CASES_REQUIRED = ["year", "origin", "destination"]
OPTIONAL = ["indicator", "sex", "age", "case_id", "notes"]
INDICATORS = ("detected_victims", "repatriated_victims")
KEY = ["year", "origin", "destination", "indicator", "sex", "age"]
FIX = ("use the template in data/templates/ (see data/templates/README.md): columns year, "
       "origin, destination and count for counts, or case_id, year, origin, destination per "
       "case")


def read(path: str | Path) -> ReadResult:
    """Read a filled-in template: counts (with a ``count`` column) or one row per case.

    Args:
        path: A ``.csv`` (UTF-8) or ``.xlsx`` file laid out as data/templates/README.md says.

    Returns:
        A :class:`~analysis.sources.results.ReadResult` with source ``template_counts`` or
        ``template_cases``.

    Raises:
        InputError: The file cannot be read as the template (the message says why).
    """
    path = Path(path)
    frame, header, header_row = _load(path)
    form = _form(header, path, header_row)
    required = COUNTS_REQUIRED if form == "counts" else CASES_REQUIRED
    columns = match_columns(header, required, OPTIONAL, path, FIX, header_row)
    frame = frame.rename(columns={v: k for k, v in columns.items()})
    for col in OPTIONAL:
        if col not in frame:
            frame[col] = ""
    frame = frame[[*required, *OPTIONAL, "_row"]].copy()
    for col in (*required, *OPTIONAL):
        frame[col] = frame[col].astype(str).str.strip()
    if form == "counts":
        return _counts(frame, path, columns, header_row)
    return _cases(frame, path, columns, header_row)


def _form(header: list[str], path: Path, header_row: int) -> str:
    """Tell the forms apart by their marker column: ``count`` or ``case_id``, never a guess.

    A counts file whose ``count`` column was renamed would otherwise be read as cases,
    one victim per row: a silent misreading.
    """
    names = {h.strip().lower().replace(" ", "") for h in header}
    if "count" in names and "case_id" in names:
        raise InputError(str(path), "the header has both 'count' and 'case_id': the reader "
                         "cannot tell counts from cases", "keep 'count' for aggregate counts "
                         "or 'case_id' for one row per case, not both", row=header_row,
                         column="case_id")
    if "count" in names or "case_id" in names:
        return "counts" if "count" in names else "cases"
    raise InputError(str(path), f"neither a 'count' column (aggregate counts) nor a 'case_id' "
                     f"column (one row per case); columns found: {[h for h in header if h]}",
                     "name the column of counts 'count', or for case records add a 'case_id' "
                     "column (it may be blank); see data/templates/README.md",
                     row=header_row, column="count")


def _load(path: Path) -> tuple[pd.DataFrame, list[str], int]:
    """Read every cell as text; return the frame (with ``_row``), header and header row."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        return _load_sheet(path)
    if suffix not in (".csv", ".txt"):
        raise InputError(str(path), f"unsupported file type '{suffix}'",
                         "save the template as .csv (UTF-8) or .xlsx")
    header = csv_header(path, FIX)
    frame = read_csv_columns(path, header, {h: h for h in header if h})
    for col in frame.columns.drop("_row"):
        frame[col] = frame[col].astype(str)
    return frame, header, 1


def _load_sheet(path: Path) -> tuple[pd.DataFrame, list[str], int]:
    """Read the sheet ``data`` (else the first sheet with a header row holding ``year``)."""
    check_file(path, "fill in the template in data/templates/ and save it again")
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types for files that are not workbooks
        raise InputError(str(path), f"not a readable workbook ({type(exc).__name__}: "
                         f"{str(exc)[:120]})", "save the template as .xlsx, or as .csv "
                         "with a .csv name") from None
    names = [SHEET] + [s for s in book.sheet_names if s != SHEET]
    for sheet in (s for s in names if s in book.sheet_names):
        rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        for i, row in enumerate(rows[:20]):
            header = [_cell(c).strip() for c in row]
            if "year" in {h.lower() for h in header}:
                body = pd.DataFrame([[_cell(c) for c in r] for r in rows[i + 1:]],
                                    columns=range(len(header)), dtype=object)
                _check_names(path, header, i + 1)
                body.columns = [h or f"_blank{j}" for j, h in enumerate(header)]
                body["_row"] = np.arange(i + 2, i + 2 + len(body))
                blank = (body.drop(columns="_row").apply(lambda c: c.str.strip()) == "").all(axis=1)
                return body[~blank], header, i + 1
    raise InputError(str(path), f"no sheet has a header row with 'year' in its first 20 rows; "
                     f"sheets found: {book.sheet_names}", FIX, row=1)


def _check_names(path: Path, header: list[str], row: int) -> None:
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise InputError(str(path), f"column name(s) repeated in the header: {repeated}",
                         "give each column a unique name", row=row, column=repeated[0])


def _cell(value) -> str:
    """Spreadsheet cell as text; whole numbers without '.0' (Excel stores 2019 as 2019.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _counts(frame: pd.DataFrame, path: Path, columns: dict, header_row: int) -> ReadResult:
    """Aggregate form: one row per year, origin, destination (and sex, age) with a count."""
    frame = frame.join(parse_values(frame["count"].where(frame["count"] != "", None)))
    frame["_year_raw"] = frame["year"]
    frame["year"], year_problem = parse_years(frame["year"])
    frame = _defaults(frame)
    read_rows = frame[["year", "value_low", "value_high"]]
    sieve = Sieve(frame)
    sieve.drop(frame["problem"] != "", frame["problem"], "count", frame["count"])
    _common_rules(sieve, frame, year_problem)
    sieve.drop(frame["value_high"].fillna(0) > MAX_PLAUSIBLE, f"implausible count (over "
               f"{MAX_PLAUSIBLE:,} in one cell): check for a typing error", "count",
               frame["count"])
    iso, harm = _countries(sieve, frame)
    used = frame[sieve.alive].assign(origin=iso["origin"][sieve.alive],
                                     destination=iso["destination"][sieve.alive])
    used, duplicates = _duplicates(sieve, frame, used)
    flows = used.assign(source="template_counts", year=used["year"].astype(int),
                        value_low=used["value_low"].astype(int),
                        value_high=used["value_high"].astype(int))
    flows = tidy(flows, str(path))
    return _result("template_counts", frame, read_rows, flows, sieve, (harm, duplicates),
                   path, columns, header_row)


def _cases(frame: pd.DataFrame, path: Path, columns: dict, header_row: int) -> ReadResult:
    """Case form: one row per victim, counted per year, origin and destination."""
    frame["_year_raw"] = frame["year"]
    frame["year"], year_problem = parse_years(frame["year"])
    frame["value_low"] = frame["value_high"] = np.int64(1)
    frame = _defaults(frame)
    read_rows = frame[["year", "value_low", "value_high"]]
    sieve = Sieve(frame)
    _common_rules(sieve, frame, year_problem)
    sieve.drop(frame["sex"] == "total", "a case has one sex, not 'total'", "sex",
               frame["_sex_raw"])
    sieve.drop(frame["age"] == "total", "a case has one age, not 'total'", "age",
               frame["_age_raw"])
    iso, harm = _countries(sieve, frame)
    alive = pd.Series(sieve.alive, index=frame.index)
    repeated = alive & (frame["case_id"] != "") & frame["case_id"].where(alive).duplicated()
    duplicates = _case_duplicates(frame, repeated)
    sieve.drop(repeated, "duplicate case_id: the case is counted once", "case_id",
               frame["case_id"])
    alive = sieve.alive
    cases = pd.DataFrame({"year": frame["year"][alive].astype(int),
                          "origin": iso["origin"][alive], "destination": iso["destination"][alive],
                          "indicator": frame["indicator"][alive],
                          "sex": frame["sex"][alive], "age": frame["age"][alive]})
    breakdowns = tuple(c for c in ("sex", "age") if c in columns)
    parts = [aggregate_cases(grp.drop(columns="indicator"), "template_cases", str(path),
                             breakdowns).assign(indicator=ind)
             for ind, grp in cases.groupby("indicator")]
    flows = tidy(pd.concat(parts, ignore_index=True) if parts else _no_flows(), str(path))
    return _result("template_cases", frame, read_rows, flows, sieve, (harm, duplicates),
                   path, columns, header_row)


def _defaults(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill the optional columns: indicator detected_victims, sex and age total (or unknown)."""
    case = "count" not in frame
    frame["indicator"] = frame["indicator"].str.lower().replace("", "detected_victims")
    blank = "unknown" if case else "total"
    frame["_sex_raw"], frame["_age_raw"] = frame["sex"], frame["age"]
    for col, label in (("sex", sex_label), ("age", age_label)):  # once per distinct text
        seen = {v: blank if v == "" else (label(v) or "?") for v in frame[col].unique()}
        frame[col] = frame[col].map(seen)
    return frame


def _common_rules(sieve: Sieve, frame: pd.DataFrame, year_problem: pd.Series) -> None:
    """Quarantine rules shared by both forms: year, indicator, sex, age."""
    sieve.drop(year_problem != "", year_problem, "year", frame["_year_raw"])
    sieve.drop(~frame["indicator"].isin(INDICATORS), "unknown indicator (allowed: "
               f"{', '.join(INDICATORS)})", "indicator", frame["indicator"])
    sieve.drop(frame["sex"] == "?", "unknown sex label (allowed: total, female, male, other, "
               "unknown)", "sex", frame["_sex_raw"])
    sieve.drop(frame["age"] == "?", "unknown age label (allowed: total, adult, child, "
               "unknown, or an age in years)", "age", frame["_age_raw"])


def _countries(sieve: Sieve, frame: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    """Harmonise origin and destination (mapping file, then country_converter); quarantine."""
    out, reports = {}, []
    for col in ("origin", "destination"):
        harm = countries.harmonise(frame[col], MAPPING, rows=frame["_row"])
        suggestion = frame[col].map(dict(zip(harm.report.get("raw", []),
                                             harm.report.get("suggestion", []),
                                             strict=True))).astype(object).fillna("")
        sieve.drop(harm.kind == "unknown", f"{col} missing or unknown", col, frame[col],
                   _notes(frame[col]))
        sieve.drop(harm.kind.isin(["aggregate", "debris", "nationals"]),
                   f"{col} is not a single country", col, frame[col], _notes(frame[col]))
        sieve.drop(harm.kind == "unmatched", f"unmatched {col} name: correct it or add it to "
                   "data/mappings/template.csv", col, frame[col], suggestion)
        out[col] = harm.iso3
        report = harm.report
        # An exact ISO3 code needs no review; names and other guesses are listed.
        reports.append(report[report["raw"] != report["iso3"]].assign(column=col))
    return out, pd.concat(reports, ignore_index=True)


def _notes(raw: pd.Series) -> pd.Series:
    mapping = countries.load_mapping(MAPPING).set_index("raw")
    return raw.map(mapping["note"]).fillna("")


def _duplicates(sieve: Sieve, frame: pd.DataFrame, used: pd.DataFrame):
    """Repeated keys: the same value is counted once; conflicting values are all quarantined.

    A researcher's own table should not hold two numbers for one cell; rather than pick
    one, none is used and the report lists both for the researcher to settle.
    """
    dup = used.duplicated(KEY, keep=False)
    if not dup.any():
        return used, empty_duplicates()
    report, drop_same, drop_conflict = [], [], []
    for key, grp in used[dup].groupby(KEY, sort=True):
        values = list(zip(grp.value_low, grp.value_high, strict=True))
        same = len(set(values)) == 1
        (drop_same if same else drop_conflict).extend(grp.index[1:] if same else grp.index)
        report.append({**dict(zip(KEY, key, strict=True)),
                       "raw_names": " / ".join(f"{o} -> {d}" for o, d in
                                               zip(grp.origin, grp.destination, strict=True)),
                       "rows": ", ".join(map(str, frame.loc[grp.index, "_row"])),
                       "values": " / ".join(f"{lo}" if lo == hi else f"{lo}-{hi}"
                                            for lo, hi in values),
                       "action": "same value repeated: counted once" if same else
                       "conflicting values: none used, correct the file"})
    idx = frame.index
    sieve.drop(idx.isin(drop_same), "duplicate key (same value repeated: counted once)",
               "count", frame["count"])
    sieve.drop(idx.isin(drop_conflict), "duplicate key with conflicting values: none used",
               "count", frame["count"])
    return used[sieve.alive[idx.get_indexer(used.index)]], pd.DataFrame(report)


def _case_duplicates(frame: pd.DataFrame, repeated: pd.Series) -> pd.DataFrame:
    """List case ids that repeat (the repeats are quarantined, the first row counted)."""
    if not repeated.any():
        return empty_duplicates()
    ids = frame.loc[repeated, "case_id"].unique()
    sel = frame[frame["case_id"].isin(ids)]
    out = sel.groupby("case_id", sort=True).agg(
        year=("year", "first"), origin=("origin", "first"), destination=("destination", "first"),
        rows=("_row", lambda r: ", ".join(map(str, r))), n=("_row", "size")).reset_index()
    out["raw_names"] = "case_id " + out["case_id"]
    out["values"] = out["n"].astype(str) + " rows"
    out["action"] = "same case_id repeated: counted once"
    return out[empty_duplicates().columns]


def _no_flows() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in (
        ("year", int), ("origin", str), ("destination", str), ("indicator", str), ("sex", str),
        ("age", str), ("value_low", int), ("value_high", int), ("censored", bool),
        ("source", str))})


def _result(source, frame, read_rows, flows, sieve, reports, path, columns,
            header_row) -> ReadResult:
    """Assemble the reader's result: quarantine, conservation account and facts."""
    harmonisation, duplicates = reports
    quarantine = sieve.table()
    cons = conservation(read_rows, frame.index[sieve.alive], quarantine, pd.Index([]), source)
    ignored = [c for c in frame.columns if c.startswith("_blank")]
    meta = {"file": str(path), "form": source.split("_")[1], "header_row": header_row,
            "rows_read": len(frame), "columns_used": ", ".join(columns.values())}
    if ignored:
        meta["blank_header_cells"] = len(ignored)
    return ReadResult(source=source, flows=flows, quarantine=quarantine,
                      set_aside=pd.DataFrame(columns=["reason", "rows"]),
                      harmonisation=harmonisation, duplicates=duplicates,
                      conservation=cons, meta=meta)
