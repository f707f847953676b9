"""What every reader returns: flows, quarantined rows with reasons, and the conservation account."""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from analysis.errors import InputError
from analysis.flows import parse_count, tidy

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


# --- Shared by the case-level and template readers (CTDC, template counts and cases) ---------

#: One cell above this is not a plausible number of victims in one route and year.
MAX_PLAUSIBLE = 100_000
FIRST_YEAR = 1990
CASE_KEY = ["year", "origin", "destination"]
SEX_LABELS = {"total": "total", "female": "female", "f": "female", "woman": "female",
              "male": "male", "m": "male", "man": "male", "other": "other",
              "transgender/nonbinary": "other", "transgender": "other", "nonbinary": "other",
              "unknown": "unknown", "-99": "unknown", "": "unknown"}
AGE_LABELS = {"total": "total", "adult": "adult", "child": "child", "minor": "child",
              "unknown": "unknown", "-99": "unknown", "": "unknown"}


def check_file(path: Path, fix: str) -> None:
    """Raise an :class:`InputError` when ``path`` is missing or empty.

    Args:
        path: The input file.
        fix: What to do when the file is empty.
    """
    if not path.exists():
        raise InputError(str(path), "file not found", "check the path")
    if path.is_dir():
        raise InputError(str(path), "this is a folder, not a file", "give the data file itself")
    if path.stat().st_size == 0:
        raise InputError(str(path), "the file is empty (0 bytes)", fix)


def csv_header(path: Path, fix: str) -> list[str]:
    """Read and check the first line of a CSV file: UTF-8, not blank, no repeated names.

    Args:
        path: The CSV file.
        fix: What to do when there is no header.

    Returns:
        The column names as written (stripped of spaces).
    """
    check_file(path, fix)
    try:
        with open(path, "rb") as fh:
            first = fh.readline(1 << 20)
    except OSError as exc:
        raise InputError(str(path), f"the file cannot be opened ({exc.strerror or exc})",
                         "check that the file is readable (permissions, not open elsewhere)"
                         ) from None
    if first.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # zip (xlsx) or old .xls
        raise InputError(str(path), "this is a spreadsheet workbook, not a CSV text file",
                         "for a GLOTIP export use `ingest glotip`; for the template use a "
                         ".xlsx name; otherwise save the sheet as CSV UTF-8", row=1)
    try:
        line = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"the header is not UTF-8 text (byte {first[exc.start]:#x} "
                         f"at position {exc.start})", "save the file as CSV UTF-8 (in Excel: "
                         "File > Save As > 'CSV UTF-8')", row=1) from None
    names = [n.strip() for n in next(csv.reader([line]), [])]
    if not any(names):
        raise InputError(str(path), "the first line is blank: no header row", fix, row=1)
    repeated = sorted({n for n in names if names.count(n) > 1 and n})
    if repeated:
        raise InputError(str(path), f"column name(s) repeated in the header: {repeated}",
                         "give each column a unique name", row=1, column=repeated[0])
    return names


def match_columns(found: list[str], required: list[str], optional: list[str], path: Path,
                  fix: str, header_row: int = 1) -> dict[str, str]:
    """Find the columns a reader needs, ignoring case and spaces.

    Args:
        found: The header as written.
        required: Canonical names that must be present.
        optional: Canonical names used when present.
        path: The file, for the message.
        fix: What to do when columns are missing.
        header_row: The header's row number, for the message.

    Returns:
        Canonical name -> name as written in the file.

    Raises:
        InputError: Naming the columns needed, the columns found and the closest matches.
    """
    norm = {f.strip().lower().replace(" ", ""): f for f in found if f}
    out = {c: norm[c.lower()] for c in (*required, *optional) if c.lower() in norm}
    missing = [c for c in required if c not in out]
    if missing:
        close = {m: difflib.get_close_matches(m.lower(), list(norm), n=1, cutoff=0.6)
                 for m in missing}
        hints = "; ".join(f"'{norm[c[0]]}' for '{m}'?" for m, c in close.items() if c)
        raise InputError(str(path), f"required column(s) missing: {missing}; columns needed: "
                         f"{required}; columns found: {[f for f in found if f]}",
                         fix + (f" (closest found: {hints})" if hints else ""),
                         row=header_row, column=missing[0])
    return out


