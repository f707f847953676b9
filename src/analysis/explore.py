"""Notebook controls (ipywidgets) for routes and the protection ranking, disclosure-checked."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from analysis import countries, disclosure, flows, i18n, protection, routes
from analysis.disclosure import DisclosureError

#: Destination choices: every display group, plus all destinations.
ALL = "All destinations"


@dataclass(frozen=True)
class RoutesState:
    """What the routes controls select.

    Attributes:
        source: Registered source id (never mixed: one source per view).
        period: First and last year, inclusive.
        origins: Origin ISO3 codes.
        destinations: A destination group name (``countries.DESTINATION_GROUPS``), or
            :data:`ALL`.
    """

    source: str
    period: tuple[int, int]
    origins: tuple[str, ...] = countries.SOUTHEAST_ASIA
    destinations: str = ALL


@dataclass
class View:
    """What one widget state shows: tables already checked for disclosure.

    Attributes:
        pairs: Origin-destination flows drawn on the map (lower bound at least k), or
            empty when withheld.
        series: Yearly size of the Japan and Europe routes (``suppressed`` column).
        kind: Source kind (``aggregate`` or ``case``).
        threshold: Smallest group shown (k).
        record: The disclosure record of the pairs, as an export's sidecar would carry it.
        series_record: The same for the series.
        withheld: Why something is not shown (empty when everything is).
    """

    pairs: pd.DataFrame
    series: pd.DataFrame
    kind: str
    threshold: int
    record: dict = field(default_factory=dict)
    series_record: dict = field(default_factory=dict)
    withheld: list[str] = field(default_factory=list)


def _destinations(name: str) -> tuple[str, ...] | None:
    if name == ALL:
        return None
    if name not in countries.DESTINATION_GROUPS:
        from analysis.errors import InputError

        raise InputError("explore", f"unknown destination group {name!r}",
                         f"choose {ALL!r} or one of {list(countries.DESTINATION_GROUPS)}")
    return countries.DESTINATION_GROUPS[name]


def selected_flows(table: pd.DataFrame, state: RoutesState) -> pd.DataFrame:
    """Cross-border flows of the state's source, origins, period and destinations."""
    data = table[table.source == state.source]
    se = flows.from_origins(data, state.origins)
    se = se[(se.year >= state.period[0]) & (se.year <= state.period[1])]
    dests = _destinations(state.destinations)
    return se if dests is None else se[se.destination.isin(dests)]


def checked(table: pd.DataFrame, source: str, count: str = "value_low",
            allow_small_cells: bool = False) -> tuple[pd.DataFrame, dict, list[str]]:
    """Pass a table through the export's disclosure check; withhold it whole when it fails.

    Args:
        table: What the view would show.
        source: Registered source id (its k applies).
        count: Column of the shown counts.
        allow_small_cells: The override the matching export uses (on record).

    Returns:
        (the table, or an empty one when withheld; the record; the reasons withheld).
    """
    try:
        record = disclosure.check_export(table, source, count, allow_small_cells)
    except DisclosureError as err:
        k = disclosure.threshold(source)
        return table.iloc[0:0], {"checked": True, "withheld": True, "threshold": k}, [
            f"{i18n.label('widget.withheld', k=k)} ({err})"]
    return table, record, []


def routes_view(table: pd.DataFrame, state: RoutesState) -> View:
    """Compute what the routes controls show for one state (the widget's callback).

    The same library calls as notebook 01: :func:`analysis.routes.plan` decides what case
    records may show, :func:`analysis.routes.protect_pairs` and
    :func:`~analysis.routes.protect_series` hide the rest, the map's rule keeps flows
    whose lower bound reaches k, and the export's disclosure check has the last word.

    Args:
        table: The flows table (:func:`analysis.flows.load`).
        state: The controls' values.

    Returns:
        The checked view.
    """
    from analysis.sources import registry

    record = registry.get(state.source)
    k = record.threshold
    se = selected_flows(table, state)
    shown = routes.plan(se, record.kind, [state.period])
    pairs = routes.protect_pairs(flows.sum_bounds(se, ["origin", "destination"]),
                                 record.kind, shown)
    pairs = pairs[pairs.value_low >= k].reset_index(drop=True)
    pairs, check, withheld = checked(pairs, state.source)
    universe = flows.reporting_universe(table[table.source == state.source])
    series, _ = routes.route_series(se, universe)
    series = routes.protect_series(series, record.kind, shown)
    # As notebook 01's export: published aggregates are censored at source (<5), so their
    # yearly sums may be small (override on record); case records follow the plan.
    series, series_check, more = checked(series.rename(columns={"value_low": "shown"}),
                                         state.source, "shown", record.kind == "aggregate")
    series = series.rename(columns={"shown": "value_low"})
    return View(pairs, series, record.kind, k, check, series_check, withheld + more)


