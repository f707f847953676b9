"""Reader for CEPII GeoDist `dist_cepii` (bilateral distances, gravity dummies) as published."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from analysis import countries, paths, schemas
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

SOURCE = "cepii"
SHARED_FILE = ("cepii_geodist", "dist_cepii.csv")
OUT_FILE = "geodist.csv"
#: CEPII dummy -> output column (all 0/1).
DUMMIES = {"contig": "contiguous", "comlang_off": "common_language",
           "comlang_ethno": "common_ethno_language", "colony": "colonial_tie",
           "comcol": "common_coloniser", "curcol": "current_colony",
           "col45": "colonial_tie_post1945", "smctry": "same_country"}
#: CEPII distance (km) -> output column; ``.`` (Stata's missing) is allowed only where True.
DISTANCES = {"dist": ("distance_km", False), "distcap": ("distance_capitals_km", False),
             "distw": ("distance_weighted_km", True),
             "distwces": ("distance_weighted_ces_km", True)}
REQUIRED = ["iso_o", "iso_d", *DUMMIES, *DISTANCES]
FIX = "give dist_cepii.csv as published (comma-separated, header iso_o,iso_d,contig,...)"
CITATION = {
    "source": "cepii",
    "producer": "CEPII (Centre d'Etudes Prospectives et d'Informations Internationales)",
    "title": "GeoDist: bilateral distances and gravity dummies (dist_cepii), 224 x 224 "
             "countries, time-invariant",
    "citation": "Mayer, T. and Zignago, S. (2011), Notes on CEPII's distances measures: the "
                "GeoDist database, CEPII Working Paper 2011-25",
    "licence": "Etalab Open Licence 2.0 (free reuse with attribution)",
    "caveat": "Time-invariant (colonial ties and borders as compiled, c. 2004-2011); CEPII's "
              "codes mapped to ISO3 through data/mappings/cepii.csv; Serbia and Montenegro "
              "(YUG) and the Netherlands Antilles (ANT) dropped: no SRB, MNE, XKX, SSD, CUW, "
              "SXM pairs.",
}

GEODIST = pa.DataFrameSchema(
    {
        "origin": pa.Column(str, pa.Check.str_matches(schemas.ISO3)),
        "destination": pa.Column(str, pa.Check.str_matches(schemas.ISO3)),
        **{out: pa.Column(float, pa.Check.gt(0), nullable=nullable)
           for out, nullable in DISTANCES.values()},
        **{out: pa.Column(int, pa.Check.isin([0, 1])) for out in DUMMIES.values()},
    },
    checks=[pa.Check(lambda d: ~d.duplicated(["origin", "destination"]),
                     name="one row per ordered pair")],
    strict=True,
    ordered=True,
    coerce=True,
)


def _codes(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Map CEPII codes to ISO3: the reviewed crosswalk first, else a valid ISO3 as it is.

    Returns:
        ISO3 per row ("" when none) and the reason a row has none ("" when it has one).
    """
    mapping = countries.load_mapping(SOURCE).set_index("raw")
    iso3 = raw.where(valid_iso3(raw), "")
    reason = pd.Series("", index=raw.index)
    reason[iso3 == ""] = ("not an ISO3 code and not in data/mappings/cepii.csv: review it "
                          "and add a row there")
    known = raw.isin(mapping.index)
    iso3[known] = raw[known].map(mapping["iso3"])
    kind = raw[known].map(mapping["kind"])
    note = raw[known].map(mapping["note"])
    reason[known] = ""
    dropped = kind.index[kind != "country"]
    reason[dropped] = ("former or dissolved state, dropped (data/mappings/cepii.csv): "
                       + note[dropped].str.split(":").str[0])
    iso3[dropped] = ""
    return iso3, reason


def _numbers(frame: pd.DataFrame, path: Path) -> dict[str, pd.Series]:
    """Parse dummies (0/1) and distances (positive km; ``.`` = missing where allowed).

    Raises:
        InputError: A value that is not what the column holds (a wrong or damaged file).
    """
    out = {}
    for col, name in DUMMIES.items():
        bad = ~frame[col].isin(["0", "1"])
        _raise_first(frame, bad, col, path, "not 0 or 1")
        out[name] = frame[col].astype(int)
    for col, (name, nullable) in DISTANCES.items():
        text = frame[col]
        value = pd.to_numeric(text.where(text != "."), errors="coerce")
        bad = ~(value > 0) & ~((text == ".") & nullable)
        _raise_first(frame, bad, col, path, "not a positive distance in km"
                     + (" or '.' (missing)" if nullable else ""))
        out[name] = value
    return out


