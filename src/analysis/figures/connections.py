"""Connection figures: Japan's official series, route shares, event study, gravity, power, fit."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.figures import GROUP_COLOURS, country, figsize, group, localised, use_style
from analysis.figures.palette import OKABE_ITO, ORIGIN_CYCLE
from analysis.figures.routes import DETECTION_NOTE, _wrap

#: Readable names of Japan's official series (they count different things).
SERIES_LABELS = {
    "npa_police_victims": "Police (NPA): victims in cases cleared",
    "gov_council_total_protected": "Government council: protected by all agencies",
    "us_tip_report_identified": "US TIP Report: identified by the government",
    "immigration_bureau_protected": "Immigration Bureau: foreign victims protected",
    "mhlw_womens_consulting_office_protected": "Women's consulting offices: protected",
    "iom_return_assistance": "IOM: return assistance",
}
SERIES_NOTE = ("These series count different things (police cases, all agencies, "
               "foreigners protected by immigration, ...); one person may be in several. "
               "They are never added together or joined in one line. Open markers: "
               "derived from a stated difference. Counts follow enforcement effort: a rise or "
               "fall is not a change in prevalence.")
MEASURE_LABELS = {
    "new_entrants_entertainer_status": "new entrants, status 'Entertainer' (MOJ)",
    "entered_under_entertainer_visa_category": "entered under 'Entertainer' visa category "
                                               "(Embassy briefing)",
    "entertainer_visas_issued_mofa": "'Entertainer' visas issued (MOFA)",
}
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_DASHES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (1, 1)))
#: Okabe-Ito (palette.ORIGIN_CYCLE): told apart under colour-vision deficiency.
_SPEC_COLOURS = ORIGIN_CYCLE
BLUE, GREY, RED = OKABE_ITO["blue"], "#777777", OKABE_ITO["vermillion"]


def _style(i: int) -> dict:
    return {"marker": _MARKERS[i % len(_MARKERS)], "linestyle": _DASHES[i % len(_DASHES)]}


def _events(axes, events: pd.DataFrame) -> None:
    """Draw numbered vertical lines for policy events on every axis; numbers on the first."""
    for i, ev in enumerate(events.itertuples(), 1):
        for ax in axes:
            ax.axvline(ev.x, color="#777777", linewidth=0.8, linestyle=(0, (2, 2)), zorder=0)
        # Events months apart would print on top of each other: stagger their numbers.
        axes[0].annotate(str(i), (ev.x, 1.0), xycoords=("data", "axes fraction"),
                         xytext=(0, 2 + 9 * ((i - 1) % 3)), textcoords="offset points",
                         ha="center", va="bottom", fontsize=7.5, color="#333333")


def japan_official(totals: pd.DataFrame, entertainer: pd.DataFrame, events: pd.DataFrame,
                   years: tuple[int, int] = (2002, 2024), note: str = SERIES_NOTE,
                   lang: str = "en"):
    """Japan's official victim counts, one line per series, over "Entertainer" entries.

    Args:
        totals: Columns series, year, count, year_type, derived (see
            :func:`analysis.connections.official_totals`); one row per series and year.
        entertainer: Columns measure, year, value, unit (see
            :func:`analysis.connections.entertainer_entries`), one nationality.
        events: Columns label, x and optionally year_only (see
            :func:`analysis.connections.events_table`); a year's value sits on the year.
        years: First and last year shown.
        note: Footnote saying what the series count.
        lang: ``en`` or ``ja`` (series names and event labels stay English).

    Returns:
        The figure (top: victims; bottom: entries; numbered policy events on both).
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    use_style(lang)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=figsize(10, 7.6), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 2]})
    span = range(years[0], years[1] + 1)
    order = [s for s in SERIES_LABELS if s in set(totals.series)]
    order += sorted(set(totals.series) - set(order))
    for i, name in enumerate(order):
        s = totals[totals.series == name].set_index("year")
        fiscal = (s.year_type == "fiscal").any()
        label = SERIES_LABELS.get(name, name) + (" (fiscal years)" if fiscal else "")
        # Reindexing on every year breaks the line where a year is missing: no bridging.
        y = s["count"].reindex(span).astype(float)
        colour = ORIGIN_CYCLE[i % len(ORIGIN_CYCLE)]
        top.plot(y.index, y.to_numpy(), color=colour, label=label, markersize=4.5,
                 linewidth=1.4, **_style(i))
        d = s[s.derived]
        if len(d):
            top.plot(d.index, d["count"], linestyle="none", marker=_style(i)["marker"],
                     markersize=6, markerfacecolor="white", color=colour, zorder=4)
    handles, labels = top.get_legend_handles_labels()
    if totals.derived.any():
        handles.append(Line2D([], [], linestyle="none", marker="o", markerfacecolor="white",
                              color="#555555",
                              label=localised("official.derived", lang, "derived value")))
    top.legend(handles=handles, loc="upper right", fontsize=7.5)
    top.set_ylabel(localised("official.ylabel", lang, "victims (each series its own count)"))
    top.set_ylim(0, max(1.0, float(totals["count"].max()) * 1.15))
    top.set_title(localised("official.title", lang,
                            "Japan: official trafficking-victim counts (never summed)"),
                  loc="left", pad=30)
    for j, (measure, m) in enumerate(entertainer.groupby("measure", sort=True)):
        unit = str(m.unit.iloc[0])
        bottom.plot(m.year, m.value / 1000, color="#555555", markersize=5, linewidth=1.2,
                    label=f"{MEASURE_LABELS.get(measure, measure)} [{unit}]", **_style(j))
    bottom.set_ylabel(localised("official.entries", lang,
                                "Filipino 'Entertainer'\nentries, thousands"))
    bottom.set_ylim(0, None)
    bottom.legend(loc="upper right", fontsize=7.5)
    bottom.set_xlim(years[0] - 0.5, years[1] + 0.5)
    bottom.xaxis.set_major_locator(plt.MultipleLocator(2))
    bottom.set_xlabel(localised("axis.year", lang, "year"))
    _events([top, bottom], events)
    year_only = events.get("year_only", pd.Series(False, index=events.index))
    listed = "; ".join(f"{i} {label}" + (" (year only: drawn on the year)" if y else "")
                       for i, (label, y) in enumerate(zip(events.label, year_only,
                                                          strict=True), 1))
    fig.supxlabel(_wrap(f"Events: {listed}. {note}", 150), fontsize=7.5, x=0.01, ha="left",
                  color="#333333")
    return fig


