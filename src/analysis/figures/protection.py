"""Protection figures: heatmap, optional-clause gap, rank intervals, timeline, 3P validity."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analysis import protection
from analysis.figures import country, figsize, localised, text, use_style
from analysis.figures.palette import OKABE_ITO

#: Score colours (0 absent, 1 partial, 2 statutory): a grey ramp, ordered in lightness, so it
#: prints in greyscale and stays apart from the region colours shown beside it under
#: colour-vision deficiency (the former blue ramp met the EU blue within CIEDE2000 8).
SCORE_COLOURS = ("#f0f0f0", "#bdbdbd", "#525252")
SCORE_LABELS = ("0 absent", "1 partial, discretionary or practice only",
                "2 statutory entitlement")
GROUP_ORDER = ("protocol_mandatory", "protocol_optional", "beyond_protocol")
SCORE_KEYS = ("score.0", "score.1", "score.2")
#: Region label colours: Okabe-Ito, so the seven regions stay apart under colour-vision
#: deficiency (the analysis module's own colours put two blues side by side).
REGION_COLOURS = {"Japan": OKABE_ITO["vermillion"], "EU floor": OKABE_ITO["black"],
                  "EU Member States": OKABE_ITO["blue"],
                  "Europe outside the EU": OKABE_ITO["sky blue"],
                  "East & Southeast Asia": OKABE_ITO["bluish green"],
                  "Middle East": OKABE_ITO["reddish purple"],
                  "North America & Oceania": OKABE_ITO["orange"]}
REGION_KEYS = {"Japan": "group.japan", "EU floor": "label.eu_floor",
               "EU Member States": "region.eu_members",
               "Europe outside the EU": "region.europe_non_eu",
               "East & Southeast Asia": "region.east_southeast_asia",
               "Middle East": "region.middle_east",
               "North America & Oceania": "region.north_america_oceania"}
SHORT_GROUP = {"protocol_mandatory": "Protocol:\nmandatory",
               "protocol_optional": "Protocol: optional,\nqualified or soft",
               "beyond_protocol": "Beyond the\nProtocol"}


def _label(provision: str, lang: str = "en") -> str:
    return localised(f"provision.{provision}", lang, provision.replace("_", " ").capitalize())


def region_name(region: str, lang: str = "en") -> str:
    """Return a comparison region's display name in ``lang``."""
    return localised(REGION_KEYS.get(region, ""), lang, region)


def _scores(lang: str) -> list[str]:
    return [text(k, lang) for k in SCORE_KEYS]


def _clause(row: pd.Series) -> str:
    """Protocol paragraph and force of a provision, or 'no clause' beyond the Protocol."""
    return "no clause" if row["force"] == "absent" else f"{row['para']}, {row['force']}"


def entity_order(entities, year: int) -> list[tuple[str, str]]:
    """Return (region, entity) pairs in display order: by region, then English name."""
    out = []
    for region, members in protection.regions(year).items():
        have = sorted((m for m in members if m in set(entities)), key=country)
        out += [(region, m) for m in have]
    return out


def provision_order(codebook: pd.DataFrame) -> pd.DataFrame:
    """Provisions ordered by Protocol group (mandatory, optional, beyond), then dimension."""
    book = codebook.copy()
    book["_g"] = book["protocol_group"].map({g: i for i, g in enumerate(GROUP_ORDER)})
    dims = codebook.attrs.get("dimensions", [])
    book["_d"] = book["dimension"].map({d: i for i, d in enumerate(dims)})
    return book.sort_values(["_g", "_d"], kind="stable").drop(columns=["_g", "_d"])


