"""Readers for Japan's official victim counts (series never mixed) and Entertainer entries."""

from __future__ import annotations

from collections.abc import Iterable
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

SHARED_DIR = ("japan_official",)
VICTIMS_FILE = "japan_trafficking_victims.csv"
ENTERTAINER_FILE = "japan_entertainer_entries.csv"
OUT_VICTIMS = "japan_victims.csv"
OUT_ENTERTAINER = "japan_entertainer.csv"
#: Total over nationalities, as the files write it.
ALL = "ALL"
YES_NO = {"yes": True, "no": False}

#: The series of victims counted (SOURCE.md): each counts something else; never add or mix.
SERIES = {
    "npa_police_victims": "victims recognised by the National Police Agency (cleared cases)",
    "gov_council_total_protected": "victims protected by all agencies (Council annual report)",
    "us_tip_report_identified": "victims the US TIP Report says the government identified",
    "immigration_bureau_protected": "foreign victims protected by the Immigration Bureau / ISA",
    "mhlw_womens_consulting_office_protected": "women protected by women's consulting offices "
                                               "(fiscal years)",
    "iom_return_assistance": "persons given IOM return or reintegration support",
}
#: Entertainer measures and the unit each is published in.
MEASURES = {
    "new_entrants_entertainer_status": "persons",
    "entered_under_entertainer_visa_category": "persons",
    "share_of_new_entrants_entertainer": "percent",
    "entertainer_visas_issued_mofa": "visas",
    "poea_overseas_performing_artists_deployed_to_japan": "persons",
}
FLAGS = ["derived", "source_is_original_publisher", "single_secondary_source"]
VICTIM_COLUMNS = ["series", "period_start", "period_end", "year_type", "nationality_iso3",
                  "nationality", "count", *FLAGS, "source", "note"]
ENTERTAINER_COLUMNS = ["year", "nationality_iso3", "nationality", "measure", "value", "unit",
                       *FLAGS, "source", "note"]
FIX = "give the file as compiled in ../shared/data/japan_official (header as in SOURCE.md)"
_CITE = {
    "source": "japan_official",
    "producer": "National Police Agency; Cabinet Secretariat (Council for the Promotion of "
                "Measures to Combat Trafficking in Persons); Ministry of Justice; US "
                "Department of State; compiled by hand with the publication of each fact",
    "licence": "Government of Japan Standard Terms of Use (attribution); US government works "
               "public domain; numbers read in newspapers and HURIGHTS OSAKA are facts: cite "
               "the agency and the page (column source)",
}
CITATION_VICTIMS = {
    **_CITE,
    "title": "Japan: official counts of trafficking victims, 2002-2024, by series",
    "citation": "As given per row in the column source (agency release, report or the "
                "secondary page it was read in)",
    "caveat": "Detected or protected victims are counts of enforcement, not prevalence. The "
              "series count different things (police, all agencies, immigration, US TIP...) "
              "and must never be added or drawn as one line; cumulative rows are flagged.",
}
CITATION_ENTERTAINER = {
    **_CITE,
    "title": "Japan: 'Entertainer' (kogyo) entries, 1993-2009, by measure",
    "citation": "As given per row in the column source; the Philippine 2004-2006 figures are "
                "MOJ's, read in two HURIGHTS OSAKA items (2007-02)",
    "caveat": "Entries under a status of residence are not victims. Measures differ (new "
              "entrants, embassy figures, visas issued, POEA deployments); never mix them.",
}