def route_shares(shares: pd.DataFrame, origins=None, groups=None,
                 caveat: str = DETECTION_NOTE, ncols: int = 3, lang: str = "en"):
    """Small multiples: each origin's detected victims split by destination group, by year.

    Args:
        shares: Output of :func:`analysis.connections.route_shares`.
        origins: Origins to show, in order (default: by total detections, largest first).
        groups: Groups drawn (default: all in ``shares``).
        caveat: What the counts are and are not (footnote).
        ncols: Panels per row.
        lang: ``en`` or ``ja`` (``caveat`` stays as given).

    Returns:
        The figure: per group a line (share on lower bounds) in a band (the exact interval
        the censored cells allow); a gap is a year the group reported nothing.
    """
    import matplotlib.pyplot as plt

    from analysis.figures.palette import GROUP_STYLES

    use_style(lang)
    if origins is None:
        tot = shares.drop_duplicates(["origin", "year"]).groupby("origin").total_low.sum()
        origins = tot.sort_values(ascending=False).index.tolist()
    groups = groups or sorted(set(shares.group), key=_group_rank)
    # One panel more than origins: the legend gets its own panel and hides no data.
    nrows = math.ceil((len(origins) + 1) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize(10, 2.3 * nrows + 1.2),
                             sharex=True,
                             sharey=True, squeeze=False)
    span = range(int(shares.year.min()), int(shares.year.max()) + 1)
    for ax, origin in zip(axes.flat, origins, strict=False):
        o = shares[shares.origin == origin]
        for name in groups:
            g = o[o.group == name].set_index("year").reindex(span)
            colour = GROUP_COLOURS.get(name, GROUP_COLOURS["Other"])
            dash, marker = GROUP_STYLES.get(name, GROUP_STYLES["Other"])
            ax.fill_between(g.index, g.share_low, g.share_high, color=colour, alpha=0.25,
                            linewidth=0)
            ax.plot(g.index, g.share_lb, color=colour, marker=marker, markersize=2.5,
                    linewidth=1.3, linestyle=dash, label=_group_label(name, lang))
        lo = o.drop_duplicates("year").total_low.sum()
        hi = o.drop_duplicates("year").total_high.sum()
        n = f"{lo:,}" if lo == hi else f"{lo:,}-{hi:,}"
        ax.set_title(f"{country(origin, lang)} (n = {n})", loc="left", fontsize=9.5)
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    for ax in axes.flat[len(origins):]:
        ax.set_axis_off()
    for i, ax in enumerate(axes.flat[:len(origins)]):
        if i + ncols >= len(origins):  # nothing drawn below: this panel carries the years
            ax.xaxis.set_tick_params(labelbottom=True)
    fig.supylabel(localised("shares.ylabel", lang, "share of the origin's detected victims"),
                  fontsize=9)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    axes.flat[len(origins)].legend(handles, labels, loc="center", fontsize=9,
                                   title=localised("shares.legend", lang, "destination group"))
    fig.suptitle(localised("shares.title", lang, "Where each Southeast Asian origin's victims "
                           "were detected (share by year)"),
                 x=0.01, ha="left", fontweight="bold")
    how = localised("shares.note", lang, "Line: share on lower bounds; band: every share the "
                    "censored (<5 = 1-4) cells allow. A gap: that group reported no "
                    "citizenship data that year.")
    fig.supxlabel(_wrap(how + " " + caveat, 150), fontsize=7.5, x=0.01, ha="left",
                  color="#333333")
    return fig