def read_csv_columns(path: Path, header: list[str], columns: dict[str, str]) -> pd.DataFrame:
    """Read the chosen columns of a CSV file as categorical text, fast and exactly as written.

    Nothing is turned into a missing value ("NA" is Namibia; "-99" stays "-99"); every
    row keeps its line number (``_row``, the header being line 1) for the messages.

    Args:
        path: The CSV file (UTF-8).
        header: Its header, from :func:`csv_header`.
        columns: Canonical name -> name as written, from :func:`match_columns`.

    Returns:
        One categorical column per canonical name, plus ``_row``.

    Raises:
        InputError: A line has the wrong number of fields or is not UTF-8 text.
    """
    bad = []

    def invalid(row):  # called only for malformed lines; they are located afterwards
        bad.append(row.text)
        return "skip"

    text = pa.dictionary(pa.int32(), pa.string())
    # Columns by position: the header as written may carry spaces or odd case.
    position = {f"c{i}": canonical for canonical, name in columns.items()
                for i, h in enumerate(header) if h == name}
    try:
        table = pacsv.read_csv(
            path, read_options=pacsv.ReadOptions(column_names=[f"c{i}" for i in
                                                               range(len(header))], skip_rows=1),
            parse_options=pacsv.ParseOptions(invalid_row_handler=invalid,
                                             ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(position), column_types=dict.fromkeys(position, text),
                strings_can_be_null=False, quoted_strings_can_be_null=False, null_values=[]))
    except (pa.ArrowException, OSError) as exc:
        if "UTF8" in str(exc):
            raise _encoding_error(path, header) from None
        raise InputError(str(path), f"not a readable CSV file ({str(exc)[:160]})",
                         "save the file as CSV UTF-8 with one header line") from None
    if bad:
        raise _field_count_error(path, header, len(bad))
    lines = _count_lines(path)
    if table.num_rows != lines - 1:  # a quote left open swallowed line ends: rows would shift
        raise _quote_error(path, table.num_rows, lines)
    frame = table.rename_columns([position[n] for n in table.column_names]).to_pandas()
    frame["_row"] = np.arange(2, len(frame) + 2)
    return frame


def _count_lines(path: Path) -> int:
    """Count the lines of a file as a CSV reader sees them (a last line without newline too)."""
    count, last = 0, b"\n"
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 24), b""):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def _quote_error(path: Path, rows: int, lines: int) -> InputError:
    """Locate the first line with an unbalanced quote (only runs when rows and lines differ)."""
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if raw.count(b'"') % 2:
                return InputError(str(path), "a quote (\") opened on this line is not closed, "
                                  f"so line ends were read as part of a value ({lines - 1} "
                                  f"data lines, {rows} rows)", "remove the stray quote, or "
                                  "double it (\"\") inside a quoted value", row=number,
                                  examples="    " + raw.decode("utf-8", "replace")[:200])
    return InputError(str(path), f"{lines - 1} data lines were read as {rows} rows",
                      "save the file as CSV UTF-8 with one record per line")


def _encoding_error(path: Path, header: list[str]) -> InputError:
    """Locate the first line that is not UTF-8 (only runs when reading has failed)."""
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                before = raw[:exc.start].decode("utf-8", errors="replace")
                field = len(next(csv.reader([before]), [""])) - 1 if before else 0
                column = header[field] if 0 <= field < len(header) else None
                return InputError(str(path), f"text is not UTF-8 (byte {raw[exc.start]:#x}; "
                                  "probably saved as Windows-1252/Latin-1)",
                                  "save the file as CSV UTF-8 (in Excel: File > Save As > "
                                  "'CSV UTF-8'), or convert it with `iconv -f cp1252 -t utf-8`",
                                  row=number, column=column)
    return InputError(str(path), "text is not UTF-8", "save the file as CSV UTF-8")


def _field_count_error(path: Path, header: list[str], n_bad: int) -> InputError:
    """Locate the first line whose number of fields differs from the header's."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        for number, fields in enumerate(csv.reader(fh), start=1):
            if number > 1 and fields and len(fields) != len(header):
                return InputError(
                    str(path), f"{n_bad} line(s) have a different number of fields from the "
                    f"header ({len(header)}); this one has {len(fields)}",
                    "check for a stray comma or quote on that line, or a value containing "
                    "a comma that is not in quotes", row=number,
                    examples="    " + ",".join(fields)[:200])
    return InputError(str(path), f"{n_bad} malformed line(s)", "check the CSV quoting")


def parse_years(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a categorical or text column of years; each distinct text is parsed once.

    Returns:
        The year (nullable Int64) and the problem text ('' when usable), aligned with
        ``text``. Future years and years before 1990 are problems.
    """
    cat = text.astype("category")
    this_year = date.today().year
    years, problems = [], []
    for raw in cat.cat.categories:
        year, problem = _parse_year(str(raw), this_year)
        years.append(year)
        problems.append(problem)
    codes = cat.cat.codes.to_numpy()
    year_arr = pd.array([*years, None], dtype="Int64")
    prob_arr = np.array([*problems, "year is empty"], dtype=object)
    return (pd.Series(year_arr[codes], index=text.index),
            pd.Series(prob_arr[codes], index=text.index))