JAPAN_VICTIMS = pa.DataFrameSchema(
    {
        "series": pa.Column(str, pa.Check.isin(list(SERIES))),
        "year": pa.Column(int, pa.Check.in_range(1990, 2100)),
        "year_type": pa.Column(str, pa.Check.isin(["calendar", "fiscal"])),
        "nationality_iso3": pa.Column(str, pa.Check.str_matches(r"^([A-Z]{3})$")),
        "count": pa.Column(int, pa.Check.ge(0)),
        "derived": pa.Column(bool),
        "source": pa.Column(str, pa.Check.str_length(min_value=1)),
        "note": pa.Column(str),
        "cumulative": pa.Column(bool),
        "period_start": pa.Column(int),
        "period_end": pa.Column(int),
        "nationality": pa.Column(str),
        "original_publisher": pa.Column(bool),
        "single_secondary_source": pa.Column(bool),
    },
    checks=[
        pa.Check(lambda d: d["period_start"] <= d["period_end"], name="start <= end"),
        pa.Check(lambda d: d["cumulative"] == (d["period_start"] < d["period_end"]),
                 name="cumulative exactly when the period spans years"),
        pa.Check(lambda d: ~d.duplicated(["series", "period_start", "period_end",
                                          "nationality_iso3"]),
                 name="one row per series, period and nationality"),
    ],
    strict=True,
    ordered=True,
    coerce=True,
)

JAPAN_ENTERTAINER = pa.DataFrameSchema(
    {
        "year": pa.Column(int, pa.Check.in_range(1990, 2100)),
        "nationality_iso3": pa.Column(str, pa.Check.str_matches(r"^([A-Z]{3})$")),
        "measure": pa.Column(str, pa.Check.isin(list(MEASURES))),
        "value": pa.Column(float, pa.Check.ge(0)),
        "unit": pa.Column(str, pa.Check.isin(sorted(set(MEASURES.values())))),
        "derived": pa.Column(bool),
        "source": pa.Column(str, pa.Check.str_length(min_value=1)),
        "period": pa.Column(str),
        "partial_year": pa.Column(bool),
        "nationality": pa.Column(str),
        "note": pa.Column(str),
        "original_publisher": pa.Column(bool),
        "single_secondary_source": pa.Column(bool),
    },
    checks=[pa.Check(lambda d: ~d.duplicated(["period", "nationality_iso3", "measure"]),
                     name="one row per period, nationality and measure")],
    strict=True,
    ordered=True,
    coerce=True,
)


# --------------------------------------------------------------------------- shared checks


def _nationality_reason(codes: pd.Series) -> pd.Series:
    """Say why a nationality code cannot be used ("" for ALL or a valid ISO3)."""
    ok = (codes == ALL) | valid_iso3(codes)
    return pd.Series("", index=codes.index).mask(
        ~ok, "nationality_iso3 is neither ALL nor an ISO3 code")


def _flag_masks(frame: pd.DataFrame) -> list[tuple[pd.Series, str, str]]:
    return [(~frame[f].isin(YES_NO), f, f"{f} not yes or no") for f in FLAGS]


def _apply(frame: pd.DataFrame, rules: list[tuple[pd.Series, str, str]],
           key: list[str]) -> tuple[pd.Series, pd.DataFrame]:
    """Apply rules in order (a row is quarantined once, for its first broken rule).

    Returns:
        The mask of rows kept and their quarantine records.
    """
    bad = pd.Series(False, index=frame.index)
    parts = []
    for mask, column, reason in rules:
        parts.append(quarantine(frame, mask & ~bad, column, reason))
        bad |= mask
    repeated = ~bad & frame.duplicated(key)
    parts.append(quarantine(frame, repeated, key[-1], "repeated key: first row kept"))
    return ~bad & ~repeated, collect(parts)


def _whole(text: pd.Series) -> pd.Series:
    num = pd.to_numeric(text, errors="coerce")
    return num.notna() & (num >= 0) & (num % 1 == 0)


# --------------------------------------------------------------------------- victims


