"""Weights and indices: overall, per dimension, per Protocol group; shares; the timeline."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from analysis import countries
from analysis.protection.codebook import GROUP_LABELS
from analysis.protection.coding import EU_FLOOR, as_of


def weights(codebook: pd.DataFrame, scheme: str | dict = "equal") -> pd.Series:
    """Return provision weights summing to 1.

    Args:
        codebook: The codebook.
        scheme: ``equal`` (each provision the same), ``dimension`` (each dimension the same
            total, split equally among its provisions) or a dict provision -> weight
            (provisions left out get 0; need not sum to 1).

    Returns:
        Weights indexed by provision id, in codebook order.

    Raises:
        ValueError: Unknown scheme, unknown provision id, or negative/zero-total weights.
    """
    ids = codebook.index
    if isinstance(scheme, dict):
        unknown = sorted(set(scheme) - set(ids))
        if unknown:
            raise ValueError(f"weights for unknown provision(s): {unknown}")
        w = pd.Series(scheme, dtype=float).reindex(ids, fill_value=0.0)
        if (w < 0).any() or w.sum() <= 0:
            raise ValueError("weights must be non-negative with a positive total")
    elif scheme == "equal":
        w = pd.Series(1.0, index=ids)
    elif scheme == "dimension":
        w = 1.0 / codebook.groupby("dimension")["dimension"].transform("size")
    else:
        raise ValueError(f"unknown weighting scheme {scheme!r} (equal, dimension or a dict)")
    w.index.name = "provision"
    return w / w.sum()


def index(scores: pd.DataFrame, w: pd.Series, subset: Iterable[str] | None = None) -> pd.Series:
    """Weighted protection index, 0-100: score/2 averaged with weights, times 100.

    Args:
        scores: Entities x provisions (0/1/2), as :func:`analysis.protection.as_of` returns.
        w: Provision weights (:func:`weights`).
        subset: Provisions to use; the weights are renormalised over them.

    Returns:
        One value per entity; NaN where a used provision has no score.
    """
    cols = list(subset) if subset is not None else list(w.index)
    sub = w.reindex(cols).fillna(0.0)
    if sub.sum() <= 0:
        return pd.Series(np.nan, index=scores.index)
    values = scores.reindex(columns=cols).astype(float) / 2.0
    out = 100.0 * (values * sub).sum(axis=1, min_count=1) / sub.sum()
    return out.where(values.notna().all(axis=1))


def indices(scores: pd.DataFrame, codebook: pd.DataFrame, scheme: str | dict = "equal"
            ) -> pd.DataFrame:
    """Overall index, one index per dimension and the three Protocol subscores.

    Args:
        scores: Entities x provisions (:func:`analysis.protection.as_of`).
        codebook: The codebook.
        scheme: Weighting (see :func:`weights`); within a dimension or Protocol group the
            same weights are renormalised.

    Returns:
        Entities as rows; columns ``overall``, ``protocol_mandatory``,
        ``protocol_optional``, ``beyond_protocol`` and one per dimension.
    """
    w = weights(codebook, scheme)
    out = {"overall": index(scores, w)}
    for group in GROUP_LABELS:
        out[group] = index(scores, w, codebook.index[codebook.protocol_group == group])
    for dim in codebook.attrs.get("dimensions", sorted(codebook.dimension.unique())):
        out[dim] = index(scores, w, codebook.index[codebook.dimension == dim])
    return pd.DataFrame(out)


def implementation_shares(scores: pd.DataFrame, codebook: pd.DataFrame,
                          group: str = "protocol_optional") -> pd.DataFrame:
    """Share of a Protocol group's clauses scored 2, 1 and 0 per entity.

    Returns:
        Columns ``in_law`` (2), ``partial`` (1), ``absent`` (0), each a share 0-1.
    """
    cols = codebook.index[codebook.protocol_group == group]
    sub = scores[cols]
    return pd.DataFrame({"in_law": (sub == 2).mean(axis=1), "partial": (sub == 1).mean(axis=1),
                         "absent": (sub == 0).mean(axis=1)})


def timeline(coding: pd.DataFrame, codebook: pd.DataFrame, years: Iterable[int],
             scheme: str | dict = "equal", column: str = "overall") -> pd.DataFrame:
    """Japan, the EU floor and the EU Member States (membership of each year) over time.

    Returns:
        One row per year: ``Japan``, ``EU floor``, ``EU median``, ``EU q1``, ``EU q3``,
        ``EU min``, ``EU max`` and ``EU n`` (Member States coded that year).
    """
    rows = []
    for year in years:
        ind = indices(as_of(coding, int(year)), codebook, scheme)[column]
        eu = ind.reindex(countries.eu_members(year)).dropna()
        rows.append({"year": year, "Japan": ind.get("JPN", np.nan),
                     "EU floor": ind.get(EU_FLOOR, np.nan), "EU median": eu.median(),
                     "EU q1": eu.quantile(0.25), "EU q3": eu.quantile(0.75),
                     "EU min": eu.min(), "EU max": eu.max(), "EU n": len(eu)})
    return pd.DataFrame(rows).set_index("year")