def _group_label(name: str, lang: str) -> str:
    """Return a destination group's name in ``lang`` (the connection models add "Other ...")."""
    if name == "Other destinations":
        return localised("group.other_destinations", lang, name)
    return group(name, lang)


def _group_rank(group: str) -> int:
    """Order groups as the project's colour table does (Japan first), unknown groups last."""
    order = [*GROUP_COLOURS]
    return order.index(group) if group in order else len(order)


def event_study(es: pd.DataFrame, reference: int = -1,
                event: str = "EU directive 2011/36/EU (2011)",
                ylabel: str = "coefficient (log points)", note: str = "", binned: bool = True,
                title: str = "Event study: detections around the EU directive, with 95% "
                             "intervals", lang: str = "en"):
    """Event-study coefficients with 95% intervals, leads and lags, and the reference year.

    Args:
        es: Columns rel_year, estimate, ci_low, ci_high (and n_obs); a row for the
            reference year, if present, is not drawn as an estimate; rows without an
            estimate (absorbed) are left out.
        reference: The omitted relative year, drawn at 0 as an open marker.
        event: What year 0 is, for the axis label.
        ylabel: What the coefficients measure.
        note: Footnote (say what a null means).
        binned: The first and last relative years are bins (labelled <= and >=).
        title: Axes title.
        lang: ``en`` or ``ja`` for the fixed texts (the arguments stay as given).

    Returns:
        The figure.
    """
    import matplotlib.pyplot as plt

    use_style(lang)
    fig, ax = plt.subplots(figsize=figsize(8, 4.6))
    ticks = sorted({*es.rel_year.astype(int), reference})
    # The reference year is 0 by construction: an open marker, never a point with an interval.
    es = es[es.rel_year != reference].dropna(subset=["estimate"]).sort_values("rel_year")
    for part, colour, label in (
            (es.rel_year < 0, GREY, localised("es.leads", lang, "leads (before the event)")),
            (es.rel_year >= 0, BLUE, localised("es.lags", lang, "lags (event year and after)"))):
        d = es[part]
        if d.empty:
            continue
        ax.errorbar(d.rel_year, d.estimate, yerr=[d.estimate - d.ci_low,
                                                  d.ci_high - d.estimate],
                    fmt="o", color=colour, capsize=3, markersize=5, label=label)
    ax.plot([reference], [0], marker="o", markerfacecolor="white", color="#333333",
            linestyle="none", markersize=6,
            label=localised("es.reference", lang, f"reference year ({reference:+d}, set to 0)",
                            reference=f"{reference:+d}"))
    ax.axhline(0, color="#333333", linewidth=0.8)
    ax.axvline(-0.5, color="#777777", linewidth=0.8, linestyle="--")
    ax.set_xlabel(localised("es.xlabel", lang, f"years relative to {event}", event=event))
    ax.set_ylabel(ylabel)
    labels = [f"{t:+d}" for t in ticks]
    if binned and len(ticks) > 2:
        labels[0], labels[-1] = f"<={ticks[0]:+d}", f">={ticks[-1]:+d}"
    ax.set_xticks(ticks, labels)
    ax.legend(loc="best", fontsize=8)
    ax.set_title(title, loc="left")
    if note:
        fig.supxlabel(_wrap(note, 120), fontsize=7.5, x=0.01, ha="left", color="#333333")
    return fig


