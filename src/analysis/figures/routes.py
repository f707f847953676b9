"""Route figures: flow maps, the Japan and Europe routes over time, top destinations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import countries, geo
from analysis.figures import (
    GROUP_COLOURS,
    GROUP_STYLES,
    country,
    figsize,
    group,
    localised,
    palette,
    source_texts,
    text,
    use_style,
    wrap,
)
from analysis.flows import CENSOR_THRESHOLD
from analysis.sources import registry

#: GLOTIP's caveat, read from the registry (other figure modules import it by this name).
DETECTION_NOTE = registry.get("glotip").caveat
ORIGIN_FILL = "#cfe8d8"
LAND = "#e6e6e6"
#: Width in points of a line of 1,000 detected victims (square-root scaling).
WIDTH_PER_SQRT = 5.0 / np.sqrt(1000)


def _wrap(note: str, width: int = 160) -> str:
    """Wrap a note (English or Japanese) to ``width`` half-width cells."""
    return wrap(note, width)


def subtitle(source: str, lang: str = "en") -> str:
    """Return the line under a figure's title: which source it shows and what it counts.

    Raises:
        analysis.errors.InputError: The source is not registered.
    """
    unit, _, note = source_texts(source, lang)
    return f"{note} " + localised("subtitle.counts", lang, f"Counts: {unit}.", unit=unit)


def _headline(fig, source: str, lang: str = "en") -> None:
    """Print the source line at the top left of a figure (every figure names its source)."""
    fig.suptitle(subtitle(source, lang), x=0.01, ha="left", fontsize=8, color="#333333")


def route_name(route: str, lang: str = "en") -> str:
    """Return a route's display name (``analysis.routes.ROUTES`` keys) in ``lang``."""
    keys = {"Southeast Asia -> Japan": "route.japan", "Southeast Asia -> Europe": "route.europe"}
    return localised(keys.get(route, ""), lang, route)


def drawable(table: pd.DataFrame, threshold: int = CENSOR_THRESHOLD):
    """Split flows into those drawn as lines (certainly >= threshold) and those not drawn.

    A flow is drawn only when its lower bound reaches the threshold (5 for published
    aggregates, UNODC's practice; 11 for case records); a flow whose interval straddles
    it might be below it and is not drawn either.
    """
    ok = table["value_low"] >= threshold
    return table[ok], table[~ok]


def line_width(value) -> np.ndarray:
    """Return line widths (points) proportional to the square root of the count."""
    return np.maximum(0.4, WIDTH_PER_SQRT * np.sqrt(np.asarray(value, dtype=float)))


def _basemap(ax, lon0: float, origins) -> None:
    world = geo.split_at_seam(geo.world(), lon0).to_crs(geo.crs(lon0))
    is_origin = world["iso3"].isin(origins)
    world[~is_origin].plot(ax=ax, color=LAND, edgecolor="white", linewidth=0.2)
    world[is_origin].plot(ax=ax, color=ORIGIN_FILL, edgecolor="white", linewidth=0.2)
    ax.set_axis_off()
    # "datalim", not the default "box": a box shrunk to the map's aspect after the layout
    # moved the title above the page and the legend below it (the clipped PDFs of issue 9).
    ax.set_aspect("equal")


def _draw_lines(ax, flows: pd.DataFrame, lon0: float) -> int:
    """Draw great-circle lines, widest last on the bottom; return how many were drawn."""
    lines = geo.route_lines(flows, lon0).to_crs(geo.crs(lon0))
    lines = lines.assign(group=lines.destination.map(countries.destination_group))
    lines = lines.sort_values("value_low", ascending=False)
    for row in lines.itertuples():
        exact = row.value_low == row.value_high
        style = "-" if exact else (0, (3, 1.5))
        parts = getattr(row.geometry, "geoms", [row.geometry])
        for part in parts:
            x, y = part.xy
            ax.plot(x, y, color=GROUP_COLOURS.get(row.group, GROUP_COLOURS["Other"]),
                    linewidth=float(line_width(row.value_low)), linestyle=style, alpha=0.75,
                    solid_capstyle="round", zorder=3)
    return len(lines)


def _legend(ax, groups: list[str], censored: bool, examples=(10, 100, 1000),
            lang: str = "en") -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=GROUP_COLOURS[g], linewidth=3, label=group(g, lang))
               for g in groups]
    handles += [Line2D([], [], color="#555555", linewidth=float(line_width(v)),
                       label=text("legend.victims", lang, n=f"{v:,}")) for v in examples]
    if censored:
        handles.append(Line2D([], [], color="#555555", linewidth=1.5, linestyle=(0, (3, 1.5)),
                              label=text("legend.censored", lang)))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.05), fontsize=7.5,
              ncol=4, frameon=False)


