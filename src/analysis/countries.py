"""Country names to ISO3 (reviewed mapping files, country_converter fallback) and regions."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from analysis import paths

#: Kinds a mapping row can have; only ``country`` and ``nationals`` become flows.
KINDS = ("country", "nationals", "unknown", "aggregate", "debris")

SOUTHEAST_ASIA = ("BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "TLS", "VNM")

#: EU27 Member States and the year each joined.
EU_ACCESSION = {
    "BEL": 1958, "DEU": 1958, "FRA": 1958, "ITA": 1958, "LUX": 1958, "NLD": 1958,
    "DNK": 1973, "IRL": 1973, "GRC": 1981, "ESP": 1986, "PRT": 1986,
    "AUT": 1995, "FIN": 1995, "SWE": 1995,
    "CYP": 2004, "CZE": 2004, "EST": 2004, "HUN": 2004, "LVA": 2004, "LTU": 2004,
    "MLT": 2004, "POL": 2004, "SVK": 2004, "SVN": 2004,
    "BGR": 2007, "ROU": 2007, "HRV": 2013,
}  # fmt: skip
#: The United Kingdom was a Member State from 1973 until 31 January 2020.
UK_EU_YEARS = (1973, 2019)
EU27 = tuple(sorted(EU_ACCESSION))
EFTA = ("ISL", "LIE", "NOR", "CHE")
EUROPE = tuple(sorted((*EU27, "GBR", *EFTA)))
EAST_ASIA = ("JPN", "KOR", "CHN", "TWN", "HKG", "MAC", "MNG", "PRK")
GULF = ("ARE", "BHR", "KWT", "OMN", "QAT", "SAU")
NORTH_AMERICA = ("USA", "CAN")
OCEANIA = ("AUS", "NZL", "FJI", "PNG", "SLB", "VUT", "WSM", "TON", "KIR", "FSM", "MHL", "PLW",
           "NRU", "TUV")

#: Destination groups used across the notebooks, in display order.
DESTINATION_GROUPS = {
    "Japan": ("JPN",),
    "Europe (EU27, UK, EFTA)": EUROPE,
    "East Asia (excl. Japan)": tuple(c for c in EAST_ASIA if c != "JPN"),
    "Southeast Asia": SOUTHEAST_ASIA,
    "Gulf": GULF,
    "North America": NORTH_AMERICA,
    "Oceania": OCEANIA,
}


def eu_members(year: int) -> tuple[str, ...]:
    """Return the ISO3 codes of EU Member States in ``year`` (the UK included until 2019)."""
    members = [c for c, joined in EU_ACCESSION.items() if joined <= year]
    if UK_EU_YEARS[0] <= year <= UK_EU_YEARS[1]:
        members.append("GBR")
    return tuple(sorted(members))


def destination_group(iso3: str) -> str:
    """Return the display group of a destination country ("Other" when in none)."""
    for name, members in DESTINATION_GROUPS.items():
        if iso3 in members:
            return name
    return "Other"


@cache
def _converter():
    """Build a country_converter instance that survives pandas >= 3.

    country_converter 1.3.2 reads its own table with pandas' default NA strings, so
    Namibia's ISO2 code ``NA`` becomes missing and the constructor fails. Reading the
    table ourselves with ``keep_default_na=False`` and passing the frame avoids that.
    """
    import country_converter as coco

    logging.getLogger("country_converter").setLevel(logging.ERROR)
    table = Path(coco.__file__).with_name("country_data.tsv")
    data = pd.read_csv(table, sep="\t", dtype=str, keep_default_na=False, na_values=[""])
    return coco.CountryConverter(country_data=data)


def convert(names: list[str], to: str = "ISO3", src: str | None = None) -> list[str | None]:
    """Convert names or codes with country_converter; ``None`` where it finds nothing.

    Args:
        names: Raw names or codes.
        to: Target classification (``ISO3``, ``ISO2``, ``name_short``...).
        src: Source classification, or ``None`` to let country_converter guess by regex.

    Returns:
        One result per input: a single code, or ``None`` when unmatched or ambiguous.
    """
    if not names:
        return []
    kwargs = {"src": src} if src else {}
    out = _converter().convert(list(names), to=to, not_found=_NOT_FOUND, **kwargs)
    if len(names) == 1:
        out = [out]
    # A list result means the name matched several countries: ambiguous, so unmatched.
    return [o if isinstance(o, str) and o != _NOT_FOUND else None for o in out]


_NOT_FOUND = "__not_found__"


#: Countries whose English name takes "the" in running text.
_WITH_ARTICLE = {"PHL", "USA", "GBR", "NLD", "ARE", "DOM", "CAF", "COD", "COG", "GMB", "BHS",
                 "MDV", "SLB", "MHL", "KOR", "PRK", "CZE", "LAO", "SYR", "COM", "SYC"}


def name(iso3: str, article: bool = False) -> str:
    """Return a short English display name for an ISO3 code (the code itself if unknown).

    Args:
        iso3: The code.
        article: Prefix "the" where English needs it in running text ("the Philippines").
    """
    text = _display_names().get(iso3, iso3)
    return f"the {text}" if article and iso3 in _WITH_ARTICLE else text


@cache
def _display_names() -> dict[str, str]:
    cc = _converter()
    table = cc.data[["ISO3", "name_short"]].dropna()
    names = dict(zip(table.ISO3, table.name_short, strict=True))
    names.update({"XKX": "Kosovo", "KOR": "Rep. of Korea", "PRK": "DPR Korea", "LAO": "Lao PDR",
                  "GBR": "United Kingdom", "USA": "United States", "ARE": "UAE", "EU": "EU floor"})
    return names


def mapping_path(source: str) -> Path:
    """Return the reviewed mapping file of a source (``data/mappings/<source>.csv``)."""
    return paths.MAPPINGS / f"{source}.csv"


@cache
def load_mapping(source: str) -> pd.DataFrame:
    """Load a source's reviewed mapping file (columns raw, iso3, kind, note)."""
    table = pd.read_csv(mapping_path(source), dtype=str, keep_default_na=False)
    bad = table[~table["kind"].isin(KINDS)]
    if len(bad):
        raise ValueError(f"{mapping_path(source)}: unknown kind(s) {sorted(set(bad.kind))}")
    return table


