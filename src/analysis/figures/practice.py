"""Law and practice side by side: the law's score per cell, the evidence of practice within it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analysis.figures import country, figsize, localised, use_style
from analysis.figures.palette import OKABE_ITO
from analysis.figures.protection import SCORE_COLOURS, _label, _scores, entity_order

#: Marks for evidence: an upward triangle (delivers) and a downward one (falls short), so
#: the direction reads without colour; Okabe-Ito green and vermillion, apart under CVD.
SUPPORTS_COLOUR, CONTRADICTS_COLOUR = OKABE_ITO["bluish green"], OKABE_ITO["vermillion"]


def law_and_practice(table: pd.DataFrame, year: int, provisions: list[str],
                     lang: str = "en") -> plt.Figure:
    """Grid of entities x provisions: colour = the law's score, marks = practice evidence.

    Args:
        table: :func:`analysis.protection.practice.beside_law` output.
        year: The year of the law (and the last year of evidence counted).
        provisions: Provisions shown, in order.
        lang: ``en`` or ``ja``.

    Returns:
        The figure. Each cell shows the number of pieces of evidence that practice delivers
        (▲) or falls short of (▼) the law's promise; low-confidence law is hatched.
    """
    use_style(lang)
    entities = sorted(set(table.iso3))
    order = [e for _, e in entity_order(entities, year)]
    cell = table.set_index(["iso3", "provision"])
    grid = np.array([[cell.at[(e, p), "law_score"] for p in provisions] for e in order],
                    dtype=float)
    fig, ax = plt.subplots(figsize=figsize(10, 0.3 * len(order) + 3.2), layout="constrained")
    ax.imshow(grid, cmap=ListedColormap(SCORE_COLOURS),
              norm=BoundaryNorm([-0.5, 0.5, 1.5, 2.5], 3), aspect="auto",
              interpolation="nearest")
    for i, e in enumerate(order):
        for j, p in enumerate(provisions):
            row = cell.loc[(e, p)]
            dark = row.law_score == 2
            if row.law_confidence == "low":
                ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///",
                                           edgecolor="white" if dark else "#999999", lw=0))
            _marks(ax, j, i, int(row.supports), int(row.contradicts), dark)
    ax.set_xticks(range(len(provisions)), [_label(p, lang) for p in provisions], rotation=35,
                  ha="right", fontsize=8.5)
    ax.set_yticks(range(len(order)), [country(e, lang) for e in order], fontsize=8.5)
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    ax.set_xticks(np.arange(-0.5, len(provisions)), minor=True)
    ax.set_yticks(np.arange(-0.5, len(order)), minor=True)
    ax.grid(which="minor", color="white", lw=1.5)
    ax.grid(which="major", visible=False)
    law = localised("practice.law", lang, "law: ", score="")
    handles = [Patch(facecolor=c, edgecolor="#777777", label=f"{law}{lab}")
               for c, lab in zip(SCORE_COLOURS, _scores(lang), strict=True)]
    handles += [Patch(facecolor="white", edgecolor="#999999", hatch="///",
                      label=localised("practice.low", lang, "law coded with low confidence")),
                Line2D([], [], marker="^", color=SUPPORTS_COLOUR, ls="", markersize=6,
                       label=localised("practice.delivers", lang,
                                       "practice delivers (pieces of evidence)")),
                Line2D([], [], marker="v", color=CONTRADICTS_COLOUR, ls="", markersize=6,
                       label=localised("practice.falls_short", lang,
                                       "practice falls short (pieces of evidence)"))]
    fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=8.5,
               frameon=False)
    ax.set_title(localised("practice.title", lang,
                           f"Law (31 December {year}) and practice (evidence 2015-{year})\n"
                           "Practice: US TIP Reports, GRETA and national sources. A cell "
                           "without marks\nmeans no evidence was found, not that practice "
                           "is good.", year=year), loc="left", fontsize=10)
    return fig


def _marks(ax, x: int, y: int, supports: int, contradicts: int, dark: bool) -> None:
    """Write the two evidence counts inside a cell, each with its own marker."""
    text = "white" if dark else "#222222"
    for dx, n, marker, colour in ((-0.22, supports, "^", SUPPORTS_COLOUR),
                                  (0.2, contradicts, "v", CONTRADICTS_COLOUR)):
        if n:
            ax.plot(x + dx - 0.1, y, marker=marker, color=colour, markersize=5.5,
                    markeredgecolor="white", markeredgewidth=0.5)
            ax.text(x + dx + 0.02, y, str(n), va="center", ha="left", fontsize=7.5,
                    color=text)
