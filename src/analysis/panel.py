"""The bilateral panel origin x destination x year, with the reporting universe explicit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import flows as flows_mod
from analysis.errors import InputError

KEYS = ["origin", "destination", "year"]
_ISO3 = re.compile(r"^[A-Z]{3}$")
#: Covariates this module can join, and the processed file each one comes from.
COVARIATE_FILES = {"wdi": "wdi.csv", "geodist": "geodist.csv", "stock": "migrant_stock.csv",
                   "tip": "tip_tiers.csv", "protection": "data/protection/coding.csv"}
_COLUMNS = {"wdi": ["iso3", "year", "gdppc_ppp", "population"],
            "geodist": ["origin", "destination", "distance_km", "contiguous", "common_language",
                        "colonial_tie"],
            "stock": ["origin", "destination", "year", "stock"],
            "tip": ["iso3", "year", "tier"],
            "protection": ["iso3", "year", "protection"]}
#: Panel columns each covariate adds (policy and economic ones are lagged one year).
COVARIATE_COLUMNS = {"wdi": ["ln_gdppc_ratio"], "stock": ["ln_stock"],
                     "geodist": ["ln_dist", "contiguous", "common_language", "colonial_tie"],
                     "protection": ["protection"], "tip": ["tip_tier"]}


@dataclass
class Panel:
    """A bilateral panel and the account of every flow row that is not in it.

    Attributes:
        data: One row per origin x destination x year inside the reporting universe:
            ``value_low``/``value_high``/``censored`` (a missing origin is a true zero,
            ``<5`` stays 1-4), ``pair`` and any joined covariates. Counts are detections,
            not prevalence.
        outside: The flow rows not in ``data``, each with a ``reason``.
        universe: The destination-years in the panel (source, destination, year).
        gaps: Per covariate, how many panel rows have no value (country not covered).
    """

    data: pd.DataFrame
    outside: pd.DataFrame
    universe: pd.DataFrame
    gaps: dict[str, int] = field(default_factory=dict)


def reporting_universe(flows: pd.DataFrame) -> pd.DataFrame:
    """Destination-years with any citizenship data, per source.

    Uses :func:`analysis.flows.reporting_universe` when that module provides it; this
    private fallback keeps the panel working until then.

    Args:
        flows: A flows table (already restricted to the indicator of interest).

    Returns:
        Columns source, destination, year; one row per reporting destination-year.
    """
    shared = getattr(flows_mod, "reporting_universe", None)
    if shared is not None:
        out = shared(flows)
        return out[["source", "destination", "year"]].drop_duplicates().reset_index(drop=True)
    return (flows[["source", "destination", "year"]].drop_duplicates()
            .sort_values(["source", "destination", "year"]).reset_index(drop=True))


def _selection_reasons(flows: pd.DataFrame, indicator: str, source: str,
                       domestic: bool) -> pd.Series:
    """Why each flow row stays out of the panel (empty string: it goes in)."""
    reason = pd.Series("", index=flows.index, dtype=object)
    rules = [(flows.source != source, f"source is not {source}"),
             (flows.indicator != indicator, "indicator is not " + indicator),
             ((flows.sex != "total") | (flows.age != "total"),
              "sex/age breakdown (the panel uses totals)")]
    if not domestic:
        rules.append((flows.origin == flows.destination,
                      "domestic (origin = destination; gravity needs two countries)"))
    for mask, why in rules:
        reason = reason.mask((reason == "") & mask, why)
    return reason


def build(flows: pd.DataFrame, covariates: dict[str, pd.DataFrame] | None = None, *,
          indicator: str = "detected_victims", source: str = "glotip", domestic: bool = False,
          destinations: list[str] | None = None, file: str = "flows.csv") -> Panel:
    """Build the bilateral panel from a flows table, with the reporting universe explicit.

    A destination-year enters only when that destination reported citizenship data to the
    source that year. Inside it every origin seen anywhere in the selection gets a row; an
    origin with no published row is a true zero (0-0). ``<5`` stays 1-4 (censored).

    Args:
        flows: The tidy flows table (:func:`analysis.flows.load`).
        covariates: Tables keyed ``wdi``, ``geodist``, ``stock``, ``tip``, ``protection``
            (see :func:`load_covariates`); each one given is joined, lagged one year where
            it varies over time.
        indicator: Which indicator to model.
        source: Which source's reports define the universe.
        domestic: Keep origin = destination cells (off: gravity needs two countries).
        destinations: Restrict to these destinations (each must have reporting years).
        file: The flows file, named in errors.

    Returns:
        The :class:`Panel`.

    Raises:
        InputError: No reporting destination-year, a requested destination that never
            reported, or a covariate table that cannot be joined.
    """
    reason = _selection_reasons(flows, indicator, source, domestic)
    # a destination reporting only its own nationals did report citizenship data: it is in
    # the universe, with every foreign origin a true zero
    reported = (reason == "") | reason.str.startswith("domestic")
    if destinations is not None:
        _check_destinations(flows[reported], destinations, file)
        chosen = flows.destination.isin(destinations)
        reason = reason.mask((reason == "") & ~chosen, "destination not selected")
        reported &= chosen
    sel = flows[reason == ""]
    if sel.empty:
        raise InputError(file, f"no {indicator} rows from {source} to build a panel from",
                         "check the indicator and source names, or ingest the flows first")
    universe = reporting_universe(flows[reported])
    data = _expand(sel, universe, domestic)
    outside = flows[reason != ""].assign(reason=reason[reason != ""])
    panel = Panel(data=data, outside=outside.reset_index(drop=True), universe=universe)
    if covariates:
        panel.data, panel.gaps = join_covariates(panel.data, covariates)
    return panel


def _check_destinations(sel: pd.DataFrame, destinations: list[str], file: str) -> None:
    """Raise when a requested destination never reported to the source."""
    missing = sorted(set(destinations) - set(sel.destination))
    if missing:
        raise InputError(file, f"destination(s) with no reporting years: {', '.join(missing)}",
                         "drop them from the selection, or check the ISO3 codes",
                         column="destination")


def _expand(sel: pd.DataFrame, universe: pd.DataFrame, domestic: bool) -> pd.DataFrame:
    """Cross the reporting destination-years with every origin; unpublished cells are 0."""
    origins = pd.DataFrame({"origin": sorted(sel.origin.unique())})
    grid = universe[["destination", "year"]].merge(origins, how="cross")
    if not domestic:
        grid = grid[grid.origin != grid.destination]
    cells = sel[KEYS + ["value_low", "value_high", "censored"]]
    data = grid.merge(cells, on=["destination", "year", "origin"], how="left", validate="1:1")
    for col in ("value_low", "value_high"):
        data[col] = data[col].fillna(0).astype(np.int64)
    data["censored"] = data["censored"].fillna(False).astype(bool)
    data = data[KEYS + ["value_low", "value_high", "censored"]]
    data["pair"] = data.origin + "-" + data.destination
    return data.sort_values(KEYS).reset_index(drop=True)


def account(flows: pd.DataFrame, panel: Panel) -> pd.DataFrame:
    """Account for every count in the flows table: in the panel, or outside with a reason.

    Args:
        flows: The flows table the panel was built from.
        panel: The built panel.

    Returns:
        One row per destination (``in panel`` or an outside reason) with rows, value_low and
        value_high, plus a ``total`` row for the flows table and one for the check
        (``unaccounted``, all zero when every count is accounted for).
    """
    inside = panel.data[panel.data.value_high > 0]
    parts = [inside.assign(reason="in panel"), panel.outside]
    rows = pd.concat([p[["reason", "value_low", "value_high"]] for p in parts])
    out = rows.groupby("reason").agg(rows=("value_low", "size"), value_low=("value_low", "sum"),
                                     value_high=("value_high", "sum"))
    total = pd.Series({"rows": len(flows), "value_low": flows.value_low.sum(),
                       "value_high": flows.value_high.sum()})
    out.loc["total (flows table)"] = total
    out.loc["unaccounted"] = total - out.drop(index="total (flows table)").sum()
    return out.astype(np.int64)


# --------------------------------------------------------------------------- covariates


def load_covariates(data_dir: Path, names: tuple[str, ...] = tuple(COVARIATE_FILES)
                    ) -> dict[str, pd.DataFrame]:
    """Read the covariate tables that exist in a data folder.

    Args:
        data_dir: Folder holding ``flows.csv`` and the processed covariate tables.
        names: Which covariates to read; one whose file is absent is skipped.

    Returns:
        Tables keyed by covariate name, in the layouts :func:`join_covariates` expects.
    """
    data_dir = Path(data_dir)
    out: dict[str, pd.DataFrame] = {}
    for name in names:
        if name == "protection":
            out[name] = _protection_table(data_dir)
            continue
        path = data_dir / COVARIATE_FILES[name]
        if path.exists():
            out[name] = pd.read_csv(path, keep_default_na=False, na_values=[""])
    return out


def _protection_table(data_dir: Path) -> pd.DataFrame:
    """Compute the overall protection index (0-100) per coded entity and year.

    The coding is the project's own (``data/protection``), not a file of the data folder.
    """
    from analysis import protection

    codebook = protection.load_codebook()
    coding = protection.load_coding(codebook=codebook)
    rows = []
    for year in range(2000, pd.Timestamp.today().year + 1):
        ind = protection.indices(protection.as_of(coding, year), codebook)["overall"]
        rows.append(pd.DataFrame({"iso3": ind.index, "year": year, "protection": ind.values}))
    table = pd.concat(rows, ignore_index=True).dropna()
    return table[table.iso3.str.match(_ISO3)]  # the EU floor is coded too, not a State


def join_covariates(data: pd.DataFrame, tables: dict[str, pd.DataFrame]
                    ) -> tuple[pd.DataFrame, dict[str, int]]:
    """Join covariates to the panel; time-varying ones at year t - 1 (a one-year lag).

    Columns added: ``ln_gdppc_ratio`` = log(GDP pc PPP destination / origin),
    ``ln_stock`` = log(1 + migrant stock origin -> destination), ``ln_dist``,
    ``contiguous``, ``common_language``, ``colonial_tie``, ``protection`` (destination's
    overall index, 0-100) and ``tip_tier`` (destination's TIP tier, 1-3 with 2.5 for the
    Watch List). A country a table does not cover gets NaN (counted in the gaps).

    Args:
        data: The panel rows (origin, destination, year, ...).
        tables: Covariate tables keyed as in :data:`COVARIATE_FILES`.

    Returns:
        The panel with the covariates, and per covariate the number of rows left NaN.

    Raises:
        InputError: A table with missing columns, malformed or duplicated codes, or without
            any value for a year the panel needs.
    """
    out = data.copy()
    out["lag_year"] = out.year - 1
    gaps = {}
    for name, table in tables.items():
        table = _check_table(name, table)
        out = _JOINERS[name](out, table)
        gaps[name] = int(out[COVARIATE_COLUMNS[name][0]].isna().sum())
    return out.drop(columns="lag_year"), gaps


def _check_table(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """Check a covariate table's columns and codes; raise an InputError naming the problem."""
    file = COVARIATE_FILES.get(name, name)
    if name not in _COLUMNS:
        raise InputError(file, f"unknown covariate {name!r}",
                         f"use one of {', '.join(_COLUMNS)}")
    missing = [c for c in _COLUMNS[name] if c not in table.columns]
    if missing:
        raise InputError(file, f"missing column(s) {', '.join(missing)}",
                         f"the table needs {', '.join(_COLUMNS[name])}", column=missing[0])
    table = table[_COLUMNS[name]].copy()
    for col in [c for c in ("iso3", "origin", "destination") if c in table.columns]:
        bad = ~table[col].astype(str).str.match(_ISO3)
        if bad.any():
            first = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(file, f"{int(bad.sum())} code(s) are not ISO3, e.g. "
                             f"{table[col].iloc[first]!r}", "map them to ISO 3166 alpha-3 codes",
                             row=first + 2, column=col)
    keys = [c for c in ("iso3", "origin", "destination", "year") if c in table.columns]
    dup = table.duplicated(keys)
    if dup.any():
        first = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(file, f"{int(dup.sum())} repeated key(s) ({', '.join(keys)})",
                         "keep one row per key", row=first + 2)
    return table