@dataclass
class Harmonised:
    """The outcome of harmonising one column of raw names.

    Attributes:
        iso3: ISO3 per input row (empty string where the raw value is not a country).
        kind: Mapping kind per input row, or ``unmatched``.
        method: ``mapping``, ``converter`` or ``unmatched`` per input row.
        report: One row per distinct raw value that was not matched by the mapping file.
    """

    iso3: pd.Series
    kind: pd.Series
    method: pd.Series
    report: pd.DataFrame = field(default_factory=pd.DataFrame)


def harmonise(raw: pd.Series, source: str, rows: pd.Series | None = None) -> Harmonised:
    """Map raw country texts to ISO3 through the source's mapping file, then country_converter.

    Each distinct text is looked up once (fast on large files). Texts the mapping file lacks
    go to country_converter; what it finds is used but listed for review; what it cannot
    find is ``unmatched`` and listed with the rows it came from, never dropped in silence.

    Args:
        raw: Raw names, one per data row.
        source: Mapping file name under ``data/mappings``.
        rows: Row numbers (as the user sees them) aligned with ``raw``, for the report.

    Returns:
        A :class:`Harmonised` aligned with ``raw``.
    """
    mapping = load_mapping(source).set_index("raw")
    text = raw.fillna("").astype(str).str.strip()
    uniques = pd.Index(text.unique())
    known = uniques.intersection(mapping.index)
    unknown = [u for u in uniques.difference(mapping.index) if u]
    guesses = dict(zip(unknown, convert(unknown), strict=True))

    iso_of = dict(zip(known, mapping.loc[known, "iso3"], strict=True))
    kind_of = dict(zip(known, mapping.loc[known, "kind"], strict=True))
    method_of = dict.fromkeys(known, "mapping")
    for u, guess in guesses.items():
        iso_of[u] = guess or ""
        kind_of[u] = "country" if guess else "unmatched"
        method_of[u] = "converter" if guess else "unmatched"
    iso_of[""], kind_of[""], method_of[""] = "", "unknown", "mapping"

    iso3 = text.map(iso_of)
    kind = text.map(kind_of)
    method = text.map(method_of)
    report = _report(text, method, iso3, rows if rows is not None else raw.index.to_series())
    return Harmonised(iso3=iso3, kind=kind, method=method, report=report)


def _report(text: pd.Series, method: pd.Series, iso3: pd.Series, rows: pd.Series) -> pd.DataFrame:
    flagged = method.isin(["converter", "unmatched"])
    if not flagged.any():
        return pd.DataFrame(columns=["raw", "method", "iso3", "n_rows", "rows", "suggestion"])
    frame = pd.DataFrame({"raw": text[flagged], "method": method[flagged],
                          "iso3": iso3[flagged], "row": rows[flagged].astype(str)})
    grouped = frame.groupby(["raw", "method", "iso3"], sort=True)["row"]
    report = grouped.agg(n_rows="size", rows=lambda r: ", ".join(r.iloc[:20])).reset_index()
    report["suggestion"] = [suggest(r) if m == "unmatched" else "" for r, m in
                            zip(report.raw, report.method, strict=True)]
    return report


def suggest(raw: str, n: int = 3) -> str:
    """Suggest close known names for an unmatched text (difflib over the mapping files)."""
    import difflib

    pool = {}
    for path in sorted(paths.MAPPINGS.glob("*.csv")):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        if {"raw", "iso3"} <= set(table.columns):
            pool.update({r.lower(): i for r, i in zip(table.raw, table.iso3, strict=True) if i})
    close = difflib.get_close_matches(raw.lower(), list(pool), n=n, cutoff=0.75)
    return "; ".join(f"{c} -> {pool[c]}" for c in close)
