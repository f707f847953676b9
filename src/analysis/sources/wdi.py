"""Reader for World Bank WDI bulk CSVs: GDP per capita PPP (constant 2021 $) and population."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from analysis import paths, schemas
from analysis.errors import InputError
from analysis.sources.derived import (
    Derived,
    collect,
    load_derived,
    quarantine,
    read_text_csv,
    valid_iso3,
    write_derived,
)

SHARED_DIR = ("wdi_gdppc_pop",)
OUT_FILE = "wdi.csv"
FIRST_YEAR, LAST_YEAR = 1990, 2024
#: Indicator code -> output column; the file for each is found by its code.
INDICATORS = {"NY.GDP.PCAP.PP.KD": "gdppc_ppp", "SP.POP.TOTL": "population"}
ID_COLUMNS = ["Country Name", "Country Code", "Indicator Name", "Indicator Code"]
PREAMBLE = '"Data Source","World Development Indicators"'
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
