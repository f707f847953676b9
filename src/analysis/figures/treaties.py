"""Treaty figure: when each ASEM member consented to the Protocol, CETS 197 and ILO P029."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from analysis.figures import figsize, localised, text, use_style
from analysis.figures.palette import OKABE_ITO

#: Marker and colour per treaty; the same in the plot and the margin columns (Okabe-Ito,
#: apart from each other and from the vermillion date line under colour-vision deficiency).
TREATY_STYLE = {"palermo_protocol": ("o", OKABE_ITO["blue"], "UN Trafficking Protocol"),
                "cets197": ("s", OKABE_ITO["bluish green"], "CoE CETS No. 197"),
                "ilo_p029": ("^", OKABE_ITO["reddish purple"], "ILO P029 (2014)")}
DATE_COLOUR = OKABE_ITO["vermillion"]
GROUP_ORDER = ("EU", "other Europe", "other Europe/Asia", "ASEAN", "Asia-Pacific",
               "regional organisation")
UNKNOWN, NOT_PARTY = "?", "no"
MARGIN_HEADS = ("UN\nProtocol", "CETS\n197", "ILO\nP029")


def _entity_order(status: pd.DataFrame) -> pd.DataFrame:
    """One row per entity, ordered by ASEM group then name (Japan stays in Asia-Pacific)."""
    ents = status.drop_duplicates("iso3")[["iso3", "country", "asem_group"]].copy()
    ents["_g"] = ents["asem_group"].map({g: i for i, g in enumerate(GROUP_ORDER)}).fillna(99)
    return ents.sort_values(["_g", "country"]).reset_index(drop=True)


def ratification_timeline(events: pd.DataFrame, status: pd.DataFrame,
                          when: pd.Timestamp, start: int = 2000, end: int | None = None,
                          lang: str = "en") -> plt.Figure:
    """Consent to each treaty per ASEM member, with unknown dates shown as unknown.

    Args:
        events: :func:`analysis.sources.treaties.load` output.
        status: :func:`analysis.sources.treaties.load_status` output.
        when: The date marked (who had not ratified then is listed in the notebook).
        start: First year on the axis.
        end: Last year on the axis (default: the latest date in the table).
        lang: ``en`` or ``ja`` (entity names stay as the treaty table gives them).

    Returns:
        One row per entity: filled markers for day-exact consent, a bar over the month for
        month-only consent, hollow markers at entry into force where only that date is
        known; on the right, ``?`` where the source has no date and ``no`` where it says
        the entity is not a party.
    """
    use_style(lang)
    ents = _entity_order(status)
    row = {e: len(ents) - 1 - i for i, e in enumerate(ents["iso3"])}
    fig, ax = plt.subplots(figsize=figsize(11, 0.2 * len(ents) + 2.2))
    last = events["date"].max()
    end = end or max(last.year, when.year) + 1
    for treaty, (marker, colour, _) in TREATY_STYLE.items():
        _draw_treaty(ax, events[events["treaty"] == treaty], status[status["treaty"] == treaty],
                     row, marker, colour, treaty, end)
    ax.axvline(when, color=DATE_COLOUR, lw=1, ls="--")
    late = when > pd.Timestamp(f"{start}-01-01") + 0.75 * (pd.Timestamp(f"{end}-12-31")
                                                          - pd.Timestamp(f"{start}-01-01"))
    # near the right edge the label goes left of the line, clear of the margin columns
    ax.text(when, len(ents) - 0.2, f" {when:%d %b %Y} ", color=DATE_COLOUR, fontsize=8,
            va="bottom", ha="right" if late else "left")
    ax.set_yticks(list(row.values()), [_name(ents, e) for e in row], fontsize=7.5)
    for tick, e in zip(ax.get_yticklabels(), row, strict=True):
        if e == "JPN":
            tick.set_fontweight("bold")
            tick.set_color(DATE_COLOUR)
    _group_lines(ax, ents, row)
    ax.set_xlim(pd.Timestamp(f"{start}-01-01"), pd.Timestamp(f"{end}-12-31"))
    ax.set_ylim(-0.7, len(ents) + 0.6)
    ax.set_xlabel(localised("treaties.axis", lang, "date of consent (ratification, acceptance, "
                                                "approval or accession)"))
    ax.set_title(text("treaties.title", lang), loc="left", pad=22)
    for k, (_, colour, _) in enumerate(TREATY_STYLE.values()):
        ax.annotate(MARGIN_HEADS[k], (1.0, 1.0), xycoords="axes fraction",
                    xytext=(16 + 52 * k, 4), textcoords="offset points", fontsize=7,
                    color=colour, ha="center", va="bottom")
    fig.legend(handles=_legend(), loc="outside lower center", ncol=3, fontsize=8,
               frameon=False)
    return fig


def _name(ents: pd.DataFrame, iso3: str) -> str:
    name = ents.loc[ents["iso3"] == iso3, "country"].item()
    return name if len(name) <= 22 else iso3


def _draw_treaty(ax, ev: pd.DataFrame, st: pd.DataFrame, row: dict, marker: str,
                 colour: str, treaty: str, end: int) -> None:
    """Draw one treaty's consents and write its margin column (unknown / not a party)."""
    consent = ev[ev["event"] == "consent"].set_index("iso3")
    eif = ev[ev["event"] == "entry_into_force"].set_index("iso3")["date"]
    column = list(TREATY_STYLE).index(treaty)
    for _, s in st.iterrows():
        y, iso3 = row[s["iso3"]], s["iso3"]
        c = consent.loc[iso3] if iso3 in consent.index else None
        if c is not None and c["date_precision"] == "day":
            ax.plot(c["date"], y, marker=marker, color=colour, ms=5, ls="")
        elif c is not None and c["date_precision"] == "month":
            m = c["month"]
            ax.plot([m.start_time, m.end_time], [y, y], color=colour, lw=4, alpha=0.7)
        elif iso3 in eif.index and pd.notna(eif[iso3]):
            ax.plot(eif[iso3], y, marker=marker, mfc="white", mec=colour, ms=5, ls="")
        if c is None or c["date_precision"] not in ("day", "month"):
            text = NOT_PARTY if s["party"] == "no" else UNKNOWN
            ax.annotate(text, (1.0, y), xycoords=("axes fraction", "data"),
                        xytext=(16 + 52 * column, 0), textcoords="offset points",
                        fontsize=7, color=colour, ha="center", va="center")


