"""Validity check: the project's law index against the 3P protection score (Spearman's rho)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.protection.coding import EU_FLOOR, as_of
from analysis.protection.indices import indices


def compare_threep(coding: pd.DataFrame, codebook: pd.DataFrame, threep: pd.DataFrame,
                   scheme: str | dict = "equal") -> pd.DataFrame:
    """Pair the project's overall index with the 3P protection score, per country-year.

    The 3P year is compared with the coding's state on 31 December of that year.

    Args:
        coding: The coding table.
        codebook: The codebook.
        threep: The tidy 3P table (:func:`analysis.sources.threep.load`).
        scheme: Weighting of the project's index.

    Returns:
        Rows ``iso3``, ``year``, ``index``, ``threep_protection``, and the pooled
        percentile ranks of both (``rank_index``, ``rank_threep``) and their difference
        ``rank_gap`` (index rank minus 3P rank: positive = law scores higher than 3P).
    """
    coded = sorted(set(coding["iso3"]) - {EU_FLOOR})
    have = threep[threep["iso3"].isin(coded) & threep["protection"].notna()]
    rows = []
    for year, grp in have.groupby("year"):
        ind = indices(as_of(coding, int(year)), codebook, scheme)["overall"]
        rows.append(pd.DataFrame({"iso3": grp["iso3"].to_numpy(), "year": int(year),
                                  "index": ind.reindex(grp["iso3"]).to_numpy(),
                                  "threep_protection": grp["protection"].to_numpy()}))
    pairs = pd.concat(rows, ignore_index=True).dropna()
    pairs["rank_index"] = pairs["index"].rank(pct=True)
    pairs["rank_threep"] = pairs["threep_protection"].rank(pct=True)
    pairs["rank_gap"] = pairs["rank_index"] - pairs["rank_threep"]
    return pairs


def spearman(pairs: pd.DataFrame) -> tuple[float, float, int]:
    """Spearman's rho (scipy) between the index and the 3P protection score: rho, p, n."""
    from scipy.stats import spearmanr

    res = spearmanr(pairs["index"], pairs["threep_protection"])
    return float(res.statistic), float(res.pvalue), len(pairs)


def spearman_by_year(pairs: pd.DataFrame) -> pd.Series:
    """Spearman's rho between the index and the 3P protection score within each year."""
    from scipy.stats import spearmanr

    return pairs.groupby("year").apply(
        lambda g: float(spearmanr(g["index"], g["threep_protection"]).statistic),
        include_groups=False)


def disagreements(pairs: pd.DataFrame, coding: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """Countries whose index and 3P score disagree most, averaged over their years.

    Args:
        pairs: :func:`compare_threep` output.
        coding: The coding table, to describe how each country's protection is coded.
        n: How many countries to return.

    Returns:
        Per country: mean ``rank_gap`` (positive: the law scores higher than 3P's reading
        of practice), ``direction``, mean ``index`` and ``threep_protection``, ``years``
        compared, ``share_partial`` (share of its cells scored 1: partial, discretionary or
        practice only) and ``share_low`` (share coded with low confidence), both averaged
        over the compared years; the ``n`` largest by absolute gap.
    """
    by = pairs.groupby("iso3").agg(rank_gap=("rank_gap", "mean"), index=("index", "mean"),
                                   threep_protection=("threep_protection", "mean"),
                                   years=("year", "size"))
    by["direction"] = np.where(by["rank_gap"] > 0, "law above 3P", "3P above law")
    top = by.reindex(by["rank_gap"].abs().sort_values(ascending=False).index).head(n)
    partial, low = {}, {}
    for iso3 in top.index:
        years = pairs.loc[pairs["iso3"] == iso3, "year"]
        partial[iso3] = np.mean([(as_of(coding, int(y)).loc[iso3] == 1).mean() for y in years])
        low[iso3] = np.mean([(as_of(coding, int(y), "confidence").loc[iso3] == "low").mean()
                             for y in years])
    return top.assign(share_partial=pd.Series(partial), share_low=pd.Series(low))