def _extent(ax, lon0: float) -> None:
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:4326", geo.crs(lon0), always_xy=True)
    x0, _ = t.transform(lon0 - 179.9, 0)
    x1, _ = t.transform(lon0 + 179.9, 0)
    _, y0 = t.transform(lon0, -72)
    _, y1 = t.transform(lon0, 80)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)


def flow_map(flows: pd.DataFrame, title: str, source: str, lon0: float = geo.DEFAULT_LON0,
             origins=countries.SOUTHEAST_ASIA, ax=None, legend: bool = True,
             subtitle: bool = True, lang: str = "en") -> tuple:
    """Map flows of victims as great-circle lines, width by count.

    The source's registry record gives the threshold (flows under it are not drawn: 5
    for published aggregates, 11 for case records), the caveat and the source line; for
    case records the sizes of the flows not drawn are never printed.

    Args:
        flows: One row per origin-destination pair with value_low/value_high.
        title: Axes title.
        source: Registered source id of the flows.
        lon0: Central meridian of the Equal Earth projection.
        origins: Origin countries to shade.
        ax: Axes to draw on (a new figure when None).
        legend: Draw the legend (below the map, so it hides no land).
        subtitle: Print the caveat and source line under the title.
        lang: ``en`` or ``ja`` for every text but ``title`` (the caller's).

    Returns:
        (figure, summary dict with flows drawn, and for aggregates those not drawn).
    """
    record = registry.get(source)
    _, caveat, source_line = source_texts(source, lang)
    threshold = record.threshold
    hide_sums = record.kind == "case"
    import matplotlib.pyplot as plt

    use_style(lang)
    if ax is None:
        # "compressed": the constrained layout that knows the map keeps its aspect (plain
        # constrained layout left the title above the page and the legend below it).
        fig, ax = plt.subplots(figsize=figsize(11, 6.0), layout="compressed")
    else:
        fig = ax.figure
    draw, hidden = drawable(flows, threshold)
    _basemap(ax, lon0, origins)
    n = _draw_lines(ax, draw, lon0)
    _extent(ax, lon0)
    lines = 0
    if subtitle:
        width = int(fig.get_figwidth() * 15)  # characters of 7.5 pt text across the figure
        sub = _wrap(f"{caveat} {source_line}", width)
        lines = sub.count("\n") + 1
        ax.text(0.0, 1.005, sub, transform=ax.transAxes, fontsize=7.5, va="bottom",
                color="#333333")
    ax.set_title(title, loc="left", pad=6 + 10 * lines)  # room for the subtitle's lines
    summary = {"drawn": n, "not_drawn": len(hidden),
               "not_drawn_low": int(hidden.value_low.sum()),
               "not_drawn_high": int(hidden.value_high.sum())}
    note = text("map.drawn", lang, n=n, threshold=threshold, hidden=len(hidden),
                low=f"{summary['not_drawn_low']:,}", high=f"{summary['not_drawn_high']:,}")
    if hide_sums:  # case records: a sum, even a count, of hidden flows says something of them
        note = text("map.drawn_cases", lang, n=n, threshold=threshold)
        summary = {"drawn": n}
    ax.text(0.0, -0.01, note, transform=ax.transAxes, fontsize=7.5, va="top", color="#333333")
    if legend:
        groups = [g for g in GROUP_COLOURS if g in set(draw.destination.map(
            countries.destination_group))]
        _legend(ax, groups, censored=bool((draw.value_low < draw.value_high).any()), lang=lang)
    return fig, summary


def flow_map_periods(by_period: dict[str, pd.DataFrame], source: str,
                     lon0: float = geo.DEFAULT_LON0, origins=countries.SOUTHEAST_ASIA,
                     lang: str = "en"):
    """Small multiples: one flow map per period.

    Args:
        by_period: Period label -> flows summed per pair (see
            :func:`analysis.routes.period_pairs`).
        source: Registered source id (caveat, source line and threshold).
        lon0: Central meridian.
        origins: Origin countries to shade.
        lang: ``en`` or ``ja``.

    Returns:
        (figure, one summary dict per period).
    """
    import matplotlib.pyplot as plt

    use_style(lang)
    fig, axes = plt.subplots(len(by_period), 1, figsize=figsize(9, 4.3 * len(by_period)))
    axes = np.atleast_1d(axes)
    summaries = []
    for ax, (label, pairs) in zip(axes, by_period.items(), strict=True):
        _, s = flow_map(pairs, label, source, lon0, origins, ax=ax, legend=(ax is axes[-1]),
                        subtitle=(ax is axes[0]), lang=lang)
        summaries.append({"period": label, **s})
    unit = source_texts(source, lang)[0]
    fig.suptitle(f"{text('map.periods_title', lang)} ({unit})", x=0.01, ha="left",
                 fontweight="bold")
    return fig, summaries