def heatmap(scores: pd.DataFrame, confidence: pd.DataFrame, codebook: pd.DataFrame,
            year: int, lang: str = "en") -> plt.Figure:
    """Provisions x entities, grouped by region and by the Protocol's force of each clause.

    Args:
        scores: Entities x provisions (0/1/2) on the reference date.
        confidence: Entities x provisions confidence (high/medium/low), same shape.
        codebook: The codebook.
        year: The year shown (regions depend on it).
        lang: ``en`` or ``ja``.

    Returns:
        The figure; low-confidence cells carry a dot.
    """
    use_style(lang)
    order = entity_order(scores.index, year)
    ents = [e for _, e in order]
    book = provision_order(codebook)
    provs = list(book.index)
    grid = scores.loc[ents, provs].to_numpy(dtype=float).T
    low = (confidence.loc[ents, provs] == "low").to_numpy().T
    fig, ax = plt.subplots(figsize=figsize(16, 8.6))
    cmap = ListedColormap(SCORE_COLOURS)
    ax.imshow(grid, cmap=cmap, norm=BoundaryNorm([-0.5, 0.5, 1.5, 2.5], 3), aspect="auto",
              interpolation="nearest")
    ys, xs = np.nonzero(low)
    dot = np.where(grid[ys, xs] == 2, "white", "#222222")
    ax.scatter(xs, ys, s=7, c=dot, marker="o", linewidths=0)
    sizes = pd.Series([r for r, _ in order]).value_counts()
    # At a journal column width the region names above the columns and the clause force
    # after each row would overlap: codes coloured by region (with a legend) instead.
    narrow = fig.get_figwidth() < 12
    ax.set_xticks(range(len(ents)), [country(e, lang) if sizes[r] == 1 and not narrow else e
                                     for r, e in order], rotation=90, fontsize=8)
    for tick, (r, _) in zip(ax.get_xticklabels(), order, strict=True):
        if sizes[r] == 1 or narrow:  # a one-column region is named on its tick, not above it
            tick.set_color(REGION_COLOURS.get(r, "#333333"))
            tick.set_fontweight("bold")
    rows = [f"{_label(p, lang)}  [{_clause(book.loc[p])}]" for p in provs]
    if narrow:
        rows = [_label(p, lang) + ("" if book.at[p, "force"] == "absent"
                                   else f"  [{book.at[p, 'para']}]") for p in provs]
    ax.set_yticks(range(len(provs)), rows, fontsize=8.5)
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    if not narrow:
        _region_bands(ax, order, lang)
    _group_bands(ax, book, lang)
    handles = [Patch(facecolor=c, edgecolor="#777777", label=lab)
               for c, lab in zip(SCORE_COLOURS, _scores(lang), strict=True)]
    handles.append(Line2D([], [], marker="o", color="#222222", linestyle="", markersize=3,
                          label=text("legend.low_confidence", lang)))
    if narrow:  # one legend: a second one "outside" would sit on this one or on the title
        shown = dict.fromkeys(r for r, _ in order)
        handles += [Patch(color=REGION_COLOURS.get(r, "#333333"),
                          label=region_name(r, lang))
                    for r in shown]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=9, frameon=False)
    # A figure title from the left edge: an axes title starts right of the long row labels
    # and ran off the page at a journal width.
    rows_key = "heatmap.rows_short" if narrow else "heatmap.rows"
    fig.suptitle(text("heatmap.title", lang, year=year) + "\n" + text(rows_key, lang),
                 x=0.01, ha="left", fontsize=12, fontweight="bold")
    return fig


def _region_bands(ax, order: list[tuple[str, str]], lang: str = "en") -> None:
    """Separate and name the region blocks above the columns."""
    regions = [r for r, _ in order]
    start = 0
    short = {"Europe outside the EU": "Europe\nnon-EU", "East & Southeast Asia": "E & SE Asia",
             "North America & Oceania": "N America\n& Oceania", "EU floor": "EU\nfloor"}
    for i in range(1, len(regions) + 1):
        if i == len(regions) or regions[i] != regions[start]:
            name = regions[start]
            if start > 0:
                ax.axvline(start - 0.5, color="white", lw=2.5)
            if i - start > 1:
                shown = short.get(name, name) if lang == "en" else region_name(name, lang)
                ax.text((start + i - 1) / 2, -0.9, shown, ha="center",
                        va="bottom", fontsize=8.5, fontweight="bold",
                        color=REGION_COLOURS.get(name, "#333333"))
            start = i