def _raise_first(frame: pd.DataFrame, bad: pd.Series, col: str, path: Path, what: str) -> None:
    if bad.any():
        row = frame[bad].iloc[0]
        raise InputError(str(path), f"value {row[col]!r} is {what}", FIX, row=int(row["_row"]),
                         column=col)


def _derive(path: str | Path) -> Derived:
    path = Path(path)
    frame = read_text_csv(path, REQUIRED, FIX)
    values = _numbers(frame, path)
    origin, why_o = _codes(frame["iso_o"])
    destination, why_d = _codes(frame["iso_d"])
    bad_o, bad_d = why_o != "", (why_d != "") & (why_o == "")
    table = pd.DataFrame({"origin": origin, "destination": destination,
                          **{out: values[out] for out, _ in DISTANCES.values()},
                          **{out: values[out] for out in DUMMIES.values()}})
    repeated = ~bad_o & ~bad_d & table.duplicated(["origin", "destination"])
    q = collect([quarantine(frame, bad_o, "iso_o", why_o),
                 quarantine(frame, bad_d, "iso_d", why_d),
                 quarantine(frame, repeated, "iso_d", "repeated pair after mapping the codes: "
                            "first row kept")])
    table = table[~(bad_o | bad_d | repeated)]
    table = table.sort_values(["origin", "destination"], ignore_index=True)
    table = schemas.validate(table, GEODIST, str(path))
    meta = {"rows_read": len(frame), "rows_used": len(table), "rows_quarantined": len(q),
            "countries": int(table["origin"].nunique()),
            "codes_dropped": ", ".join(sorted(set(q["raw_value"]))) or "none",
            "pairs_missing_distance_weighted": int(table["distance_weighted_km"].isna().sum()),
            "asymmetric_pairs": _asymmetry(table)}
    return Derived(table=table, quarantine=q, meta=meta, inputs=[path])


def _asymmetry(table: pd.DataFrame) -> str:
    """Say how far the data are from symmetric (distw may differ by rounding, <= 0.01 km)."""
    both = table.merge(table, left_on=["origin", "destination"],
                       right_on=["destination", "origin"], suffixes=("", "_r"))
    cols = ["distance_km", "distance_capitals_km", *DUMMIES.values()]
    differ = {c: int((both[c] != both[f"{c}_r"]).sum()) for c in cols}
    w = (both["distance_weighted_km"] - both["distance_weighted_km_r"]).abs().max()
    named = "; ".join(f"{c}: {n} rows differ from the reverse pair (kept as published)"
                      for c, n in differ.items() if n) or "dist, distcap, dummies symmetric"
    return f"{named}; distance_weighted_km differs by at most {w:.3f} km"


def read(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read ``dist_cepii.csv`` into a tidy pair table with ISO3 codes.

    Codes go through the reviewed crosswalk ``data/mappings/cepii.csv`` (ROM -> ROU,
    ZAR -> COD, TMP -> TLS, PAL -> PSE); rows of dissolved states (YUG, ANT) and of codes
    that are neither ISO3 nor in the crosswalk are quarantined with the reason. Both
    directions of each pair are kept as published; ``.`` in ``distw``/``distwces`` stays
    missing (never 0).

    Args:
        path: ``dist_cepii.csv``.

    Returns:
        ``(table, quarantine)``: origin, destination, distance_km (``dist``),
        distance_capitals_km, distance_weighted_km (``distw``), distance_weighted_ces_km,
        contiguous, common_language (``comlang_off``), common_ethno_language, colonial_tie
        (``colony``: ever), common_coloniser, current_colony, colonial_tie_post1945,
        same_country; and the quarantined rows.

    Raises:
        InputError: Missing file or column, a dummy not 0/1, or a distance not positive.
    """
    result = _derive(path)
    return result.table, result.quarantine


def load(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Load the committed ``geodist.csv`` (checked against its provenance record and schema)."""
    return load_derived(data_dir, OUT_FILE, "cepii", GEODIST,
                        dtype={"origin": str, "destination": str}, keep_default_na=False,
                        na_values=[""])


def regenerate(src: str | Path | None = None, out: str | Path | None = None) -> list[Path]:
    """Re-derive ``geodist.csv``, its provenance record and report from ``dist_cepii.csv``.

    Args:
        src: The published file (default ``../shared/data/cepii_geodist/dist_cepii.csv``).
        out: Output folder (default ``data/processed``).

    Returns:
        The files written.
    """
    result = _derive(src or paths.shared_file(*SHARED_FILE))
    return write_derived(result, Path(out or paths.PROCESSED), OUT_FILE, __name__, CITATION,
                         "GEODIST", "CEPII GeoDist: reader report")
