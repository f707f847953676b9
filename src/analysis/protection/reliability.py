"""Inter-coder reliability: a blind second coding of a seeded sample, weighted Cohen's kappa."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis import paths
from analysis.errors import InputError
from analysis.protection.coding import as_of

SECOND_CODER = paths.PROTECTION / "second_coder"
SAMPLE_FILE = SECOND_CODER / "sample.csv"
SCORES = (0, 1, 2)


def weighted_kappa(first: pd.Series, second: pd.Series, weights: str = "linear") -> float:
    """Return Cohen's weighted kappa between two codings on the ordinal scale 0/1/2.

    kappa_w = 1 - sum(w * observed) / sum(w * expected), with disagreement weights
    ``|i - j| / 2`` (linear) or ``((i - j) / 2) ** 2`` (quadratic), and the expected table
    the product of the two coders' marginal shares (Cohen 1968).

    Args:
        first: Scores of the first coder (0, 1 or 2), aligned with ``second``.
        second: Scores of the second coder.
        weights: ``linear`` or ``quadratic``.

    Raises:
        ValueError: Different lengths, a score outside 0/1/2, no cells, or unknown weights.
    """
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    if a.shape != b.shape or a.size == 0:
        raise ValueError("weighted_kappa needs two equally long, non-empty codings")
    if not (np.isin(a, SCORES).all() and np.isin(b, SCORES).all()):
        raise ValueError("weighted_kappa needs scores 0, 1 or 2 only")
    power = {"linear": 1, "quadratic": 2}.get(weights)
    if power is None:
        raise ValueError(f"weights must be 'linear' or 'quadratic', not {weights!r}")
    k = len(SCORES)
    observed = np.zeros((k, k))
    np.add.at(observed, (a.astype(int), b.astype(int)), 1)
    observed /= observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    i, j = np.indices((k, k))
    w = (np.abs(i - j) / (k - 1)) ** power
    disagreement_expected = (w * expected).sum()
    if disagreement_expected == 0:
        return 1.0  # both coders put every cell in one and the same category
    return float(1 - (w * observed).sum() / disagreement_expected)


def load_second_coding(folder: str | Path | None = None) -> pd.DataFrame:
    """Read the blind second coder's batches (``coding_*.csv``) and check them against the sample.

    Raises:
        InputError: No batch, a cell outside the sample, a cell coded twice, or a score
            that is not 0, 1, 2 or empty.
    """
    folder = Path(folder or SECOND_CODER)
    sample = pd.read_csv(folder / SAMPLE_FILE.name)
    batches = sorted(folder.glob("coding_*.csv"))
    if not batches:
        raise InputError(str(folder), "no second-coder batch (coding_*.csv)",
                         "have the second coder code the cells listed in sample.csv")
    frames = [pd.read_csv(p, dtype={"score": "string"}).assign(batch_file=p.name)
              for p in batches]
    second = pd.concat(frames, ignore_index=True)
    second["score"] = pd.to_numeric(second["score"].str.strip(), errors="coerce")
    keys = ["iso3", "provision"]
    extra = second.merge(sample[keys], on=keys, how="left", indicator=True)
    outside = extra[extra["_merge"] == "left_only"]
    if len(outside):
        raise InputError(outside.iloc[0].batch_file, "a cell outside the seeded sample",
                         "code only the cells in sample.csv",
                         examples=outside[keys].head(3).to_string(index=False))
    twice = second[second.duplicated(keys, keep=False)]
    if len(twice):
        raise InputError(twice.iloc[0].batch_file, "a cell coded twice",
                         "keep one row per cell", examples=twice[keys].head(3).to_string())
    bad = second[second.score.notna() & ~second.score.isin(SCORES)]
    if len(bad):
        raise InputError(bad.iloc[0].batch_file, "score not 0, 1 or 2", "fix the score",
                         column="score", examples=bad[keys + ["score"]].head(3).to_string())
    return second


def compare(coding: pd.DataFrame, second: pd.DataFrame, when) -> pd.DataFrame:
    """Pair each sampled cell's first and second coding on the reference date.

    Args:
        coding: The project's coding (:func:`analysis.protection.load_coding`).
        second: The second coder's cells (:func:`load_second_coding`).
        when: The sample's reference date (a year or a date).

    Returns:
        One row per sampled cell: iso3, provision, score_first, confidence_first,
        score_second, confidence_second, legal_basis_first, legal_basis_second, agree.
    """
    cols = {"score": "score_first", "confidence": "confidence_first",
            "legal_basis": "legal_basis_first"}
    first = pd.concat({c: as_of(coding, when, value=c).stack() for c in cols}, axis=1)
    first = first.rename(columns=cols).reset_index()
    out = second.rename(columns={"score": "score_second", "confidence": "confidence_second",
                                 "legal_basis": "legal_basis_second"})
    out = out.merge(first, on=["iso3", "provision"], how="left")
    out["agree"] = out.score_first == out.score_second
    return out[["iso3", "provision", "score_first", "confidence_first", "score_second",
                "confidence_second", "legal_basis_first", "legal_basis_second", "agree",
                "note"]]


def reliability(pairs: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Weighted kappa (linear and quadratic) and raw agreement, overall or by a column.

    Cells the second coder left empty are counted and left out of kappa.
    """
    def one(group: pd.DataFrame) -> pd.Series:
        coded = group.dropna(subset=["score_first", "score_second"])

        def kappa(w: str) -> float:
            return (weighted_kappa(coded.score_first, coded.score_second, w)
                    if len(coded) else np.nan)

        return pd.Series({"cells": len(group), "coded": len(coded),
                          "agreement": coded.agree.mean() if len(coded) else np.nan,
                          "kappa_linear": kappa("linear"),
                          "kappa_quadratic": kappa("quadratic")})
    if by is None:
        return one(pairs).to_frame("all").T
    return pairs.groupby(by).apply(one, include_groups=False)


REASONS_FILE = SECOND_CODER / "disagreement_reasons.csv"
COMPARISON_FILE = SECOND_CODER / "comparison.csv"


def load_comparison(path: str | Path | None = None) -> pd.DataFrame:
    """Read the frozen comparison of first and second coding (measured before resolution)."""
    return pd.read_csv(path or COMPARISON_FILE)


def flagged(pairs: pd.DataFrame, reasons: pd.DataFrame | None = None) -> pd.DataFrame:
    """List the provisions where the two coders disagreed, with the coders' stated reason.

    Args:
        pairs: The comparison (:func:`compare` or :func:`load_comparison`).
        reasons: provision, reason, raised_by (default: the committed reasons file).

    Returns:
        One row per provision with a disagreement: cells, disagreements, the entities,
        and the reason (``"no reason recorded"`` where the coders gave none).
    """
    reasons = pd.read_csv(REASONS_FILE) if reasons is None else reasons
    off = pairs[pairs.score_first != pairs.score_second]
    table = (pairs.groupby("provision").size().rename("cells").to_frame()
             .join(off.groupby("provision").size().rename("disagreements"), how="inner")
             .join(off.groupby("provision").iso3.agg(lambda s: ", ".join(sorted(s)))
                   .rename("entities")))
    table = table.join(reasons.set_index("provision")[["reason"]], how="left")
    table["reason"] = table["reason"].fillna("no reason recorded")
    return table.sort_values(["disagreements", "cells"], ascending=[False, True]).reset_index()