def _require_years(name: str, have, need) -> None:
    """Raise when a time-varying covariate has no value at all in a year the panel needs."""
    missing = sorted(set(int(y) for y in need) - set(int(y) for y in have))
    if missing:
        raise InputError(COVARIATE_FILES[name],
                         f"no values for year(s) {', '.join(map(str, missing))}, needed as "
                         "one-year lags of the panel's years", "extend the table to those "
                         f"years, or build the panel without '{name}' or for fewer years",
                         column="year")


def _join_wdi(out: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    _require_years("wdi", table.year.dropna().unique(), out.lag_year.unique())
    gdp = table.set_index(["iso3", "year"])["gdppc_ppp"].astype(float)
    gdp = gdp.where(gdp > 0)
    o = gdp.reindex(pd.MultiIndex.from_arrays([out.origin, out.lag_year])).to_numpy()
    d = gdp.reindex(pd.MultiIndex.from_arrays([out.destination, out.lag_year])).to_numpy()
    return out.assign(ln_gdppc_ratio=np.log(d / o))


def _join_geodist(out: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    geo = table.assign(ln_dist=np.log(table.distance_km.astype(float).where(
        table.distance_km.astype(float) > 0)))
    cols = COVARIATE_COLUMNS["geodist"]
    return out.merge(geo[["origin", "destination", *cols]], on=["origin", "destination"],
                     how="left", validate="m:1")


def _join_stock(out: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    need = out.lag_year.unique()
    observed = np.sort(table.year.unique())
    if len(observed) == 0 or need.min() < observed.min() or need.max() > observed.max():
        # interpolation covers the years between published points, never beyond them
        _require_years("stock", observed, [y for y in need if len(observed) == 0
                                           or not observed.min() <= y <= observed.max()])
    annual = annual_stock(table, sorted(int(y) for y in need))
    merged = out.merge(annual.rename(columns={"year": "lag_year"}),
                       on=["origin", "destination", "lag_year"], how="left", validate="m:1")
    return merged.assign(ln_stock=np.log1p(merged.pop("stock")))


def annual_stock(table: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Migrant stock for single years: :func:`analysis.sources.undesa.annual_stock`.

    Linear between published points, never across a missing point; an absent pair stays
    unknown (NaN), never 0.

    Returns:
        origin, destination, year, stock for the pairs and years that can be filled.
    """
    from analysis.sources import undesa

    out = undesa.annual_stock(table, years)
    return out.dropna(subset=["stock"])[["origin", "destination", "year", "stock"]]


def _join_monadic(name: str, column: str, value: str):
    """Make the joiner of a destination-level covariate, lagged one year."""
    def join(out: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
        _require_years(name, table.year.dropna().unique(), out.lag_year.unique())
        series = table.set_index(["iso3", "year"])[value].astype(float)
        idx = pd.MultiIndex.from_arrays([out.destination, out.lag_year])
        return out.assign(**{column: series.reindex(idx).to_numpy()})
    return join


_JOINERS = {"wdi": _join_wdi, "geodist": _join_geodist, "stock": _join_stock,
            "tip": _join_monadic("tip", "tip_tier", "tier"),
            "protection": _join_monadic("protection", "protection", "protection")}