def _group_bands(ax, book: pd.DataFrame, lang: str = "en") -> None:
    """Separate the Protocol groups of rows and name them on the right."""
    groups = list(book["protocol_group"])
    n_cols = len(ax.get_xticks())
    start = 0
    for i in range(1, len(groups) + 1):
        if i == len(groups) or groups[i] != groups[start]:
            if start > 0:
                ax.axhline(start - 0.5, color="white", lw=2.5)
            ax.text(n_cols - 0.2, (start + i - 1) / 2,
                    localised(f"heatmap.{groups[start]}", lang, SHORT_GROUP[groups[start]]),
                    ha="left", va="center", fontsize=8.5)
            start = i


def optional_gap(shares: pd.DataFrame, year: int, eu_median: float,
                 lang: str = "en") -> plt.Figure:
    """Share of the Protocol's optional, qualified and soft clauses implemented, per entity.

    Args:
        shares: Per entity ``in_law``, ``partial``, ``absent`` shares
            (:func:`analysis.protection.implementation_shares`).
        year: The year shown.
        eu_median: Median share in law (score 2) among the year's EU Member States.
        lang: ``en`` or ``ja``.

    Returns:
        Horizontal stacked bars grouped by region, Japan in bold.
    """
    use_style(lang)
    order = entity_order(shares.index, year)
    ents = [e for _, e in order][::-1]
    y = np.arange(len(ents))
    fig, ax = plt.subplots(figsize=figsize(8.5, 10.5))
    left = np.zeros(len(ents))
    for col, colour, lab in (("in_law", SCORE_COLOURS[2], "in law (score 2)"),
                             ("partial", SCORE_COLOURS[1], "partly (score 1)"),
                             ("absent", SCORE_COLOURS[0], "absent (score 0)")):
        vals = shares.loc[ents, col].to_numpy() * 100
        ax.barh(y, vals, left=left, color=colour, edgecolor="white", height=0.8, label=lab)
        left += vals
    ax.axvline(eu_median * 100, color=REGION_COLOURS["EU Member States"], ls="--", lw=1.2,
               label=f"EU Member States' median in law ({eu_median * 100:.0f}%)")
    regions = dict((e, r) for r, e in order)
    ax.set_yticks(y, [country(e, lang) for e in ents], fontsize=8)
    for tick, e in zip(ax.get_yticklabels(), ents, strict=True):
        tick.set_color(REGION_COLOURS.get(regions[e], "#333333"))
        if e == "JPN":
            tick.set_fontweight("bold")
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.6, len(ents) - 0.4)
    ax.set_xlabel("share of the Protocol's optional, qualified and soft clauses (%)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.45, -0.06), ncol=2, fontsize=8.5)
    handles = [Patch(color=c, label=region_name(r, lang)) for r, c in REGION_COLOURS.items()
               if r in regions.values()]
    fig.legend(handles=handles, loc="outside right upper", fontsize=8,
               title=localised("legend.label_colour", lang, "label colour"),
               title_fontsize=8)
    ax.set_title(localised("gap.title", lang, f"Optional-clause gap, 31 December {year}",
                           year=year), loc="left")
    return fig


def ranking(sens: pd.DataFrame, year: int, interval: tuple[float, float] = (5, 95),
            n_draws: int | None = None, joint: pd.DataFrame | None = None,
            lang: str = "en") -> plt.Figure:
    """Median rank and rank interval of each country under random weights (and coding).

    Args:
        sens: :func:`analysis.protection.sensitivity` output (weights only).
        year: The year shown.
        interval: The percentiles in ``rank_lo``/``rank_hi``.
        n_draws: Number of draws (for the caption).
        joint: Optional rank intervals under weights and coding uncertainty
            (:func:`analysis.protection.rank_intervals` of the joint draws), drawn as a
            thin line behind the weights-only interval.
        lang: ``en`` or ``ja``.

    Returns:
        One row per country, best median rank at the top.
    """
    use_style(lang)
    sens = sens.iloc[::-1]
    y = np.arange(len(sens))
    fig, ax = plt.subplots(figsize=figsize(8, 10.5))
    colours = [REGION_COLOURS.get(protection.region_of(e, year), "#777777")
               for e in sens.index]
    if joint is not None:
        j = joint.reindex(sens.index)
        ax.hlines(y, j["rank_lo"], j["rank_hi"], colors="#222222", lw=0.8, zorder=1)
    ax.hlines(y, sens["rank_lo"], sens["rank_hi"], colors=colours, lw=2.2, alpha=0.55)
    ax.scatter(sens["rank_median"], y, c=colours, s=26, zorder=3,
               label=text("legend.median_rank", lang))
    ax.scatter(sens["rank_equal"], y, marker="|", c="#222222", s=60, zorder=4,
               label=text("legend.equal_rank", lang))
    ax.set_yticks(y, [country(e, lang) for e in sens.index], fontsize=8)
    for tick, e in zip(ax.get_yticklabels(), sens.index, strict=True):
        if e == "JPN":
            tick.set_fontweight("bold")
            tick.set_color(REGION_COLOURS["Japan"])
    ax.set_xlim(0.5, len(sens) + 0.5)
    ax.set_ylim(-0.6, len(sens) - 0.4)
    ax.invert_xaxis()
    ax.set_xlabel(text("axis.rank", lang))
    draws = f"{n_draws:,} " if n_draws else ""
    what = "random weightings" if joint is None else "random weightings and coding errors"
    ax.set_title(f"Rank intervals, 31 December {year}\nunder {draws}{what}", loc="left")
    regions = {protection.region_of(e, year) for e in sens.index}
    handles = [Patch(color=c, label=region_name(r, lang)) for r, c in REGION_COLOURS.items()
               if r in regions]
    handles += [Line2D([], [], color="#777777", lw=2.2, alpha=0.55,
                       label=f"{interval[0]:g}th-{interval[1]:g}th percentile of rank, "
                             "random weights")]
    if joint is not None:
        handles.append(Line2D([], [], color="#222222", lw=0.8,
                              label="same, weights and coding one step off (joint)"))
    handles += [Line2D([], [], color="#777777", marker="o", ls="", markersize=5,
                        label=text("legend.median_rank", lang)),
                Line2D([], [], color="#222222", marker="|", ls="", markersize=8,
                       label=text("legend.equal_rank", lang))]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=2,
              fontsize=8)
    return fig