def ranking_view(year: int, dimension_weights: dict[str, float] | None = None,
                 coding: pd.DataFrame | None = None,
                 codebook: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rank the protection law for a year and weights per dimension (notebook 02's callback).

    Args:
        year: State of the law on 31 December of this year.
        dimension_weights: Dimension -> weight, split equally among its provisions
            (``None``: every dimension the same, the codebook's ``dimension`` scheme).
        coding: The coding (default: the committed one).
        codebook: The codebook (default: the committed one).

    Returns:
        Entities with ``index`` (0-100) and ``rank`` among countries (1 = most protective;
        ties share the best rank; the EU floor, not a country, has no rank), best first.
        Law counts no people: the covariate disclosure check passes it, on record in
        ``attrs['disclosure']``.
    """
    codebook = protection.load_codebook() if codebook is None else codebook
    coding = protection.load_coding(codebook=codebook) if coding is None else coding
    scores = protection.as_of(coding, year)
    scheme = "dimension" if dimension_weights is None else provision_weights(
        codebook, dimension_weights)
    ind = protection.indices(scores, codebook, scheme)["overall"].rename("index")
    out = ind.to_frame()
    ranked = ind.drop(index=protection.EU_FLOOR, errors="ignore")
    out["rank"] = ranked.rank(ascending=False, method="min")
    out = out.sort_values(["index"], ascending=False, kind="stable")
    out.attrs["disclosure"] = disclosure.check_export(None, "covariate")
    return out


def provision_weights(codebook: pd.DataFrame, dimension_weights: dict[str, float]
                      ) -> dict[str, float]:
    """Spread each dimension's weight equally over its provisions (missing dimensions: 0)."""
    sizes = codebook.groupby("dimension").size()
    return {p: float(dimension_weights.get(d, 0.0)) / sizes[d]
            for p, d in codebook["dimension"].items()}


# --- The widgets (thin: every number comes from the callbacks above) ---------------------------

def routes_controls(table: pd.DataFrame, lang: str = "en"):
    """Build notebook 01's controls: period, origins, destinations, source; map and table.

    Args:
        table: The flows table.
        lang: ``en`` or ``ja`` for the control labels.

    Returns:
        An ipywidgets VBox.
    """
    import ipywidgets as w
    from IPython.display import display

    sources = sorted(table.source.unique())
    years = (int(table.year.min()), int(table.year.max()))
    source = w.Dropdown(options=sources, value=routes.pick_source(table),
                        description=i18n.label("widget.source", lang))
    period = w.IntRangeSlider(value=years, min=years[0], max=years[1], step=1,
                              description=i18n.label("widget.period", lang))
    origins = w.SelectMultiple(options=[(countries.name(o), o) for o in
                                        countries.SOUTHEAST_ASIA],
                               value=countries.SOUTHEAST_ASIA, rows=6,
                               description=i18n.label("widget.origins", lang))
    dests = w.Dropdown(options=[ALL, *countries.DESTINATION_GROUPS],
                       description=i18n.label("widget.destinations", lang))
    out = w.Output()

    def update(_=None):
        state = RoutesState(source.value, tuple(period.value), tuple(origins.value),
                            dests.value)
        view = routes_view(table, state)
        out.clear_output(wait=True)
        with out:
            for reason in view.withheld:
                print(reason)
            if not view.pairs.empty:
                _show_map(view, state)
                display(view.pairs)

    for control in (source, period, origins, dests):
        control.observe(update, names="value")
    update()
    return w.VBox([w.HBox([source, dests]), period, origins, out])


def _show_map(view: View, state: RoutesState) -> None:
    import matplotlib.pyplot as plt
    from IPython.display import display

    from analysis.figures import routes as route_figures

    title = f"{state.period[0]}-{state.period[1]}"
    # The static map's own function: the same drawing rule (k from the source's record).
    fig, _ = route_figures.flow_map(view.pairs, title, state.source, origins=state.origins)
    display(fig)
    plt.close(fig)  # shown once, in the Output; not again at the end of the cell


def ranking_controls(lang: str = "en"):
    """Build notebook 02's controls: year and one weight per dimension; the ranking below.

    Args:
        lang: ``en`` or ``ja`` for the control labels.

    Returns:
        An ipywidgets VBox.
    """
    import ipywidgets as w
    from IPython.display import display

    codebook = protection.load_codebook()
    coding = protection.load_coding(codebook=codebook)
    last = protection.latest_year(protection.coded_up_to())
    year = w.IntSlider(value=last, min=protection.START.year, max=last,
                       description=i18n.label("widget.year", lang))
    sliders = {d: w.FloatSlider(value=1.0, min=0.0, max=3.0, step=0.5, description=d[:18])
               for d in sorted(codebook.dimension.unique())}
    out = w.Output()

    def update(_=None):
        weights = {d: s.value for d, s in sliders.items()}
        out.clear_output(wait=True)
        with out:
            if sum(weights.values()) <= 0:
                print("Give at least one dimension a weight above 0.")
                return
            display(ranking_view(year.value, weights, coding, codebook).round(1))

    for control in (year, *sliders.values()):
        control.observe(update, names="value")
    update()
    return w.VBox([year, w.Label(i18n.label("widget.weights", lang)), *sliders.values(), out])
