"""Route analyses: the Japan and Europe routes, origin mix, destinations, findings."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import countries, disclosure
from analysis.disclosure import WITHHELD, Fact
from analysis.flows import (
    format_interval,
    pick_source,  # noqa: F401 (notebooks call routes.pick_source)
    sum_bounds,
)

#: The two routes the project is about, as destination sets.
ROUTES = {
    "Southeast Asia -> Japan": ("JPN",),
    "Southeast Asia -> Europe": countries.EUROPE,
}


def route_series(flows: pd.DataFrame, universe: pd.DataFrame,
                 routes: dict = ROUTES) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Yearly size of each route (summed bounds) and the number of reporting destinations.

    Args:
        flows: Cross-border flows of one source from the origins of interest.
        universe: Destination-years that reported any citizenship data (see
            :func:`analysis.flows.reporting_universe`): a destination reporting no victim
            from these origins still reported, and counts among the reporters.
        routes: Route name -> destination ISO3 codes.

    Returns:
        (series with route, group, year, value_low, value_high, censored;
         reporters with route, year, n).
    """
    series, reporters = [], []
    sources = set(flows.source)
    for name, dests in routes.items():
        sel = flows[flows.destination.isin(dests)]
        if sel.empty:
            continue
        series.append(sum_bounds(sel, ["year"]).assign(route=name, group=_group(dests)))
        rep = universe[universe.source.isin(sources) & universe.destination.isin(dests)]
        reporters.append(rep.groupby("year", as_index=False).destination.nunique()
                         .rename(columns={"destination": "n"}).assign(route=name))
    cols = ["route", "group", "year", "value_low", "value_high", "censored"]
    s = pd.concat(series, ignore_index=True)[cols] if series else pd.DataFrame(columns=cols)
    r = pd.concat(reporters, ignore_index=True) if reporters else pd.DataFrame(
        columns=["year", "n", "route"])
    return s, r


def _group(dests) -> str:
    """Display group of a route's destinations, by ISO3 membership ("Other" when mixed)."""
    groups = {countries.destination_group(d) for d in dests}
    return groups.pop() if len(groups) == 1 else "Other"


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


# --- What may be published from case records -------------------------------------------------

#: Figures in the order the notebook shows them; earlier figures get their cells first.
FIGURES = ("pair", "period", "series", "mix", "mix_total", "dest")


def _cells(flows: pd.DataFrame) -> pd.Series:
    """Return true counts per (origin, destination, year): the unknowns an attacker solves."""
    return flows.groupby(["origin", "destination", "year"]).value_low.sum().astype(float)


def _figure_groups(cells: pd.Series, periods: list[tuple[int, int]],
                   routes: dict = ROUTES) -> dict[tuple, list]:
    """Every number the route figures show, as the cells it sums, in figure order."""
    groups: dict[tuple, list] = {}
    for o, d, y in cells.index:
        keys = [("pair", o, d), ("dest", d)]
        keys += [("period", _label(a, b), o, d) for a, b in periods if a <= y <= b]
        for name, dests in routes.items():
            if d in dests:
                keys += [("series", name, y), ("mix", name, o), ("mix_total", name)]
        for key in keys:
            groups.setdefault(key, []).append((o, d, y))
    return dict(sorted(groups.items(), key=lambda kv: FIGURES.index(kv[0][0])))


def _label(a: int, b: int) -> str:
    return f"{a}-{b}" if a != b else f"{a}"


def _statements(flows: pd.DataFrame, cells: pd.Series,
                routes: dict = ROUTES) -> list[tuple[str, list[Fact]]]:
    """Return the facts each sentence of :func:`summary` states, as linear facts."""
    labels = list(cells.index)
    by_dest = {d: [c for c in labels if c[1] == d] for d in cells.index.unique("destination")}
    by_year = {y: [c for c in labels if c[2] == y] for y in cells.index.unique("year")}
    dest_total = {d: cells[c].sum() for d, c in by_dest.items()}
    ranked = sorted(dest_total, key=lambda d: -dest_total[d])
    europe = [c for c in labels if c[1] in countries.EUROPE]
    japan = by_dest.get("JPN", [])
    out = [
        ("years", [Fact.positive(c, f"year {y}") for y, c in by_year.items()]),
        ("total", [Fact.total(labels, cells.sum(), "total")]),
        ("n_destinations", [Fact.positive(c, d) for d, c in by_dest.items()]),
        ("europe", [Fact.total(europe, cells[europe].sum(), "Europe")]),
        ("europe_reporters", [Fact.positive(by_dest[d], d) for d in by_dest
                              if d in countries.EUROPE]),
        ("japan", [Fact.total(japan, cells[japan].sum(), "Japan")]),
        ("europe_exceeds_japan", [Fact.at_least(europe, japan) if cells[europe].sum()
                                  >= cells[japan].sum() else Fact.at_least(japan, europe)]),
    ]
    if japan:
        rank = ranked.index("JPN")
        order = [Fact.at_least(by_dest[d], japan) for d in ranked[:rank]]
        order += [Fact.at_least(japan, by_dest[d]) for d in ranked[rank + 1:]]
        out.append(("japan_rank", order))
    out.append(("top_destination", [Fact.at_least(by_dest[ranked[0]], by_dest[d])
                                    for d in ranked[1:]]))
    for name, dests in routes.items():
        route = [c for c in labels if c[1] in dests]
        if not route:
            continue
        by_origin = {o: [c for c in route if c[0] == o] for o in {c[0] for c in route}}
        top = max(by_origin, key=lambda o: (cells[by_origin[o]].sum(), o))
        out.append((f"top_origin:{name}", [Fact.at_least(by_origin[top], by_origin[o])
                                            for o in by_origin if o != top]))
    return out