def timeline(tl: pd.DataFrame, events: pd.DataFrame, lang: str = "en") -> plt.Figure:
    """Japan, the EU floor and the EU Member States' median over time, with policy events.

    Args:
        tl: :func:`analysis.protection.timeline` output (index = year).
        events: :func:`analysis.protection.policy_events` (date, label, actor): the
            policy events plus treaty actions dated from the treaty table.
        lang: ``en`` or ``ja`` (event labels stay as given).

    Returns:
        Two stacked axes: one event per row on top (labels cannot overlap), the index below.
    """
    use_style(lang)
    fig, (top, ax) = plt.subplots(2, 1, figsize=figsize(11, 7.4), sharex=True,
                                  gridspec_kw={"height_ratios": [len(events) * 0.42, 4]})
    x = pd.to_datetime([f"{y}-12-31" for y in tl.index])
    blue, floor, japan = REGION_COLOURS["EU Member States"], REGION_COLOURS["EU floor"], \
        REGION_COLOURS["Japan"]
    ax.fill_between(x, tl["EU q1"], tl["EU q3"], color=blue, alpha=0.15, lw=0,
                    label=text("legend.eu_iqr", lang))
    ax.plot(x, tl["EU median"], color=blue, marker="s", ms=3.5, ls=(0, (5, 2)),
            label=text("legend.eu_median", lang))
    ax.plot(x, tl["EU floor"], color=floor, ls=(0, (2, 2)), marker="D", ms=3,
            label=text("legend.eu_floor", lang))
    ax.plot(x, tl["Japan"], color=japan, marker="o", ms=4, lw=2, label=text("group.japan", lang))
    ax.set_ylim(0, 100)
    ax.set_ylabel(text("axis.index", lang))
    ax.set_xlabel(text("axis.year_state", lang))
    ax.legend(loc="upper left", fontsize=8.5)
    lo, hi = x.min() - pd.Timedelta(days=200), x.max() + pd.Timedelta(days=120)
    ax.set_xlim(lo, hi)
    step = 2 if len(x) > 12 else 1  # ticks on 31 December, where each year's point sits
    ax.set_xticks(x[::step], [str(d.year) for d in x[::step]])
    ev = events.sort_values("date").reset_index(drop=True)
    mid = lo + (hi - lo) / 2
    colour = {"Japan": japan, "EU": floor}
    for i, e in ev.iterrows():
        row = len(ev) - 1 - i
        c = colour.get(e["actor"], "#333333")
        for a in (top, ax):
            a.axvline(e["date"], color=c, lw=0.8, alpha=0.5, ls=":")
        top.plot(e["date"], row, marker="v", color=c, ms=5)
        right = e["date"] > mid
        top.text(e["date"] + pd.Timedelta(days=-60 if right else 60), row,
                 f"{e['date']:%b %Y}  {e['label']}", ha="right" if right else "left",
                 va="center", fontsize=8.5, color=c)
    top.set_ylim(-0.7, len(ev) - 0.3)
    top.set_yticks([])
    top.spines["left"].set_visible(False)
    top.tick_params(axis="x", length=0)
    top.set_title(text("timeline.title", lang), loc="left")
    return fig


