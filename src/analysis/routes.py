"""Route analyses: the Japan and Europe routes, origin mix, destinations, findings."""

from __future__ import annotations

import pandas as pd

from analysis import countries, disclosure, export
from analysis.flows import format_interval, from_origins, sum_bounds

#: The two routes the project is about, as destination sets.
ROUTES = {
    "Southeast Asia -> Japan": ("JPN",),
    "Southeast Asia -> Europe": countries.EUROPE,
}


def pick_source(table: pd.DataFrame, source: str | None = None) -> str:
    """Choose which source a notebook shows: the one asked for, else GLOTIP, else the largest.

    Sources are never mixed in one figure: GLOTIP counts published detections, case
    records count registered cases, and adding them would double count.

    Raises:
        ValueError: ``source`` is not in the table, or the table is empty.
    """
    present = table.source.value_counts()
    if present.empty:
        raise ValueError("the flows table is empty: ingest a source first")
    if source:
        if source not in present.index:
            raise ValueError(f"source {source!r} not in the flows table; present: "
                             f"{sorted(present.index)}")
        return source
    return "glotip" if "glotip" in present.index else str(present.index[0])


def cross_border(table: pd.DataFrame, origins=countries.SOUTHEAST_ASIA) -> pd.DataFrame:
    """Cross-border flows of detected victims (totals by sex and age) from ``origins``."""
    return from_origins(table, origins=origins)


def route_series(flows: pd.DataFrame, routes: dict = ROUTES) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Yearly size of each route (summed bounds) and the number of reporting destinations.

    Returns:
        (series with route, year, value_low, value_high, censored;
         reporters with route, year, n).
    """
    series, reporters = [], []
    for name, dests in routes.items():
        sel = flows[flows.destination.isin(dests)]
        if sel.empty:
            continue
        series.append(sum_bounds(sel, ["year"]).assign(route=name))
        reporters.append(sel.groupby("year", as_index=False).destination.nunique()
                         .rename(columns={"destination": "n"}).assign(route=name))
    cols = ["route", "year", "value_low", "value_high", "censored"]
    s = pd.concat(series, ignore_index=True)[cols] if series else pd.DataFrame(columns=cols)
    r = pd.concat(reporters, ignore_index=True) if reporters else pd.DataFrame(
        columns=["year", "n", "route"])
    return s, r


def origin_mix(flows: pd.DataFrame, routes: dict = ROUTES) -> pd.DataFrame:
    """Each route's detected victims by origin over the whole period (summed bounds)."""
    parts = [sum_bounds(flows[flows.destination.isin(d)], ["origin"]).assign(route=name)
             for name, d in routes.items() if flows.destination.isin(d).any()]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["origin", "value_low", "value_high", "censored", "route"])


def period_pairs(flows: pd.DataFrame, periods: list[tuple[int, int]]) -> dict[str, pd.DataFrame]:
    """Sum flows per origin-destination pair within each period, keyed by a label."""
    out = {}
    for a, b in periods:
        label = f"{a}-{b}" if a != b else f"{a}"
        out[label] = sum_bounds(flows[(flows.year >= a) & (flows.year <= b)],
                                ["origin", "destination"])
    return out


def destination_totals(flows: pd.DataFrame) -> pd.DataFrame:
    """Total detected victims per destination over the period, with its display group."""
    out = sum_bounds(flows, ["destination"])
    out["group"] = out.destination.map(countries.destination_group)
    out["name"] = out.destination.map(countries.name)
    return out.sort_values(["value_low", "value_high"], ascending=False).reset_index(drop=True)


def group_totals(flows: pd.DataFrame) -> pd.DataFrame:
    """Total detected victims per destination group (Japan, Europe, ...)."""
    groups = flows.assign(group=flows.destination.map(countries.destination_group))
    return sum_bounds(groups, ["group"]).sort_values("value_low", ascending=False)