def routes_over_time(series: pd.DataFrame, reporters: pd.DataFrame, source: str,
                     lang: str = "en"):
    """Size of the Japan and Europe routes by year, with the censoring band and reporters.

    Args:
        series: Columns route, group (display group of its destinations), year,
            value_low, value_high (and ``suppressed``, True where a value from case
            records is withheld).
        reporters: Columns route, year, n: destination countries of the route that
            reported any citizenship data that year (see
            :func:`analysis.flows.reporting_universe`), victims from these origins or not.
        source: Registered source id (unit, caveat and source line).
        lang: ``en`` or ``ja``.

    Returns:
        The figure.
    """
    unit, caveat, _ = source_texts(source, lang)
    import matplotlib.pyplot as plt

    use_style(lang)
    routes = list(dict.fromkeys(series.route))
    fig, axes = plt.subplots(2, len(routes), figsize=figsize(10, 5.4), sharex=True,
                             gridspec_kw={"height_ratios": [3, 1]}, squeeze=False)
    years = range(int(series.year.min()), int(series.year.max()) + 1)
    for j, route in enumerate(routes):
        group_ = series.loc[series.route == route, "group"].iloc[0]
        colour = GROUP_COLOURS.get(group_, GROUP_COLOURS["Other"])
        # Each route keeps its group's dash and marker too: no line relies on colour alone.
        dash, marker = GROUP_STYLES.get(group_, GROUP_STYLES["Other"])
        s = series[series.route == route].set_index("year").reindex(years)
        ax = axes[0, j]
        ax.fill_between(s.index, s.value_low, s.value_high, color=colour, alpha=0.25,
                        linewidth=0, label=text("legend.band", lang))
        ax.plot(s.index, s.value_low, color=colour, marker=marker, markersize=3.5,
                linewidth=1.6, linestyle=dash, label=text("legend.lower", lang))
        ax.plot(s.index, s.value_high, color=colour, linewidth=0.8, linestyle=":",
                label=text("legend.upper", lang))
        hidden = s["suppressed"].fillna(False).astype(bool) if "suppressed" in s else \
            pd.Series(False, index=s.index)
        for y in years:
            if hidden[y]:
                ax.axvspan(y - 0.5, y + 0.5, facecolor="none", edgecolor="#999999",
                           hatch="///", linewidth=0, zorder=0)
            elif np.isnan(s.at[y, "value_low"]):
                ax.axvspan(y - 0.5, y + 0.5, color="#f2f2f2", zorder=0)
        ax.set_title(route_name(route, lang), loc="left")
        ax.set_ylabel(unit if j == 0 else "")
        ax.set_ylim(0, max(1.0, np.nanmax(s.value_high.to_numpy(dtype=float), initial=0) * 1.08))
        ax.set_xlim(years.start - 0.6, years.stop - 0.4)
        if j == 0:
            handles, labels = ax.get_legend_handles_labels()
            if not (s.value_low < s.value_high).any():  # no censored cells: no band to explain
                handles, labels = handles[1:2], labels[1:2]
            ax.legend(handles, labels, loc="upper left", fontsize=7.5)
        r = reporters[reporters.route == route].set_index("year").reindex(years).fillna(0)
        axes[1, j].bar(r.index, r.n, color=colour, alpha=0.6, width=0.7)
        axes[1, j].set_ylabel(text("axis.reporting", lang) if j == 0 else "")
        axes[1, j].yaxis.get_major_locator().set_params(integer=True)
        if len(years) <= 8:  # MaxNLocator falls back to fractions on very short spans
            axes[1, j].set_xticks(list(years))
        else:
            axes[1, j].xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    for ax in axes[1]:
        ax.set_xlabel(text("axis.year_of_detection", lang))
    # supxlabel, unlike fig.text, gets room from the constrained layout.
    hatch = (text("over_time.hatched", lang) + " "
             if "suppressed" in series and series["suppressed"].any() else "")
    fig.supxlabel(_wrap(text("over_time.note", lang) + " " + hatch + caveat),
                  fontsize=7.5, x=0.01, ha="left", color="#333333")
    _headline(fig, source, lang)
    return fig


