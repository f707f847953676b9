"""Figures: one style, one function per figure; saving goes through analysis.export."""

from __future__ import annotations

from pathlib import Path

STYLE = Path(__file__).with_name("styles") / "routes.mplstyle"

#: Colours used across figures, so a group keeps its colour everywhere.
GROUP_COLOURS = {
    "Japan": "#c0392b",
    "Europe (EU27, UK, EFTA)": "#1f5fa8",
    "East Asia (excl. Japan)": "#e08e0b",
    "Southeast Asia": "#2a9d5c",
    "Gulf": "#8e44ad",
    "North America": "#5d6d7e",
    "Oceania": "#17a2b8",
    "Other": "#a6a6a6",
}


def use_style() -> None:
    """Apply the project's figure style (Type 42 fonts, fixed DPI) to matplotlib."""
    import matplotlib

    matplotlib.use("Agg", force=False) if not _interactive() else None
    import matplotlib.pyplot as plt

    plt.style.use(STYLE)


def _interactive() -> bool:
    try:
        from IPython import get_ipython

        return get_ipython() is not None
    except ImportError:
        return False
