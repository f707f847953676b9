"""Reader for World Bank WDI bulk CSVs: GDP per capita PPP (constant 2021 $) and population."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

import analysis
from analysis import countries, paths, provenance, schemas
from analysis.errors import InputError

#: Bump when a reader's output changes; written into the provenance record.
READER_VERSION = "1"
SHARED_DIR = ("wdi_gdppc_pop",)
OUT_FILE = "wdi.csv"
FIRST_YEAR, LAST_YEAR = 1990, 2024
#: Indicator code -> output column; the file for each is found by its code.
INDICATORS = {"NY.GDP.PCAP.PP.KD": "gdppc_ppp", "SP.POP.TOTL": "population"}
ID_COLUMNS = ["Country Name", "Country Code", "Indicator Name", "Indicator Code"]
PREAMBLE = '"Data Source","World Development Indicators"'
#: Codes the project accepts although ISO 3166 does not assign them (Kosovo, user-assigned).
PROJECT_CODES = {"XKX"}
CITATION = {
    "source": "wdi",
    "producer": "The World Bank, World Development Indicators",
    "title": "GDP per capita, PPP (constant 2021 international $) (NY.GDP.PCAP.PP.KD) and "
             "Population, total (SP.POP.TOTL), WDI update of 2025-07-01",
    "citation": "World Bank, World Development Indicators (2025-07-01)",
    "licence": "CC BY 4.0",
    "caveat": "Constant 2021 international $: never mix with older downloads on the 2017 base; "
              "every WDI update revises back years. Missing values stay missing. Taiwan is "
              "not in WDI.",
}

WDI = pa.DataFrameSchema(
    {
        "iso3": pa.Column(str, pa.Check.str_matches(schemas.ISO3)),
        "year": pa.Column(int, pa.Check.in_range(FIRST_YEAR, LAST_YEAR)),
        "gdppc_ppp": pa.Column(float, pa.Check.gt(0), nullable=True),
        "population": pa.Column("Int64", pa.Check.gt(0), nullable=True),
    },
    checks=[pa.Check(lambda d: ~d.duplicated(["iso3", "year"]), name="one row per iso3-year")],
    strict=True,
    ordered=True,
    coerce=True,
)


# --------------------------------------------------------------------------- shared helpers
# Used by the four covariate readers (wdi, cepii, undesa, japan_official).


@dataclass
class Derived:
    """A reader's full output, for ``regenerate``.

    Attributes:
        table: The tidy table.
        quarantine: Rows not used: file, row, column, raw_value, reason.
        meta: Facts for the provenance record and the report (rows read, used...).
        inputs: The files read, for the provenance record.
        source: What was given to the reader (a file or a folder), for the rebuild command.
    """

    table: pd.DataFrame
    quarantine: pd.DataFrame
    meta: dict = field(default_factory=dict)
    inputs: list[Path] = field(default_factory=list)
    source: Path | None = None


QUARANTINE_COLUMNS = ["file", "row", "column", "raw_value", "reason"]


def quarantine(frame: pd.DataFrame, mask: pd.Series, column: str, reason) -> pd.DataFrame:
    """Return quarantine records for the rows of ``frame`` in ``mask``.

    Args:
        frame: Raw rows with ``_file`` and ``_row`` (the row number a spreadsheet shows).
        mask: Rows to quarantine.
        column: The column whose value is the reason.
        reason: One text, or a Series of texts aligned with ``frame``.
    """
    sel = frame[mask]
    why = reason[mask] if isinstance(reason, pd.Series) else reason
    return pd.DataFrame({"file": sel["_file"], "row": sel["_row"], "column": column,
                         "raw_value": sel[column] if column in sel else "", "reason": why},
                        columns=QUARANTINE_COLUMNS)


def collect(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate quarantine records, sorted by file and row (an empty frame if none)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=QUARANTINE_COLUMNS)
    return pd.concat(parts, ignore_index=True).sort_values(["file", "row"], ignore_index=True)


def require_columns(found: list[str], required: list[str], path: Path, row: int,
                    fix: str) -> None:
    """Raise an InputError naming the first required column the header lacks.

    Raises:
        InputError: A required column is missing (a wrong or shifted header).
    """
    missing = [c for c in required if c not in found]
    if missing:
        raise InputError(str(path), f"required column(s) missing: {missing}; the header row "
                         f"has {found[:8]}{' ...' if len(found) > 8 else ''}", fix, row=row,
                         column=missing[0])


def read_text_csv(path: Path, required: list[str], fix: str, **kw) -> pd.DataFrame:
    """Read a CSV as text (no NA guessing: Namibia's ``NA`` survives), stripped, with row numbers.

    Raises:
        InputError: The file is missing, not a CSV, or lacks a required column.
    """
    if not path.is_file():
        raise InputError(str(path), "file not found", fix)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, **kw)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"not a readable CSV ({exc})", fix) from None
    header_row = 1 + kw.get("skiprows", 0)
    require_columns(list(raw.columns), required, path, header_row, fix)
    frame = raw.apply(lambda s: s.str.strip())
    frame["_row"] = frame.index + header_row + 1
    frame["_file"] = path.name
    return frame


def valid_iso3(codes: pd.Series) -> pd.Series:
    """Return True where a code is an ISO 3166-1 alpha-3 code (or the project's XKX)."""
    uniques = [c for c in codes.unique() if isinstance(c, str) and len(c) == 3]
    found = countries.convert(uniques, src="ISO3") if uniques else []
    ok = {c for c, k in zip(uniques, found, strict=True) if k == c} | PROJECT_CODES
    return codes.isin(ok)


def load_derived(data_dir: str | Path | None, name: str, derive: str,
                 schema: pa.DataFrameSchema, **read_kw) -> pd.DataFrame:
    """Load a derived table, checking its provenance record and schema.

    Args:
        data_dir: Folder holding the table (default: the committed ``data/processed``).
        name: File name (``wdi.csv``...).
        derive: The ``python -m analysis derive`` argument that rebuilds it.
        schema: The pandera schema to check.
        **read_kw: Extra arguments for :func:`pandas.read_csv`.

    Raises:
        InputError: The table is missing, changed since its record, or breaks its schema.
    """
    path = Path(data_dir or paths.PROCESSED) / name
    fix = f"run `python -m analysis derive {derive}` to regenerate it"
    if not path.exists():
        raise InputError(str(path), "derived table not found", fix)
    try:
        provenance.verify(path)
    except ValueError as exc:
        raise InputError(str(path), str(exc), fix) from None
    frame = pd.read_csv(path, **read_kw)
    return schemas.validate(frame, schema, str(path))


def registry_facts(source_id: str) -> dict[str, str]:
    """Return what the source registry says about a source, as provenance records carry it."""
    from analysis.sources import registry  # lazy: the registry imports readers lazily too

    record = registry.get(source_id)
    return {k: getattr(record, k) for k in ("producer", "title", "citation", "url", "licence",
                                            "unit", "caveat", "kind")}


def write_derived(result: Derived, out_dir: Path, name: str, module: str, citation: dict,
                  schema: str, report_title: str) -> list[Path]:
    """Write a table, its provenance record and (if rows were quarantined) a report, atomically.

    The record holds the registry's facts about the source, overridden by ``citation`` (the
    table's own title and caveat), the inputs' checksums, the reader and the row counts.

    Everything is written into a temporary folder beside the targets first; only when all of
    it is written are the files moved into place with :func:`os.replace`, so a failure never
    leaves a half-written table or a record that does not match its table.

    Returns:
        The paths written (table, record and, if any rows were quarantined, the report).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = name.removesuffix(".csv")
    report = out_dir / f"{stem}_report.md"
    tmp = Path(tempfile.mkdtemp(prefix=f".{stem}-", dir=out_dir))
    try:
        table = tmp / name
        result.table.to_csv(table, index=False, lineterminator="\n")
        record = {**registry_facts(citation["source"]), **citation,
                  "schema": f"{module}.{schema}",
                  "inputs": [{"file": p.name, "sha256": provenance.sha256(p),
                              "bytes": p.stat().st_size} for p in result.inputs],
                  "reader": f"{module} {READER_VERSION} (analysis {analysis.__version__})",
                  "rows": len(result.table), "rows_quarantined": len(result.quarantine),
                  **{k: v for k, v in result.meta.items() if isinstance(v, int | str)},
                  "regenerate": f"python -m analysis derive {module.rsplit('.', 1)[-1]} "
                                f"{_shown(result.source or result.inputs[0])}"}
        moves = [(table, out_dir / name),
                 (provenance.write_record(table, record), provenance.record_path(out_dir / name))]
        if len(result.quarantine):
            (tmp / report.name).write_text(render_report(result, report_title,
                                                         citation.get("caveat", "")))
            moves.append((tmp / report.name, report))
        for src, dst in moves:
            os.replace(src, dst)
        if not len(result.quarantine):
            report.unlink(missing_ok=True)  # a report from an older run would mislead
        return [dst for _, dst in moves]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _shown(path: Path) -> str:
    """Show a path as the rebuild command takes it: relative to the project root if possible."""
    try:
        return "../" + Path(path).resolve().relative_to(paths.ROOT.parent).as_posix()
    except ValueError:
        return str(path)


def render_report(result: Derived, title: str, caveat: str = "", examples: int = 5) -> str:
    """Render a short Markdown account: inputs, rows read, used, quarantined by reason."""
    lines = [f"# {title}", "", *([f"> {caveat}", ""] if caveat else [])]
    lines += [f"- input `{p.name}`: sha256 `{provenance.sha256(p)}`" for p in result.inputs]
    lines += [f"- {k}: {v}" for k, v in result.meta.items()]
    lines += ["", f"- rows in the tidy table: {len(result.table):,}",
              f"- rows quarantined: {len(result.quarantine):,}", "", "## Quarantine by reason",
              "", "| reason | rows | examples (row: value) |", "|---|---:|---|"]
    for reason, grp in result.quarantine.groupby("reason", sort=True):
        grp = grp.drop_duplicates(["row", "raw_value"])  # one line of two WDI files
        shown = ", ".join(f"{r}: {v}" for r, v in zip(grp["row"][:examples],
                                                       grp["raw_value"][:examples], strict=True))
        n = int((result.quarantine["reason"] == reason).sum())
        lines.append(f"| {reason} | {n:,} | {shown} |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- WDI reader


def _find(folder: Path, pattern: str, what: str) -> Path:
    found = sorted(folder.glob(pattern))
    if len(found) != 1:
        raise InputError(str(folder), f"expected one {what} file ({pattern}), found "
                         f"{len(found)}", "give the folder of the World Bank bulk download "
                         "(API_..._DS2_en_csv_v2_*.csv and Metadata_Country_...csv) unchanged")
    return found[0]


def files(folder: str | Path) -> dict[str, Path]:
    """Return the bulk-download files in a folder: one per indicator, plus ``metadata``.

    Args:
        folder: The download folder (or any file in it).

    Raises:
        InputError: A file is missing or appears twice.
    """
    folder = Path(folder)
    folder = folder.parent if folder.is_file() else folder
    if not folder.is_dir():
        raise InputError(str(folder), "folder not found", "give the WDI download folder")
    out = {code: _find(folder, f"API_{code}_DS2_*.csv", code) for code in INDICATORS}
    gdp = next(iter(INDICATORS))
    out["metadata"] = _find(folder, f"Metadata_Country_API_{gdp}_DS2_*.csv", "country metadata")
    return out


def _read_indicator(path: Path, code: str) -> pd.DataFrame:
    """Read one API_..._DS2 file: check its preamble, header and indicator code."""
    fix = "give the World Bank bulk-download CSV unchanged (header on row 5)"
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        first = fh.readline().strip()
    if not first.startswith(PREAMBLE):
        raise InputError(str(path), f"row 1 is {first[:60]!r}, not the WDI preamble "
                         f"{PREAMBLE}", fix, row=1)
    years = [str(y) for y in range(FIRST_YEAR, LAST_YEAR + 1)]
    frame = read_text_csv(path, ID_COLUMNS + years, fix, skiprows=4, encoding="utf-8-sig")
    extra = [c for c in frame.columns if c.startswith("Unnamed:")]
    for col in extra:  # the trailing comma of every line: empty, or the layout has changed
        if (frame[col] != "").any():
            raise InputError(str(path), "an unnamed column holds values", fix, column=col,
                             row=int(frame.loc[frame[col] != "", "_row"].iloc[0]))
    wrong = frame["Indicator Code"] != code
    if wrong.any():
        first_bad = frame[wrong].iloc[0]
        raise InputError(str(path), f"indicator {first_bad['Indicator Code']!r}, expected "
                         f"{code!r}: wrong file", "give the file of indicator " + code,
                         row=int(first_bad["_row"]), column="Indicator Code")
    for year in years:
        _check_numbers(frame, year, path)
    return frame.drop(columns=extra)


def _check_numbers(frame: pd.DataFrame, column: str, path: Path) -> None:
    """Raise on a value that is not empty and not a positive number (never set it to 0)."""
    text = frame[column]
    num = pd.to_numeric(text, errors="coerce")
    bad = (text != "") & ~(num > 0)
    if bad.any():
        row = frame[bad].iloc[0]
        raise InputError(str(path), f"value {row[column]!r} is not a positive number",
                         "restore the published value (missing values are empty)",
                         row=int(row["_row"]), column=column)


def _metadata(path: Path) -> pd.DataFrame:
    fix = "give the Metadata_Country file of the same download unchanged"
    meta = read_text_csv(path, ["Country Code", "Region"], fix, encoding="utf-8-sig")
    return meta.drop_duplicates("Country Code").set_index("Country Code")


def _rows(frame: pd.DataFrame, meta: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split one indicator file's rows into economies kept and quarantined rows."""
    code = frame["Country Code"]
    region = code.map(meta["Region"])
    unknown = region.isna()
    aggregate = ~unknown & (region == "")
    not_iso = ~unknown & ~aggregate & ~valid_iso3(code)
    repeated = ~unknown & ~aggregate & ~not_iso & code.duplicated(keep="first")
    parts = [
        quarantine(frame, unknown, "Country Code",
                   "not in the Metadata_Country list (e.g. INX 'Not classified')"),
        quarantine(frame, aggregate, "Country Code",
                   "World Bank aggregate (empty Region in Metadata_Country)"),
        quarantine(frame, not_iso, "Country Code",
                   "not an ISO 3166-1 alpha-3 code (CHI = Channel Islands, Guernsey and "
                   "Jersey together): no single country to join on"),
        quarantine(frame, repeated, "Country Code", "repeated economy: first row kept"),
    ]
    return frame[~(unknown | aggregate | not_iso | repeated)], collect(parts)


def _derive(folder: str | Path) -> Derived:
    found = files(folder)
    meta = _metadata(found["metadata"])
    years = [str(y) for y in range(FIRST_YEAR, LAST_YEAR + 1)]
    long, parts, counts = [], [], {}
    for code, column in INDICATORS.items():
        frame = _read_indicator(found[code], code)
        kept, q = _rows(frame, meta)
        parts.append(q)
        counts[f"rows_read_{column}"] = len(frame)
        counts[f"rows_used_{column}"] = len(kept)
        values = kept.melt(id_vars=["Country Code"], value_vars=years, var_name="year",
                           value_name=column)
        long.append(values.rename(columns={"Country Code": "iso3"}).set_index(["iso3", "year"]))
    table = pd.concat(long, axis=1).reset_index()
    table["year"] = table["year"].astype(int)
    for column in INDICATORS.values():
        table[column] = pd.to_numeric(table[column].replace("", None))
    table["population"] = table["population"].round().astype("Int64")
    table = table.sort_values(["iso3", "year"], ignore_index=True)
    table = schemas.validate(table, WDI, str(found[next(iter(INDICATORS))]))
    q = collect(parts)
    counts.update({"rows_quarantined": len(q), "economies": int(table["iso3"].nunique()),
                   "years": f"{FIRST_YEAR}-{LAST_YEAR}",
                   "economies_with_gdppc_ppp_1990": _with_value(table, 1990),
                   "economies_with_gdppc_ppp_2024": _with_value(table, LAST_YEAR)})
    return Derived(table=table, quarantine=q, meta=counts,
                   inputs=[found[c] for c in INDICATORS] + [found["metadata"]],
                   source=found["metadata"].parent)


def _with_value(table: pd.DataFrame, year: int) -> int:
    return int(table.loc[table["year"] == year, "gdppc_ppp"].notna().sum())


def read(path_or_folder: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the WDI bulk download (GDP per capita PPP and population) into one tidy table.

    Aggregates (empty ``Region`` in the metadata), codes missing from the metadata (``INX``)
    and codes that are not ISO3 (``CHI``) are quarantined; every row read is either used or
    quarantined. Values stay as published; an empty cell stays missing.

    Args:
        path_or_folder: The download folder (or any file in it).

    Returns:
        ``(table, quarantine)``: ``iso3, year, gdppc_ppp, population``, one row per
        economy-year 1990-2024; and the quarantined rows (file, row, column, raw_value,
        reason).

    Raises:
        InputError: A file is missing, has a shifted header, is another indicator, or holds
            a value that is not a positive number.
    """
    result = _derive(path_or_folder)
    return result.table, result.quarantine


def load(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Load the committed ``wdi.csv`` (checked against its provenance record and schema)."""
    return load_derived(data_dir, OUT_FILE, "wdi", WDI, dtype={"iso3": str},
                        keep_default_na=False, na_values=[""])


def regenerate(src: str | Path | None = None, out: str | Path | None = None) -> list[Path]:
    """Re-derive ``wdi.csv``, its provenance record and report from the published files.

    Args:
        src: The WDI download folder (default ``../shared/data/wdi_gdppc_pop``).
        out: Output folder (default ``data/processed``).

    Returns:
        The files written.
    """
    result = _derive(src or paths.shared_file(*SHARED_DIR))
    return write_derived(result, Path(out or paths.PROCESSED), OUT_FILE, __name__, CITATION,
                         "WDI", "World Bank WDI (GDP per capita PPP, population): "
                         "reader report")