def _parse_year(raw: str, this_year: int) -> tuple[int | None, str]:
    s = raw.strip()
    if s in ("", "-99"):
        return None, f"year missing ({s!r})"
    try:
        value = float(s)
    except ValueError:
        return None, f"year is not a number: {s!r}"
    if not value.is_integer():
        return None, f"year is not a whole number: {s!r}"
    year = int(value)
    if year > this_year:
        return year, f"year in the future (after {this_year})"
    if year < FIRST_YEAR:
        return year, f"year before {FIRST_YEAR}"
    return year, ""


def per_unique(values: pd.Series, func) -> pd.Series:
    """Apply ``func`` once per distinct text of ``values``; return the results as categorical.

    Args:
        values: Text (categorical or not); missing values are passed to ``func`` as ``''``.
        func: Text -> result (``None`` becomes the empty string).

    Returns:
        A categorical Series aligned with ``values``.
    """
    cat = values.astype("category")
    results = [func(str(c)) for c in cat.cat.categories] + [func("")]
    res = np.array(["" if r is None else str(r) for r in results], dtype=object)
    uniq, inv = np.unique(res, return_inverse=True)
    codes = inv[cat.cat.codes.to_numpy()]  # code -1 (missing) picks the last result
    return pd.Series(pd.Categorical.from_codes(codes, categories=uniq), index=values.index)


def sex_label(raw: str) -> str | None:
    """Map a sex/gender label to the flows vocabulary (``None`` when not recognised)."""
    return SEX_LABELS.get(raw.strip().lower())


def age_label(raw: str) -> str | None:
    """Map an age label, an age in years or a CTDC band (``9--17``, ``48+``) to adult/child.

    Returns:
        ``adult``, ``child``, ``unknown``, ``total`` or ``None`` when not recognised.
    """
    s = raw.strip().lower()
    if s in AGE_LABELS:
        return AGE_LABELS[s]
    band = s.replace("–", "--").split("--")
    try:
        if len(band) == 2:
            low, high = int(band[0]), int(band[1])
            return "child" if high < 18 else "adult" if low >= 18 else None
        if s.endswith("+"):
            return "adult" if int(s[:-1]) >= 18 else None
        value = float(s)
    except ValueError:
        return None
    if not value.is_integer() or not 0 <= value < 130:
        return None
    return "child" if value < 18 else "adult"


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


def aggregate_cases(cases: pd.DataFrame, source: str, file: str,
                    breakdowns: tuple[str, ...] = ("sex", "age")) -> pd.DataFrame:
    """Count case rows per year, origin and destination into flows (detected victims).

    The ``sex=total, age=total`` rows are the complete counts; rows by sex (age total) and
    by age (sex total) are added for the breakdowns present, never summed into the totals.

    Args:
        cases: One row per case: year, origin, destination (ISO3), and sex/age labels.
        source: Source id written into the flows.
        file: The input file, for schema messages.
        breakdowns: Which of ``sex`` and ``age`` to break down by.

    Returns:
        The tidy flows table.
    """
    parts = []
    for by in (None, *breakdowns):
        keys = [*CASE_KEY, by] if by else CASE_KEY
        counts = cases.groupby(keys, observed=True, sort=False).size().reset_index(name="n")
        counts["sex"] = counts["sex"] if by == "sex" else "total"
        counts["age"] = counts["age"] if by == "age" else "total"
        parts.append(counts)
    flows = pd.concat(parts, ignore_index=True)
    flows = flows.assign(indicator="detected_victims", value_low=flows["n"],
                         value_high=flows["n"], censored=False, source=source)
    for col in ("origin", "destination", "sex", "age"):
        flows[col] = flows[col].astype(str)
    return tidy(flows, file)


def empty_duplicates() -> pd.DataFrame:
    """Return an empty repeated-keys table with the columns the ingest report shows."""
    return pd.DataFrame(columns=["year", "origin", "destination", "raw_names", "rows", "values",
                                 "action"])