def validity(pairs: pd.DataFrame, rho: float, n: int,
             highlight: pd.Index | None = None, lang: str = "en") -> plt.Figure:
    """Plot the project's index against the 3P protection score, country-years pooled.

    Args:
        pairs: :func:`analysis.protection.compare_threep` output.
        rho: Spearman's rho.
        n: Country-years compared.
        highlight: Countries whose points to mark (e.g. the largest disagreements).
        lang: ``en`` or ``ja``.

    Returns:
        A jittered scatter with the median index per 3P score; Japan in red.
    """
    use_style(lang)
    fig, ax = plt.subplots(figsize=figsize(8.5, 6.2))
    rng = np.random.default_rng(0)  # jitter only: fixed so the file is reproducible
    xs = pairs["threep_protection"].to_numpy(dtype=float) + rng.uniform(-0.2, 0.2, len(pairs))
    marks = ["JPN", *[h for h in (highlight if highlight is not None else []) if h != "JPN"]]
    rest = ~pairs["iso3"].isin(marks).to_numpy()
    ax.scatter(xs[rest], pairs["index"][rest], s=10, color="#BBBBBB", alpha=0.5, lw=0,
               label="other country-years")
    styles = ["o", "D", "s", "^", "v", "P", "X"]
    palette = [OKABE_ITO[c] for c in ("vermillion", "orange", "bluish green", "reddish purple",
                                      "blue", "sky blue", "black")]
    for k, iso3 in enumerate(marks):
        sel = (pairs["iso3"] == iso3).to_numpy()
        ax.scatter(xs[sel], pairs["index"][sel], s=22, marker=styles[k % len(styles)],
                   color=palette[k % len(palette)], label=country(iso3, lang), zorder=3)
    med = pairs.groupby("threep_protection")["index"].median()
    ax.hlines(med.to_numpy(), med.index - 0.3, med.index + 0.3, color="#222222", lw=2,
              label="median index per 3P score", zorder=4)
    ax.set_xticks([1, 2, 3, 4, 5])
    ax.set_xlabel("3P protection score (1 = no compliance ... 5 = full; from TIP narratives)")
    ax.set_ylabel("this project's protection index (law, 0-100)")
    ax.set_ylim(-2, 102)
    ax.set_title(text("validity.title", lang), loc="left")
    ax.text(0.97, 0.03, f"Spearman's rho = {rho:.2f}, n = {n} country-years (pooled)",
            transform=ax.transAxes, ha="right", va="bottom", fontsize=9,
            bbox={"facecolor": "white", "edgecolor": "#cccccc"})
    ax.legend(loc="upper left", fontsize=8, ncol=2)
    return fig