def _derive_victims(path: Path) -> Derived:
    frame = read_text_csv(path, VICTIM_COLUMNS, FIX, encoding="utf-8-sig")
    start = pd.to_numeric(frame["period_start"], errors="coerce")
    end = pd.to_numeric(frame["period_end"], errors="coerce")
    why_nat = _nationality_reason(frame["nationality_iso3"])
    rules = [
        (~frame["series"].isin(SERIES), "series",
         "unknown series: add it to analysis.sources.japan_official.SERIES after review"),
        (~_whole(frame["period_start"]), "period_start", "period_start not a year"),
        (~_whole(frame["period_end"]) | ~(start <= end), "period_end",
         "period_end not a year on or after period_start"),
        (~frame["year_type"].isin(["calendar", "fiscal"]), "year_type",
         "year_type not calendar or fiscal"),
        (why_nat != "", "nationality_iso3", why_nat),
        (~_whole(frame["count"]), "count", "count not a whole number of persons"),
        (frame["source"] == "", "source", "no source given: a fact without its publication "
                                          "is not used"),
        *_flag_masks(frame),
    ]
    keep, q = _apply(frame, rules, ["series", "period_start", "period_end", "nationality_iso3"])
    kept = frame[keep]
    table = pd.DataFrame({
        "series": kept["series"], "year": kept["period_end"].astype(int),
        "year_type": kept["year_type"], "nationality_iso3": kept["nationality_iso3"],
        "count": kept["count"].astype(int), "derived": kept["derived"].map(YES_NO),
        "source": kept["source"], "note": kept["note"],
        "cumulative": kept["period_start"].astype(int) < kept["period_end"].astype(int),
        "period_start": kept["period_start"].astype(int),
        "period_end": kept["period_end"].astype(int), "nationality": kept["nationality"],
        "original_publisher": kept["source_is_original_publisher"].map(YES_NO),
        "single_secondary_source": kept["single_secondary_source"].map(YES_NO),
    }).reset_index(drop=True)
    table = schemas.validate(table, JAPAN_VICTIMS, str(path))
    meta = {"rows_read": len(frame), "rows_used": len(table), "rows_quarantined": len(q),
            "rows_cumulative": int(table["cumulative"].sum()),
            "series": ", ".join(f"{s} {n}" for s, n in
                                table.groupby("series", sort=False).size().items()),
            "breakdowns_above_total": _over_total(table)}
    return Derived(table=table, quarantine=q, meta=meta, inputs=[path])


def _over_total(table: pd.DataFrame) -> str:
    """Name series-years whose nationality rows add up to more than their ALL row."""
    one = table[~table["cumulative"]]
    key = ["series", "year"]
    parts = one[one["nationality_iso3"] != ALL].groupby(key)["count"].sum()
    total = one[one["nationality_iso3"] == ALL].set_index(key)["count"]
    over = parts[parts > total.reindex(parts.index)]
    return ", ".join(f"{s} {y}" for s, y in over.index) or "none"


def series(table: pd.DataFrame, name: str | Iterable[str], cumulative: bool = False
           ) -> pd.DataFrame:
    """Return ONE series of Japan's victim counts; refuse a request that would mix series.

    The counts are victims the authorities found (recognised, protected or identified), not
    prevalence: they rise and fall with enforcement and with what each agency counts.

    Args:
        table: The victims table (:func:`read` or :func:`load`).
        name: One series name (a list is accepted only if it names one series).
        cumulative: Return the multi-year cumulative rows instead of the one-year rows.

    Returns:
        The rows of that series (one-year rows unless ``cumulative``), sorted by year and
        nationality (``ALL`` = the total).

    Raises:
        InputError: More than one series asked for, an unknown series, a table without the
            reader's columns, or rows of the series that mix calendar and fiscal years.
    """
    missing = [c for c in ("series", "year", "year_type", "nationality_iso3", "cumulative")
               if c not in table.columns]
    if missing:
        raise InputError("japan_victims", f"column(s) missing: {missing}",
                         "pass the table from japan_official.read or load", column=missing[0])
    names = [name] if isinstance(name, str) else sorted(set(name))
    if len(names) != 1:
        raise InputError("japan_victims", f"request mixes {len(names)} series {names}: they "
                         "count different things (police, all agencies, immigration, US "
                         "TIP...) and must never be added or drawn as one line",
                         "ask for one series at a time: series(table, 'npa_police_victims')",
                         column="series")
    if names[0] not in SERIES:
        raise InputError("japan_victims", f"unknown series {names[0]!r}",
                         f"use one of: {', '.join(SERIES)}", column="series")
    rows = table[(table["series"] == names[0]) & (table["cumulative"] == cumulative)]
    if rows["year_type"].nunique() > 1:
        raise InputError("japan_victims", f"series {names[0]} mixes calendar and fiscal years",
                         "correct the year_type of its rows", column="year_type")
    return rows.sort_values(["year", "nationality_iso3"], ignore_index=True)