def _group_lines(ax, ents: pd.DataFrame, row: dict) -> None:
    """Separate the ASEM groups with thin lines."""
    groups = ents["asem_group"].tolist()
    for i in range(1, len(groups)):
        if groups[i] != groups[i - 1]:
            y = row[ents.at[i, "iso3"]] + 0.5
            ax.axhline(y, color="#bbbbbb", lw=0.6)


def _legend() -> list[Line2D]:
    handles = [Line2D([], [], marker=m, color=c, ls="", ms=5, label=f"{lab}: consent (day)")
               for m, c, lab in TREATY_STYLE.values()]
    handles += [Line2D([], [], color="#777777", lw=4, alpha=0.7,
                       label="consent: month known, day not"),
                Line2D([], [], marker="s", mfc="white", mec=OKABE_ITO["bluish green"], ls="",
                       ms=5, label="in force (consent date not found)"),
                Line2D([], [], color=DATE_COLOUR, ls="--", lw=1, label="date asked about"),
                Line2D([], [], ls="", label="right: ? = date not found; no = not a party")]
    return handles


def law_change(around: pd.DataFrame, labels: dict[str, str], years: int,
               lang: str = "en") -> plt.Figure:
    """Equal-weight index years before and after consent to the Protocol, per entity.

    Args:
        around: :func:`analysis.protection.law_around_ratification` output (computed rows).
        labels: iso3 -> name shown.
        years: The window used, for the axis label.
        lang: ``en`` or ``ja`` (``labels`` stay as given).

    Returns:
        A dumbbell per entity (before -> after), sorted by consent date.
    """
    use_style(lang)
    done = around.dropna(subset=["change"])
    y = np.arange(len(done))[::-1]
    fig, ax = plt.subplots(figsize=figsize(8, 0.24 * len(done) + 1.8))
    ax.hlines(y, done["index_before"], done["index_after"], color="#9ebcda", lw=2)
    ax.plot(done["index_before"], y, "o", mfc="white", mec="#2b5c8a", ms=5,
            label=f"{years} years before consent")
    ax.plot(done["index_after"], y, "o", color="#2b5c8a", ms=5,
            label=f"{years} years after consent")
    ax.set_yticks(y, [f"{labels.get(i, i)} ({c:%Y})" for i, c in
                      zip(done.index, done["consent"], strict=True)], fontsize=8)
    for tick, e in zip(ax.get_yticklabels(), done.index, strict=True):
        if e == "JPN":
            tick.set_fontweight("bold")
            tick.set_color(DATE_COLOUR)
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.7, len(done) - 0.3)
    ax.set_xlabel(localised("axis.index_law", lang,
                            "protection index (0-100, equal weights), law on paper"))
    ax.set_title(localised("law_change.title", lang,
                           "The law around consent to the UN Trafficking Protocol"), loc="left")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=2, fontsize=8)
    return fig