def plan(flows: pd.DataFrame, kind: str, periods: list[tuple[int, int]]) -> dict | None:
    """Decide which numbers and sentences about case records may be published together.

    Every figure value and every sentence of notebook 01 is a linear fact about the same
    cells (victims per origin, destination and year). Groups under k are hidden; then,
    in figure order and sentence last, a number or sentence is shown only when everything
    shown so far plus it still keeps every hidden group protected
    (:func:`analysis.disclosure.check_facts`): a route total in the text cannot give away
    a hidden year, a ranking cannot order suppressed groups.

    Args:
        flows: Cross-border flows of one source.
        kind: Source kind; published aggregates need no plan (``None`` is returned).
        periods: The periods of the small-multiple maps.

    Returns:
        Key -> shown, with keys ``("pair", o, d)``, ``("period", label, o, d)``,
        ``("series", route, year)``, ``("mix", route, o)``, ``("mix_total", route)``,
        ``("dest", d)`` and ``("text", sentence)``; ``None`` for published aggregates.
    """
    if kind != "case":
        return None
    k = disclosure.threshold(kind)
    cells = _cells(flows)
    groups = _figure_groups(cells, periods)
    value = {key: float(cells[labels].sum()) for key, labels in groups.items()}
    small = [key for key in groups if 0 < value[key] < k]
    protect = {str(key): groups[key] for key in small}
    shown = {key: False for key in small}
    accepted: list[Fact] = []
    candidates = [(key, [Fact.total(labels, value[key], str(key))])
                  for key, labels in groups.items() if not 0 < value[key] < k]
    candidates += [(("text", name), facts) for name, facts in _statements(flows, cells)]
    for figure in (*FIGURES, "text"):
        block = [(key, facts) for key, facts in candidates if key[0] == figure]
        together = [f for _, facts in block for f in facts]
        if not disclosure.check_facts(cells, k, accepted + together, protect):
            accepted += together  # the whole figure passes at once: no need to go one by one
            shown.update({key: True for key, _ in block})
            continue
        for key, facts in block:
            shown[key] = not disclosure.check_facts(cells, k, accepted + facts, protect)
            if shown[key]:
                accepted += facts
    return shown


def findings(flows: pd.DataFrame, kind: str = "aggregate", shown: dict | None = None) -> dict:
    """Facts the routes notebook states, derived from the data (never typed in by hand).

    Args:
        flows: Cross-border flows of one source.
        kind: ``aggregate`` or ``case``.
        shown: For case records, the :func:`plan`: a fact whose sentence did not pass the
            check is ``None`` (its text :data:`analysis.disclosure.WITHHELD`) and is listed
            under ``withheld``.

    Returns:
        A dict of numbers and names; the notebook asserts the comparisons it states.
    """
    if kind == "case" and shown is None:
        raise ValueError("findings() on case records needs the plan: routes.plan(...)")
    years = sorted(flows.year.unique())
    groups = group_totals(flows).set_index("group")
    dests = destination_totals(flows)
    mix = origin_mix(flows)
    top_origin = {r: mix[mix.route == r].sort_values(["value_low", "origin"]).iloc[-1].origin
                  for r in mix.route.unique()}

    def interval(group):
        if group not in groups.index:
            return (0, 0)
        return int(groups.at[group, "value_low"]), int(groups.at[group, "value_high"])

    japan, europe = interval("Japan"), interval("Europe (EU27, UK, EFTA)")
    total = (int(flows.value_low.sum()), int(flows.value_high.sum()))
    out = {
        "first_year": int(years[0]), "last_year": int(years[-1]), "n_years": len(years),
        "total": total, "japan": japan, "europe": europe,
        "japan_text": stated(*japan, kind), "europe_text": stated(*europe, kind),
        "total_text": stated(*total, kind),
        "europe_exceeds_japan": europe[0] > japan[1],
        "japan_rank": (dests.destination.tolist().index("JPN") + 1
                       if "JPN" in set(dests.destination) else None),
        "n_destinations": int(dests.destination.nunique()),
        "top_destination": dests.iloc[0].destination,
        "top_origin": top_origin,
        "europe_reporters": int(flows[flows.destination.isin(countries.EUROPE)]
                                .destination.nunique()),
        "withheld": [],
    }
    return out if shown is None else _withhold(out, shown)