def origin_mix(mix: pd.DataFrame, source: str, lang: str = "en"):
    """Horizontal stacked bars: each route's victims by Southeast Asian origin.

    Args:
        mix: Columns route, origin, value_low, value_high (totals over the period) and
            route_total (NaN when suppressed); see :func:`analysis.routes.protect_mix`.
            Hidden cells are absent, so a bar may not reach 100%.
        source: Registered source id (unit and source line).
        lang: ``en`` or ``ja``.

    Returns:
        The figure.
    """
    unit = source_texts(source, lang)[0]
    import matplotlib.pyplot as plt

    use_style(lang)
    routes = list(dict.fromkeys(mix.route))
    order = (mix.groupby("origin").value_low.sum().sort_values(ascending=False).index.tolist())
    colours = palette.origin_colours(order)
    # Room for the legend's rows below the bars (the constrained layout gives it).
    fig, ax = plt.subplots(figsize=figsize(10, 1.6 + 0.9 * len(routes)))
    for i, route in enumerate(routes):
        sub = mix[mix.route == route].set_index("origin").reindex(order)
        total = mix.loc[mix.route == route, "route_total"].iloc[0]
        sub = sub.drop(columns="route_total").fillna(0)
        if not total or np.isnan(total):
            ax.text(0.01, i, text("mix.suppressed", lang), va="center", fontsize=8)
            continue
        left = 0.0
        for origin, row in sub.iterrows():
            if row.value_low <= 0:
                continue
            share = row.value_low / total
            ax.barh(i, share, left=left, color=colours[origin], edgecolor="white",
                    label=country(origin, lang) if i == 0 or origin not in
                    set(mix[mix.route == routes[0]].origin) else None)
            if share >= 0.06:
                ax.text(left + share / 2, i, f"{country(origin, lang)}\n{share:.0%}",
                        ha="center", va="center", fontsize=7.5, color="white")
            left += share
        shown_high = int(sub.value_high.sum() + total - sub.value_low.sum())
        label = f"{int(total):,}" if shown_high == total else f"{int(total):,}-{shown_high:,}"
        ax.text(1.01, i, label, va="center", fontsize=8)
    ax.set_yticks(range(len(routes)), [route_name(r, lang) for r in routes])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel(text("mix.axis", lang, unit=unit))
    handles, labels = ax.get_legend_handles_labels()
    uniq = dict(zip(labels, handles, strict=True))
    if uniq:  # every route total withheld: no bars, nothing to explain
        # A figure legend "outside" gets its rows from the constrained layout; an axes
        # legend anchored below the axes cut its second row off the page (issue 9).
        fig.legend(uniq.values(), uniq.keys(), ncol=min(6, len(uniq)),
                   loc="outside lower center", fontsize=8, frameon=False)
    ax.set_title(text("mix.title", lang), loc="left")
    _headline(fig, source, lang)
    return fig


def top_destinations(table: pd.DataFrame, source: str, highlight=("JPN",), n: int = 15,
                     title: str = "Largest destinations of Southeast Asian victims",
                     lang: str = "en"):
    """Bar chart of the largest destinations of Southeast Asian victims, with intervals.

    Args:
        table: Columns destination, value_low, value_high (cross-border flows, summed).
        source: Registered source id (unit, caveat and source line).
        highlight: Destinations drawn in their group colour with a bold label.
        n: How many destinations.
        title: Axes title (say the period).
        lang: ``en`` or ``ja`` for every text but ``title`` (the caller's).

    Returns:
        The figure.
    """
    unit, caveat, _ = source_texts(source, lang)
    import matplotlib.pyplot as plt

    use_style(lang)
    top = table.sort_values(["value_low", "value_high"], ascending=False).head(n)
    if not set(highlight) & set(top.destination):
        top = pd.concat([top, table[table.destination.isin(highlight)]])
    top = top.iloc[::-1]
    fig, ax = plt.subplots(figsize=figsize(8, 0.32 * len(top) + 1.4))
    groups = top.destination.map(countries.destination_group)
    colours = [GROUP_COLOURS.get(g, GROUP_COLOURS["Other"]) for g in groups]
    y = np.arange(len(top))
    ax.barh(y, top.value_low, color=colours)
    ax.errorbar(top.value_high, y, xerr=[top.value_high - top.value_low, 0 * y], fmt="none",
                ecolor="#333333", elinewidth=0.8, capsize=2)
    labels = [country(d, lang) for d in top.destination]
    ax.set_yticks(y, labels)
    for tick, d in zip(ax.get_yticklabels(), top.destination, strict=True):
        if d in highlight:
            tick.set_fontweight("bold")
    ax.set_xlabel(text("dest.axis", lang, unit=unit))
    ax.set_title(title, loc="left")
    fig.supxlabel(_wrap(caveat, 120), fontsize=7, x=0.01, ha="left", color="#333333")
    from matplotlib.patches import Patch

    present = [g for g in GROUP_COLOURS if g in set(groups)]
    ax.legend([Patch(color=GROUP_COLOURS[g]) for g in present],
              [group(g, lang) for g in present], loc="lower right", fontsize=7.5)
    _headline(fig, source, lang)
    return fig
