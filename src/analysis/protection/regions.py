"""Comparison regions of a year (EU membership changes) and regional aggregates of an index."""

from __future__ import annotations

import pandas as pd

from analysis import countries
from analysis.protection.coding import EU_FLOOR

#: Regions shown in the figures, in display order ("EU Member States" depends on the year).
REGION_ORDER = ("Japan", "EU floor", "EU Member States", "Europe outside the EU",
                "East & Southeast Asia", "Middle East", "North America & Oceania")
REGION_COLOURS = {"Japan": "#c0392b", "EU floor": "#0b2e59", "EU Member States": "#1f5fa8",
                  "Europe outside the EU": "#6fa8dc", "East & Southeast Asia": "#2a9d5c",
                  "Middle East": "#8e44ad", "North America & Oceania": "#5d6d7e"}
_FIXED_REGIONS = {"Japan": ("JPN",), "EU floor": (EU_FLOOR,),
                  "East & Southeast Asia": ("KOR", "THA", "MYS", "SGP", "IDN"),
                  "Middle East": ("ARE", "BHR", "QAT", "SAU", "JOR", "ISR"),
                  "North America & Oceania": ("USA", "CAN", "AUS")}


def regions(year: int) -> dict[str, tuple[str, ...]]:
    """Return the comparison regions of a year, in display order.

    "EU Member States" are those of that year (:func:`analysis.countries.eu_members`:
    the UK until 2019, Croatia from 2013...); "Europe outside the EU" is Norway,
    Switzerland and, from 2020, the United Kingdom.
    """
    eu = countries.eu_members(year)
    outside = tuple(c for c in ("GBR", "NOR", "CHE") if c not in eu)
    found = {**_FIXED_REGIONS, "EU Member States": eu, "Europe outside the EU": outside}
    return {name: found[name] for name in REGION_ORDER}


def region_of(iso3: str, year: int) -> str:
    """Return the region of an entity in a year ("Other" when in none)."""
    for name, members in regions(year).items():
        if iso3 in members:
            return name
    return "Other"


def aggregates(values: pd.Series, year: int) -> pd.DataFrame:
    """Summarise an index by region: n, median, quartiles, min and max.

    Args:
        values: One index value per entity.
        year: The year the regions are drawn for (EU membership changes).

    Returns:
        One row per region (display order) with ``n``, ``median``, ``q1``, ``q3``, ``min``,
        ``max`` and ``members`` (the coded entities used).
    """
    rows = []
    for name, members in regions(year).items():
        sel = values.reindex(members).dropna()
        rows.append({"region": name, "n": len(sel), "median": sel.median(),
                     "q1": sel.quantile(0.25), "q3": sel.quantile(0.75), "min": sel.min(),
                     "max": sel.max(), "members": " ".join(sel.index)})
    return pd.DataFrame(rows).set_index("region")