MODE_STYLE = {"weights": (OKABE_ITO["blue"], "random weights"),
              "coding": (OKABE_ITO["orange"], "coding one step off"),
              "joint": (OKABE_ITO["black"], "both (joint)")}


def headline_intervals(table: pd.DataFrame, labels: dict[str, str], year: int,
                       n_draws: int | None = None, worst: dict[str, float] | None = None,
                       lang: str = "en") -> plt.Figure:
    """Japan minus each comparator, 5th-95th percentile under each kind of uncertainty.

    Args:
        table: :func:`analysis.protection.headlines` table (comparison x mode rows with
            ``lo``, ``median``, ``hi``, ``share_below``, ``robust``).
        labels: Comparison id -> axis label; only these comparisons are drawn (all in
            index points).
        year: The year shown.
        n_draws: Draws per mode (for the title).
        worst: Comparison id -> the difference if every low-confidence EU Member State
            cell were one step too generous (a systematic error the draws cannot show),
            marked with a cross.
        lang: ``en`` or ``ja`` (``labels`` stay as given).

    Returns:
        One group of three intervals per comparison, the share of draws in which Japan is
        lower written beside each, and a line at 0 (no difference).
    """
    use_style(lang)
    comps = list(labels)
    fig, ax = plt.subplots(figsize=figsize(9, 1.3 * len(comps) + 1.6))
    modes = list(MODE_STYLE)
    for i, comp in enumerate(comps):
        for j, mode in enumerate(modes):
            r = table.loc[(comp, mode)]
            y = (len(comps) - 1 - i) * (len(modes) + 1) + (len(modes) - 1 - j)
            colour, _ = MODE_STYLE[mode]
            ax.hlines(y, r["lo"], r["hi"], color=colour, lw=2.5)
            ax.plot(r["median"], y, "o", color=colour, ms=5)
            ax.annotate(f"{r['share_below']:.0%} below{'' if r['robust'] else ' (not robust)'}",
                        (1.0, y), xycoords=("axes fraction", "data"), xytext=(6, 0),
                        textcoords="offset points", va="center", fontsize=8, color=colour)
    step = len(modes) + 1
    for i, comp in enumerate(comps):
        if worst and comp in worst:
            y = (len(comps) - 1 - i) * step + (len(modes) - 1) / 2
            ax.plot(worst[comp], y, "X", color=OKABE_ITO["vermillion"], ms=8, zorder=4)
    ax.set_yticks([(len(comps) - 1 - i) * step + (len(modes) - 1) / 2 for i in range(len(comps))],
                  [labels[c] for c in comps], fontsize=9)
    ax.axvline(0, color="#888888", lw=1)
    ax.set_ylim(-0.8, len(comps) * step - 1.2)
    draws = f"{n_draws:,} draws each, " if n_draws else ""
    # Three short lines: the long y labels push the axes right, so a long line would leave
    # the page at screen width.
    ax.set_title(f"Japan against the EU, 31 December {year}\n5th-95th percentile and "
                 f"median,\n{draws}by kind of uncertainty", loc="left")
    handles = [Line2D([], [], color=c, lw=2.5, marker="o", ms=5, label=lab)
               for c, lab in MODE_STYLE.values()]
    if worst:
        handles.append(Line2D([], [], color=OKABE_ITO["vermillion"], marker="X", ls="", ms=8,
                              label="every low-confidence EU Member State cell one step "
                                    "too generous"))
    ax.set_xlabel(localised("uncertainty.xlabel", lang,
                            "Japan minus the comparator (index points; negative: Japan "
                            "lower);\nrobust: Japan lower in at least 95% of draws"), fontsize=9)
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.14 * 5.5 /
              (1.3 * len(comps) + 1.6)), ncol=2, fontsize=8.5)
    return fig