# --------------------------------------------------------------------------- Entertainer

_PERIOD = r"^(?P<year>\d{4})(?:-(?P<m1>\d{2})\.\.(?P<m2>\d{2}))?$"


def _derive_entertainer(path: Path) -> Derived:
    frame = read_text_csv(path, ENTERTAINER_COLUMNS, FIX, encoding="utf-8-sig")
    period = frame["year"].str.extract(_PERIOD)
    m1, m2 = pd.to_numeric(period["m1"]), pd.to_numeric(period["m2"])
    bad_months = period["m1"].notna() & ~((m1 >= 1) & (m1 <= m2) & (m2 <= 12))
    value = pd.to_numeric(frame["value"], errors="coerce")
    why_nat = _nationality_reason(frame["nationality_iso3"])
    rules = [
        (period["year"].isna() | bad_months, "year",
         "year is neither YYYY nor a month range YYYY-MM..MM"),
        (why_nat != "", "nationality_iso3", why_nat),
        (~frame["measure"].isin(MEASURES), "measure",
         "unknown measure: add it to analysis.sources.japan_official.MEASURES after review"),
        (frame["unit"] != frame["measure"].map(MEASURES), "unit",
         "unit is not the one this measure is published in"),
        (~(value >= 0), "value", "value not a number >= 0"),
        (frame["source"] == "", "source", "no source given: a fact without its publication "
                                          "is not used"),
        *_flag_masks(frame),
    ]
    keep, q = _apply(frame, rules, ["year", "nationality_iso3", "measure"])
    kept = frame[keep]
    table = pd.DataFrame({
        "year": period.loc[keep, "year"].astype(int),
        "nationality_iso3": kept["nationality_iso3"], "measure": kept["measure"],
        "value": value[keep], "unit": kept["unit"], "derived": kept["derived"].map(YES_NO),
        "source": kept["source"], "period": kept["year"],
        "partial_year": period.loc[keep, "m1"].notna(), "nationality": kept["nationality"],
        "note": kept["note"],
        "original_publisher": kept["source_is_original_publisher"].map(YES_NO),
        "single_secondary_source": kept["single_secondary_source"].map(YES_NO),
    }).sort_values(["measure", "nationality_iso3", "period"], ignore_index=True)
    table = schemas.validate(table, JAPAN_ENTERTAINER, str(path))
    meta = {"rows_read": len(frame), "rows_used": len(table), "rows_quarantined": len(q),
            "rows_partial_year": int(table["partial_year"].sum())}
    return Derived(table=table, quarantine=q, meta=meta, inputs=[path])


# --------------------------------------------------------------------------- read, load


def _layout(path: Path) -> str:
    """Tell the two layouts apart by their header (``victims`` or ``entertainer``)."""
    if not path.is_file():
        raise InputError(str(path), "file not found", FIX)
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        header = fh.readline().strip().split(",")
    if header[:3] == VICTIM_COLUMNS[:3]:
        return "victims"
    if header[:2] == ENTERTAINER_COLUMNS[:2]:
        return "entertainer"
    raise InputError(str(path), f"header {header[:4]} is neither the victims layout "
                     f"({VICTIM_COLUMNS[:3]}...) nor the Entertainer layout "
                     f"({ENTERTAINER_COLUMNS[:2]}...)", FIX, row=1, column=header[0])


