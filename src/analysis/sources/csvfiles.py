"""Reading CSV files as published: header checks, column matching, errors that say the fix."""

from __future__ import annotations

import csv
import difflib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from analysis.errors import InputError


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
    try:
        names = [n.strip() for n in next(csv.reader([line]), [])]
    except csv.Error as exc:  # a carriage return inside the first line, or worse
        raise _header_error(path, line, exc) from None
    if not any(names):
        raise InputError(str(path), "the first line is blank: no header row", fix, row=1)
    if _semicolon_separated(line, len(names)):
        raise semicolon_error(path, row=1, line=line)
    repeated = sorted({n for n in names if names.count(n) > 1 and n})
    if repeated:
        raise InputError(str(path), f"column name(s) repeated in the header: {repeated}",
                         "give each column a unique name", row=1, column=repeated[0])
    return names


def _split(text: str) -> list[str]:
    """Split one line into CSV fields; a line the csv module refuses counts as one field."""
    try:
        return next(csv.reader([text]), [""])
    except csv.Error:
        return [text]


def _header_error(path: Path, line: str, exc: csv.Error) -> InputError:
    """Explain a first line the csv module cannot split (old Mac line ends, usually)."""
    if "\r" in line.rstrip("\r\n"):
        return InputError(str(path), "a carriage return (\\r) inside the first line: the "
                          "file probably ends lines with \\r alone (the old Mac format)",
                          "re-save the file as CSV UTF-8, or convert the line ends: "
                          "`tr '\\r' '\\n' < FILE > FIXED.csv`", row=1)
    return InputError(str(path), f"the header line cannot be read as CSV ({exc})",
                      "save the file as CSV UTF-8 with one header line", row=1)


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
                field = len(_split(before)) - 1 if before else 0
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
                line = ",".join(fields)
                if _semicolon_separated(line, len(fields), len(header)):
                    return semicolon_error(path, row=number, line=line)
                return InputError(
                    str(path), f"{n_bad} line(s) have a different number of fields from the "
                    f"header ({len(header)}); this one has {len(fields)}",
                    "check for a stray comma or quote on that line, or a value containing "
                    "a comma that is not in quotes", row=number,
                    examples="    " + ",".join(fields)[:200])
    return InputError(str(path), f"{n_bad} malformed line(s)", "check the CSV quoting")


#: How to re-save a semicolon-separated file; Excel in a European locale writes ';' when
#: asked for "CSV" because ',' is that locale's decimal sign.
SEMICOLON_FIX = ("re-save it with commas: in Excel, File > Save As > 'CSV UTF-8 (Comma "
                 "delimited) (*.csv)'; in LibreOffice, Save As > Text CSV with field "
                 "delimiter ','; or save the sheet as .xlsx (the template reader takes it)")


def _semicolon_separated(line: str, n_comma_fields: int, expected: int | None = None) -> bool:
    """Tell whether a line is split by semicolons: more fields on ';' than on ','.

    When ``expected`` is given, the ';' split must also give that many fields (a data
    line of a comma header).
    """
    if "\n" in line.rstrip("\r\n") or "\r" in line.rstrip("\r\n"):
        return False  # a quoted value spanning lines: a quoting problem, not the delimiter
    try:
        fields = next(csv.reader([line.rstrip("\r\n")], delimiter=";"), [])
    except csv.Error:
        return False
    if len(fields) < 2 or len(fields) <= n_comma_fields:
        return False
    return expected is None or len(fields) == expected


def semicolon_error(path: Path, row: int, line: str) -> InputError:
    """Return the error for a file whose fields are separated by semicolons, not commas."""
    return InputError(str(path), "this looks semicolon-separated (fields split by ';', not "
                      "',': a CSV saved by Excel in a European locale), so its columns cannot "
                      "be told apart", SEMICOLON_FIX, row=row,
                      examples="    " + line.strip()[:200])