def gravity_forest(ladder: pd.DataFrame, terms=None, labels: dict | None = None,
                   note: str = "", lang: str = "en"):
    """Forest plot of gravity estimates, one row per term and fixed-effect specification.

    Args:
        ladder: Columns spec, term, estimate, ci_low, ci_high, n_obs (one row per spec and
            term), as ``analysis.gravity.ladder`` returns.
        terms: Terms to show, in order (default: all, in order of appearance).
        labels: Readable term names.
        note: Footnote.
        lang: ``en`` or ``ja`` for the fixed texts (term labels stay as given).

    Returns:
        The figure.
    """
    import matplotlib.pyplot as plt

    use_style(lang)
    terms = list(terms or dict.fromkeys(ladder.term))
    specs = list(dict.fromkeys(ladder.spec))
    labels = labels or {}
    fig, ax = plt.subplots(figsize=figsize(8.5, 0.55 * len(terms) * len(specs) ** 0.5 + 2.0))
    step = 0.7 / max(1, len(specs))
    for j, spec in enumerate(specs):
        d = ladder[(ladder.spec == spec) & ladder.term.isin(terms)]
        y = np.array([terms.index(t) for t in d.term]) + (j - (len(specs) - 1) / 2) * step
        n = int(d.n_obs.max()) if "n_obs" in d and d.n_obs.notna().any() else None
        ax.errorbar(d.estimate, y, xerr=[d.estimate - d.ci_low, d.ci_high - d.estimate],
                    fmt=_MARKERS[j % len(_MARKERS)], color=_SPEC_COLOURS[j % len(_SPEC_COLOURS)],
                    capsize=2, markersize=4.5,
                    label=f"{spec}" + (f" (n = {n:,})" if n is not None else ""))
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_yticks(range(len(terms)), [labels.get(t, t) for t in terms])
    ax.invert_yaxis()
    ax.set_xlabel(localised("gravity.xlabel", lang,
                            "coefficient with 95% interval (PPML: log points)"))
    ax.legend(loc="best", fontsize=7.5, title_fontsize=7.5,
              title=localised("gravity.legend", lang, "fixed effects (n used)"))
    ax.set_title(localised("gravity.title", lang,
                           "Gravity estimates across the fixed-effect ladder"), loc="left")
    if note:
        fig.supxlabel(_wrap(note, 120), fontsize=7.5, x=0.01, ha="left", color="#333333")
    return fig


def power_curve(power: pd.DataFrame, mde: float | None, target: float = 0.8,
                xlabel: str = "true effect (log points)", note: str = "", lang: str = "en"):
    """Plot simulated power against the true effect, with the target power and the MDE.

    Args:
        power: Columns effect, power (and optionally power_low, power_high: simulation
            intervals).
        mde: The minimum detectable effect at ``target`` power (None: not reached).
        target: Target power.
        xlabel: What the effect is.
        note: Footnote.
        lang: ``en`` or ``ja`` for the fixed texts (the arguments stay as given).

    Returns:
        The figure.
    """
    import matplotlib.pyplot as plt

    use_style(lang)
    fig, ax = plt.subplots(figsize=figsize(7, 4.4))
    p = power.sort_values("effect")
    if {"power_low", "power_high"} <= set(p.columns):
        ax.fill_between(p.effect, p.power_low, p.power_high, color=BLUE, alpha=0.2,
                        linewidth=0,
                        label=localised("power.interval", lang, "simulation interval"))
    ax.plot(p.effect, p.power, color=BLUE, marker="o", markersize=3.5,
            label=localised("power.power", lang, "power"))
    ax.axhline(target, color=GREY, linestyle="--", linewidth=0.8,
               label=localised("power.target", lang, f"target power {target:.0%}",
                               target=f"{target:.0%}"))
    if mde is not None:
        ax.axvline(mde, color=RED, linewidth=1.0, linestyle=(0, (5, 2)),
                   label=localised("power.mde", lang, f"MDE = {mde:.2f} (smallest simulated "
                                   f"effect\nwith power >= {target:.0%})", mde=f"{mde:.2f}",
                                   target=f"{target:.0%}"))
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(localised("power.ylabel", lang, "share of simulations rejecting 0"))
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(localised("power.title", lang,
                           "Power: the smallest effect these data could detect"), loc="left")
    if note:
        fig.supxlabel(_wrap(note, 110), fontsize=7.5, x=0.01, ha="left", color="#333333")
    return fig