def findings(flows: pd.DataFrame, kind: str = "aggregate") -> dict:
    """Facts the routes notebook states, derived from the data (never typed in by hand).

    Args:
        flows: Cross-border flows of one source.
        kind: ``aggregate`` or ``case``; for case records a total under 11 is stated as
            "fewer than 11", never as its value.

    Returns:
        A dict of numbers and names; the notebook asserts the comparisons it states.
    """
    years = sorted(flows.year.unique())
    groups = group_totals(flows).set_index("group")
    dests = destination_totals(flows)
    mix = origin_mix(flows)
    top_origin = {r: mix[mix.route == r].sort_values("value_low").iloc[-1].origin
                  for r in mix.route.unique()}
    def interval(group):
        if group not in groups.index:
            return (0, 0)
        return int(groups.at[group, "value_low"]), int(groups.at[group, "value_high"])
    japan, europe = interval("Japan"), interval("Europe (EU27, UK, EFTA)")
    japan_rank = (dests.destination.tolist().index("JPN") + 1
                  if "JPN" in set(dests.destination) else None)
    return {
        "first_year": int(years[0]), "last_year": int(years[-1]), "n_years": len(years),
        "total": (int(flows.value_low.sum()), int(flows.value_high.sum())),
        "japan": japan, "europe": europe,
        "japan_text": stated(*japan, kind), "europe_text": stated(*europe, kind),
        "total_text": stated(int(flows.value_low.sum()), int(flows.value_high.sum()), kind),
        "europe_exceeds_japan": europe[0] > japan[1],
        "japan_rank": japan_rank, "n_destinations": int(dests.destination.nunique()),
        "top_destination": dests.iloc[0].destination,
        "top_origin": top_origin,
        "europe_reporters": int(flows[flows.destination.isin(countries.EUROPE)]
                                .destination.nunique()),
    }


SOURCE_NOTES = {
    "glotip": "Source: UNODC GLOTIP data (dataUNODC).",
    "ctdc": "Source: CTDC Global Dataset (registered victim cases, k-anonymised).",
    "template_counts": "Source: user-supplied aggregate counts.",
    "template_cases": "Source: user-supplied case records.",
}


UNITS = {"glotip": "detected victims", "ctdc": "registered victims (cases)",
         "template_counts": "victims (counts supplied)", "template_cases": "victims (cases)"}


CAVEATS = {
    "glotip": "Detected victims are detections, not prevalence: they depend on how hard each "
              "country looks and on which countries report.",
    "ctdc": "Registered cases are victims identified and assisted by the reporting "
            "organisations, not prevalence; small groups are suppressed (k = 11).",
}


def caveat(source: str) -> str:
    """Return the caveat printed under a source's figures."""
    return CAVEATS.get(source, "Counts are identified victims, not prevalence; small groups "
                               "from case records are suppressed (k = 11).")


def unit(source: str) -> str:
    """Return what a source counts, for axis labels."""
    return UNITS.get(source, "victims")


def source_note(source: str) -> str:
    """Return the source line printed under a figure."""
    return SOURCE_NOTES.get(source, f"Source: {source}.")


def stated(low: int, high: int, kind: str) -> str:
    """Format a count for running text, hiding a small group from case records."""
    k = export.threshold(kind)
    if kind == "case" and 0 < high < k:
        return f"fewer than {k}"
    return format_interval(low, high)


def protect_series(series: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Hide yearly route sizes under k for case records (no totals are shown beside them).

    Returns:
        The series with a boolean ``suppressed`` column; suppressed values become NaN.
    """
    out = series.copy()
    out["suppressed"] = False
    if kind != "case":
        return out
    small = (out.value_low > 0) & (out.value_low < export.threshold(kind))
    out["value_low"] = out.value_low.astype(float).mask(small)
    out["value_high"] = out.value_high.astype(float).mask(small)
    out["suppressed"] = small
    return out


def protect_mix(mix: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Prepare the origin mix for publication, with each route's total as ``route_total``.

    Published aggregates are shown whole. For case records the route x origin table is
    suppressed with its totals (primary and secondary suppression, k = 11): hidden cells
    are dropped and a hidden route total becomes NaN.
    """
    if kind != "case":
        totals = mix.groupby("route").value_low.transform("sum")
        return mix.assign(route_total=totals)
    wide = mix.pivot_table(index="route", columns="origin", values="value_low",
                           aggfunc="sum", fill_value=0)
    safe = disclosure.suppress(wide, k=export.threshold(kind), margins=True)
    total = safe.attrs["total"]
    route_total = safe[total].drop(index=total)
    long = safe.drop(index=total, columns=total).stack(future_stack=True).dropna()
    out = long.rename("value_low").reset_index()
    out.columns = ["route", "origin", "value_low"]
    out = out[out.value_low > 0].assign(value_high=lambda d: d.value_low, censored=False)
    out["route_total"] = out.route.map(route_total.astype(float))
    return out.reset_index(drop=True)


def protect_destinations(dest: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Drop destination totals under k for case records (no grand total is shown)."""
    if kind != "case":
        return dest
    return dest[dest.value_low >= export.threshold(kind)].reset_index(drop=True)
