"""Counting case-level rows (one per registered victim) into flows."""

from __future__ import annotations

import pandas as pd

from analysis.flows import tidy

CASE_KEY = ["year", "origin", "destination"]


def aggregate_cases(cases: pd.DataFrame, source: str, file: str,
                    breakdowns: tuple[str, ...] = ("sex", "age")) -> pd.DataFrame:
    """Count case rows per year, origin and destination into flows (detected victims).

    The ``sex=total, age=total`` rows are the complete counts; rows by sex (age total) and
    by age (sex total) are added for the breakdowns present, never summed into the totals.

    Args:
        cases: One row per case: year, origin, destination (ISO3), and sex/age labels.
        source: Source id written into the flows.
        file: The input file, for schema messages.
        breakdowns: Which of ``sex`` and ``age`` to break down by.

    Returns:
        The tidy flows table.
    """
    parts = []
    for by in (None, *breakdowns):
        keys = [*CASE_KEY, by] if by else CASE_KEY
        counts = cases.groupby(keys, observed=True, sort=False).size().reset_index(name="n")
        counts["sex"] = counts["sex"] if by == "sex" else "total"
        counts["age"] = counts["age"] if by == "age" else "total"
        parts.append(counts)
    flows = pd.concat(parts, ignore_index=True)
    flows = flows.assign(indicator="detected_victims", value_low=flows["n"],
                         value_high=flows["n"], censored=False, source=source)
    for col in ("origin", "destination", "sex", "age"):
        flows[col] = flows[col].astype(str)
    return tidy(flows, file)