def _derive(path: Path) -> Derived:
    if path.is_dir():
        path = path / VICTIMS_FILE
    return (_derive_victims if _layout(path) == "victims" else _derive_entertainer)(path)


def read(path_or_folder: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read one of the two Japan files, telling them apart by their header.

    Args:
        path_or_folder: ``japan_trafficking_victims.csv`` or ``japan_entertainer_entries.csv``;
            a folder means its victims file.

    Returns:
        ``(table, quarantine)``. Victims: series, year (the period's last year), year_type,
        nationality_iso3 (``ALL`` = total), count, derived, source, note, cumulative,
        period_start, period_end, nationality, original_publisher, single_secondary_source;
        cumulative (multi-year) rows are kept, flagged ``cumulative``. Entertainer: year,
        nationality_iso3, measure, value, unit, derived, source, period (as written, e.g.
        ``2004-01..07``), partial_year, nationality, note, original_publisher,
        single_secondary_source.

    Raises:
        InputError: Missing file, unknown layout or missing column.
    """
    result = _derive(Path(path_or_folder))
    return result.table, result.quarantine


def read_entertainer(path_or_folder: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read ``japan_entertainer_entries.csv`` (a folder means the file in it); see :func:`read`.

    Raises:
        InputError: The file is not in the Entertainer layout.
    """
    path = Path(path_or_folder)
    path = path / ENTERTAINER_FILE if path.is_dir() else path
    if _layout(path) != "entertainer":
        raise InputError(str(path), "not the Entertainer layout (year, nationality_iso3, "
                         "...)", f"give {ENTERTAINER_FILE}", row=1)
    result = _derive_entertainer(path)
    return result.table, result.quarantine


def _text_columns(schema: pa.DataFrameSchema) -> dict[str, type]:
    """Read text columns as text and nothing as missing ("" notes stay "", NA stays NA)."""
    return {c: str for c, col in schema.columns.items() if str(col.dtype).startswith("str")}


def load(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Load the committed ``japan_victims.csv`` (checked against provenance and schema)."""
    return load_derived(data_dir, OUT_VICTIMS, "japan_official", JAPAN_VICTIMS,
                        dtype=_text_columns(JAPAN_VICTIMS), keep_default_na=False)


def load_entertainer(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Load the committed ``japan_entertainer.csv`` (checked against provenance and schema)."""
    return load_derived(data_dir, OUT_ENTERTAINER, "japan_official", JAPAN_ENTERTAINER,
                        dtype=_text_columns(JAPAN_ENTERTAINER), keep_default_na=False)


def regenerate(src: str | Path | None = None, out: str | Path | None = None) -> list[Path]:
    """Re-derive ``japan_victims.csv`` and ``japan_entertainer.csv`` with their records.

    Both tables are derived before either is written, so a bad second file leaves the
    first untouched.

    Args:
        src: The folder holding both files (default ``../shared/data/japan_official``).
        out: Output folder (default ``data/processed``).

    Returns:
        The files written.
    """
    folder = Path(src or paths.shared_file(*SHARED_DIR))
    victims = _derive_victims(_checked(folder / VICTIMS_FILE, "victims"))
    entertainer = _derive_entertainer(_checked(folder / ENTERTAINER_FILE, "entertainer"))
    victims.source = entertainer.source = folder  # the rebuild command takes the folder
    out = Path(out or paths.PROCESSED)
    return [*write_derived(victims, out, OUT_VICTIMS, __name__, CITATION_VICTIMS,
                           "JAPAN_VICTIMS", "Japan official victim counts: reader "
                           "report"),
            *write_derived(entertainer, out, OUT_ENTERTAINER, __name__, CITATION_ENTERTAINER,
                           "JAPAN_ENTERTAINER", "Japan Entertainer entries: reader "
                           "report")]


def _checked(path: Path, layout: str) -> Path:
    if _layout(path) != layout:
        raise InputError(str(path), f"not the {layout} layout", FIX, row=1)
    return path