def out_of_sample(pred: pd.DataFrame, deviance: dict[str, float], fit_end: int,
                  predict: tuple[int, int], unit: str = "detected victims", note: str = "",
                  lang: str = "en"):
    """Predicted against observed flows out of sample, with each model's deviance beside.

    Args:
        pred: Columns observed (or observed_low and observed_high), predicted, and
            optionally naive (the baseline's prediction), one row per flow-year.
        deviance: Model name -> Poisson deviance on the held-out years (lower is better).
        fit_end: Last year used for fitting.
        predict: First and last year predicted.
        unit: What is counted.
        note: Footnote.
        lang: ``en`` or ``ja`` for the fixed texts (the arguments stay as given).

    Returns:
        The figure.
    """
    import matplotlib.pyplot as plt

    use_style(lang)
    fig, (ax, bar) = plt.subplots(1, 2, figsize=figsize(10, 4.8),
                                   gridspec_kw={"width_ratios": [3, 2]})
    low = pred["observed_low"] if "observed_low" in pred else pred["observed"]
    high = pred["observed_high"] if "observed_high" in pred else pred["observed"]
    if "naive" in pred:
        ax.scatter(low, pred.naive, marker="x", s=14, color="#999999",
                   label=localised("oos.naive", lang, "naive baseline"))
    ax.errorbar(low, pred.predicted, xerr=[0 * low, high - low], fmt="o", markersize=3.5,
                color=BLUE, elinewidth=0.6, alpha=0.8, label=localised("oos.model", lang, "model"))
    top = float(max(high.max(), pred.predicted.max(), 1)) * 1.3
    ax.plot([0, top], [0, top], color="#333333", linewidth=0.8,
            label=localised("oos.perfect", lang, "perfect prediction"))
    ax.set_xscale("symlog", linthresh=5)
    ax.set_yscale("symlog", linthresh=5)
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel(localised("oos.xlabel", lang, f"observed {unit} (whisker: censored interval)",
                            unit=unit))
    ax.set_ylabel(localised("oos.ylabel", lang, f"predicted {unit}", unit=unit))
    ax.legend(loc="upper left", fontsize=8)
    span = f"{predict[0]}-{predict[1]}"
    ax.set_title(localised("oos.title", lang, f"Fit to {fit_end}, predict {span}",
                           fit_end=fit_end, span=span), loc="left")
    names = list(deviance)
    values = [float(deviance[k]) for k in names]
    colours = ["#999999" if "naive" in k.lower() else BLUE for k in names]
    bar.barh(range(len(names)), values, color=colours)
    for i, v in enumerate(values):
        bar.text(v, i, f" {v:,.0f}", va="center", fontsize=8)
    bar.set_yticks(range(len(names)), names)
    bar.invert_yaxis()
    bar.set_xlim(0, max(values) * 1.25 if values else 1)
    bar.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    bar.xaxis.set_major_locator(plt.MaxNLocator(4))
    bar.set_xlabel(localised("oos.deviance", lang, f"Poisson deviance, {span}", span=span))
    bar.set_title(localised("oos.deviance_title", lang, "Deviance (lower is better)"),
                  loc="left")
    if note:
        fig.supxlabel(_wrap(note, 150), fontsize=7.5, x=0.01, ha="left", color="#333333")
    return fig
