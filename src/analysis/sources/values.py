"""Parsing published cells: counts (censored as intervals), years, sex and age labels."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from analysis.flows import parse_count

#: One cell above this is not a plausible number of victims in one route and year.
MAX_PLAUSIBLE = 100_000
#: Years before this are typing errors in every source the project reads.
FIRST_YEAR = 1990
SEX_LABELS = {"total": "total", "female": "female", "f": "female", "woman": "female",
              "male": "male", "m": "male", "man": "male", "other": "other",
              "transgender/nonbinary": "other", "transgender": "other", "nonbinary": "other",
              "unknown": "unknown", "-99": "unknown", "": "unknown"}
AGE_LABELS = {"total": "total", "adult": "adult", "child": "child", "minor": "child",
              "unknown": "unknown", "-99": "unknown", "": "unknown"}


def parse_values(values: pd.Series) -> pd.DataFrame:
    """Parse a column of published counts; each distinct text is parsed once.

    Returns:
        Columns value_low, value_high (nullable Int64), censored (bool) and problem
        (reason text, empty when the value parsed).
    """
    text = values.astype(object).where(values.notna(), None)
    codes, uniques = pd.factorize(text, use_na_sentinel=False)
    results = [parse_count(u) for u in uniques]
    parsed = pd.Series([results[c] for c in codes], index=values.index, dtype=object)
    ok = parsed.map(lambda p: isinstance(p, tuple))
    low = parsed.map(lambda p: p[0] if isinstance(p, tuple) else np.nan)
    high = parsed.map(lambda p: p[1] if isinstance(p, tuple) else np.nan)
    return pd.DataFrame({
        "value_low": low.astype("Int64"), "value_high": high.astype("Int64"),
        "censored": parsed.map(lambda p: bool(p[2]) if isinstance(p, tuple) else False),
        "problem": parsed.where(~ok, "").astype(str),
    }, index=values.index)


def parse_years(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a categorical or text column of years; each distinct text is parsed once.

    Returns:
        The year (nullable Int64) and the problem text ('' when usable), aligned with
        ``text``. Future years and years before 1990 are problems.
    """
    cat = text.astype("category")
    this_year = date.today().year
    years, problems = [], []
    for raw in cat.cat.categories:
        year, problem = _parse_year(str(raw), this_year)
        years.append(year)
        problems.append(problem)
    codes = cat.cat.codes.to_numpy()
    year_arr = pd.array([*years, None], dtype="Int64")
    prob_arr = np.array([*problems, "year is empty"], dtype=object)
    return (pd.Series(year_arr[codes], index=text.index),
            pd.Series(prob_arr[codes], index=text.index))


def _parse_year(raw: str, this_year: int) -> tuple[int | None, str]:
    s = raw.strip()
    if s in ("", "-99"):
        return None, f"year missing ({s!r})"
    try:
        value = float(s)
    except ValueError:
        return None, f"year is not a number: {s!r}"
    if not value.is_integer():
        return None, f"year is not a whole number: {s!r}"
    year = int(value)
    if year > this_year:
        return year, f"year in the future (after {this_year})"
    if year < FIRST_YEAR:
        return year, f"year before {FIRST_YEAR}"
    return year, ""


def per_unique(values: pd.Series, func) -> pd.Series:
    """Apply ``func`` once per distinct text of ``values``; return the results as categorical.

    Args:
        values: Text (categorical or not); missing values are passed to ``func`` as ``''``.
        func: Text -> result (``None`` becomes the empty string).

    Returns:
        A categorical Series aligned with ``values``.
    """
    cat = values.astype("category")
    results = [func(str(c)) for c in cat.cat.categories] + [func("")]
    res = np.array(["" if r is None else str(r) for r in results], dtype=object)
    uniq, inv = np.unique(res, return_inverse=True)
    codes = inv[cat.cat.codes.to_numpy()]  # code -1 (missing) picks the last result
    return pd.Series(pd.Categorical.from_codes(codes, categories=uniq), index=values.index)


def sex_label(raw: str) -> str | None:
    """Map a sex/gender label to the flows vocabulary (``None`` when not recognised)."""
    return SEX_LABELS.get(raw.strip().lower())


def age_label(raw: str) -> str | None:
    """Map an age label, an age in years or a CTDC band (``9--17``, ``48+``) to adult/child.

    Returns:
        ``adult``, ``child``, ``unknown``, ``total`` or ``None`` when not recognised.
    """
    s = raw.strip().lower()
    if s in AGE_LABELS:
        return AGE_LABELS[s]
    band = s.replace("–", "--").split("--")
    try:
        if len(band) == 2:
            low, high = int(band[0]), int(band[1])
            return "child" if high < 18 else "adult" if low >= 18 else None
        if s.endswith("+"):
            return "adult" if int(s[:-1]) >= 18 else None
        value = float(s)
    except ValueError:
        return None
    if not value.is_integer() or not 0 <= value < 130:
        return None
    return "child" if value < 18 else "adult"