def _withhold(out: dict, shown: dict) -> dict:
    """Blank every fact whose sentence did not pass the plan's check."""
    fields = {"years": ["first_year", "last_year", "n_years"], "total": ["total"],
              "n_destinations": ["n_destinations"], "europe": ["europe"],
              "europe_reporters": ["europe_reporters"], "japan": ["japan"],
              "europe_exceeds_japan": ["europe_exceeds_japan"], "japan_rank": ["japan_rank"],
              "top_destination": ["top_destination"]}
    for name, keys in fields.items():
        if not shown.get(("text", name), False):
            out["withheld"].append(name)
            for key in keys:
                out[key] = None
                if f"{key}_text" in out:
                    out[f"{key}_text"] = WITHHELD
    for route in list(out["top_origin"]):
        if not shown.get(("text", f"top_origin:{route}"), False):
            out["withheld"].append(f"top_origin:{route}")
            out["top_origin"][route] = None
    return out


def summary(f: dict) -> list[str]:
    """Return the sentences notebook 01 prints about the routes, leaving out the withheld."""
    period = (f"Between {f['first_year']} and {f['last_year']}" if f["first_year"] is not None
              else "Over the period")
    who = (f"{f['n_destinations']} countries" if f["n_destinations"] is not None
           else "the countries in the data")
    lines = [f"- {period}, {who} detected {f['total_text']} victims from Southeast Asia "
             "outside their own country." if f["total"] is not None else
             f"- {period}, {who} detected victims from Southeast Asia outside their own "
             f"country (total {WITHHELD})."]
    europe = "European countries"
    if f["europe_reporters"] is not None:
        europe += f" ({f['europe_reporters']} of them reported such victims)"
    rank = (f", ranking {f['japan_rank']} of {f['n_destinations']} destinations"
            if f["japan_rank"] is not None and f["n_destinations"] is not None else "")
    lines.append(f"- {europe} detected {f['europe_text']}; Japan detected "
                 f"{f['japan_text']}{rank}.")
    if f["top_destination"] is not None:
        lines.append("- The largest destination was "
                     f"{countries.name(f['top_destination'], article=True)}.")
    for route, origin in f["top_origin"].items():
        if origin is not None:
            lines.append(f"- On the route {route}, the largest group of detected victims came "
                         f"from {countries.name(origin, article=True)}.")
    return lines


def stated(low: int, high: int, kind: str) -> str:
    """Format a count for running text; a small group from case records is never stated."""
    if kind == "case" and 0 < high < disclosure.threshold(kind):
        return WITHHELD
    return format_interval(low, high)


def _need(shown: dict | None, kind: str) -> dict:
    if kind == "case" and shown is None:
        raise ValueError("case records need the publication plan: routes.plan(...)")
    return shown or {}


def protect_series(series: pd.DataFrame, kind: str, shown: dict | None = None) -> pd.DataFrame:
    """Hide the yearly route sizes the plan withholds (case records).

    Returns:
        The series with a boolean ``suppressed`` column; suppressed values become NaN.
    """
    out = series.copy()
    out["suppressed"] = False
    if kind != "case":
        return out
    shown = _need(shown, kind)
    hide = ~pd.Series([shown.get(("series", r, y), False) for r, y in
                       zip(out.route, out.year, strict=True)], index=out.index)
    out["value_low"] = out.value_low.astype(float).mask(hide)
    out["value_high"] = out.value_high.astype(float).mask(hide)
    out["suppressed"] = hide
    return out


def protect_mix(mix: pd.DataFrame, kind: str, shown: dict | None = None) -> pd.DataFrame:
    """Prepare the origin mix for publication, with each route's total as ``route_total``.

    Published aggregates are shown whole. For case records only the cells and route
    totals the plan shows are kept (a hidden route total becomes NaN).
    """
    if kind != "case":
        return mix.assign(route_total=mix.groupby("route").value_low.transform("sum"))
    shown = _need(shown, kind)
    totals = mix.groupby("route").value_low.sum()
    keep = [shown.get(("mix", r, o), False) for r, o in zip(mix.route, mix.origin, strict=True)]
    out = mix[keep].copy()
    out["route_total"] = [float(totals[r]) if shown.get(("mix_total", r), False) else np.nan
                          for r in out.route]
    return out.reset_index(drop=True)


def protect_destinations(dest: pd.DataFrame, kind: str,
                         shown: dict | None = None) -> pd.DataFrame:
    """Keep the destination totals the plan shows (case records)."""
    if kind != "case":
        return dest
    shown = _need(shown, kind)
    keep = [shown.get(("dest", d), False) for d in dest.destination]
    return dest[keep].reset_index(drop=True)


def protect_pairs(pairs: pd.DataFrame, kind: str, shown: dict | None = None,
                  period: str | None = None) -> pd.DataFrame:
    """Keep the origin-destination flows the plan shows (case records), for maps and tables."""
    if kind != "case":
        return pairs
    shown = _need(shown, kind)
    key = (lambda o, d: ("pair", o, d)) if period is None else (
        lambda o, d: ("period", period, o, d))
    keep = [shown.get(key(o, d), False) for o, d in
            zip(pairs.origin, pairs.destination, strict=True)]
    return pairs[keep].reset_index(drop=True)
