"""Uncertainty of the headlines: random weights, coding one step off, and both jointly.

Two kinds of uncertainty move an index: the weights (no weighting of the provisions is
the right one) and the coding (a low-confidence cell may be one step off). Each draw of
the Monte Carlo takes Dirichlet weights, or perturbed scores, or both; every headline
(ranks, Japan against the EU floor and the EU median, the optional-clause gap) is then
computed in every draw, so its interval and the share of draws in which it holds can be
reported for each kind of uncertainty separately and jointly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import countries
from analysis.protection.codebook import step_probabilities
from analysis.protection.coding import EU_FLOOR

MODES = ("weights", "coding", "joint")
MODE_LABELS = {"weights": "weights only", "coding": "coding only",
               "joint": "weights and coding"}
#: A comparison is called robust when it holds in at least this share of draws.
ROBUST = 0.95
#: Offset of the generator of coding steps, so the weights of a seed stay those of
#: :func:`sensitivity` with the same seed and the joint mode reuses both streams.
_STEP_STREAM = 1


def sensitivity(scores: pd.DataFrame, n_draws: int = 10_000, seed: int = 20241,
                alpha: float = 1.0, interval: tuple[float, float] = (5.0, 95.0)
                ) -> pd.DataFrame:
    """Rank stability under random weights (Dirichlet over provisions).

    All draws are evaluated with one matrix product (entities x provisions times
    provisions x draws). Rank 1 is the most protective; ties share the best rank.

    Args:
        scores: Entities x provisions (0/1/2), no missing values; pass countries only
            (the EU floor is not a country).
        n_draws: Number of weight vectors.
        seed: Seed of numpy's default generator: the same seed gives the same result.
        alpha: Dirichlet concentration (1 = uniform over all weightings).
        interval: Percentiles of the rank distribution reported.

    Returns:
        Per entity: ``rank_lo``, ``rank_median``, ``rank_hi`` (the percentiles),
        ``index_lo``, ``index_median``, ``index_hi`` (the index under the draws) and
        ``rank_equal`` (rank with equal weights), sorted by median rank.
    """
    values = _values(scores)
    draws = np.random.default_rng(seed).dirichlet(np.full(values.shape[1], alpha),
                                                  size=n_draws)
    return _rank_table(values @ draws.T, values.mean(axis=1), scores.index, interval)


def _values(scores: pd.DataFrame) -> np.ndarray:
    """Scores as index points (score / 2 x 100); refuse gaps."""
    values = scores.to_numpy(dtype=float) / 2.0 * 100.0
    if np.isnan(values).any():
        raise ValueError("the uncertainty analysis needs complete scores; drop entities "
                         "with gaps")
    return values


def _rank_table(sims: np.ndarray, equal: np.ndarray, entities: pd.Index,
                interval: tuple[float, float]) -> pd.DataFrame:
    """Percentiles of ranks and indices over draws (``sims``: entities x draws)."""
    ranks = competition_ranks(sims)
    q = [interval[0], 50.0, interval[1]]
    r_lo, r_med, r_hi = np.percentile(ranks, q, axis=1)
    i_lo, i_med, i_hi = np.percentile(sims, q, axis=1)
    rank_equal = competition_ranks(equal[:, None])[:, 0]
    out = pd.DataFrame({"rank_lo": r_lo, "rank_median": r_med, "rank_hi": r_hi,
                        "index_lo": i_lo, "index_median": i_med, "index_hi": i_hi,
                        "rank_equal": rank_equal}, index=entities)
    return out.sort_values(["rank_median", "rank_equal"], kind="stable")


def competition_ranks(values: np.ndarray) -> np.ndarray:
    """Rank each column's rows, highest value = 1, ties sharing the best rank (1, 1, 3)."""
    values = np.round(values, 9)  # float noise must not break ties between equal profiles
    order = np.argsort(-values, axis=0, kind="stable")
    sorted_vals = np.take_along_axis(values, order, axis=0)
    new = np.ones_like(sorted_vals, dtype=bool)
    new[1:] = sorted_vals[1:] != sorted_vals[:-1]
    pos = np.arange(1, values.shape[0] + 1)[:, None]
    best = np.maximum.accumulate(np.where(new, pos, 0), axis=0)
    ranks = np.empty_like(best)
    np.put_along_axis(ranks, order, best, axis=0)
    return ranks


# --------------------------------------------------------------------------- coding draws


def step_probability_grid(confidence: pd.DataFrame, probs: dict[str, float]) -> np.ndarray:
    """Per cell, the probability of one step up (= one step down) from its confidence.

    Raises:
        ValueError: A cell's confidence has no probability (e.g. a gap in the coding).
    """
    grid = confidence.apply(lambda col: col.map(probs)).to_numpy(dtype=float)
    if np.isnan(grid).any():
        bad = sorted(set(confidence.to_numpy().ravel()) - set(probs))
        raise ValueError(f"no step probability for confidence value(s) {bad}")
    return grid


def draw_steps(p_step: np.ndarray, n_draws: int, rng: np.random.Generator) -> np.ndarray:
    """Draw each cell's error: -1 with probability p, +1 with probability p, else 0.

    Args:
        p_step: Entities x provisions, probability of each direction (at most 0.5).
        n_draws: Number of draws.
        rng: The generator (seeded by the caller).

    Returns:
        ``int8`` array draws x entities x provisions with values -1, 0, 1.
    """
    u = rng.random((n_draws, *p_step.shape), dtype=np.float32)
    p = p_step.astype(np.float32)
    return (u < p).astype(np.int8) - (u >= 1 - p).astype(np.int8)


def draw_scores(scores: pd.DataFrame, p_step: np.ndarray, n_draws: int,
                rng: np.random.Generator) -> np.ndarray:
    """Perturbed scores: each cell moved by its drawn step, clipped to 0..2.

    Clipping means a cell scored 0 cannot be more generous than absent, nor a 2 less
    strict than a statutory entitlement: at the ends only one direction moves the score.

    Returns:
        ``int8`` array draws x entities x provisions.
    """
    base = scores.to_numpy(dtype=np.int8)
    return np.clip(base[None] + draw_steps(p_step, n_draws, rng), 0, 2)


# --------------------------------------------------------------------------- simulation


@dataclass(frozen=True)
class Draws:
    """Indices of every entity in every draw of one mode.

    Attributes:
        mode: ``weights``, ``coding`` or ``joint``.
        entities: Entity ids (columns of the arrays).
        overall: Draws x entities, overall index 0-100.
        optional: Draws x entities, index over the Protocol's optional, qualified and
            soft clauses (weights renormalised over them).
        in_law_optional: Draws x entities, share of those clauses scored 2.
    """

    mode: str
    entities: pd.Index
    overall: np.ndarray
    optional: np.ndarray
    in_law_optional: np.ndarray

    def column(self, entity: str) -> int:
        """Return the array column of an entity."""
        return int(self.entities.get_loc(entity))


def simulate(scores: pd.DataFrame, confidence: pd.DataFrame, codebook: pd.DataFrame,
             mode: str = "joint", n_draws: int = 10_000, seed: int = 20241,
             probs: dict[str, float] | None = None, alpha: float = 1.0) -> Draws:
    """Run the Monte Carlo of one mode.

    ``weights``: Dirichlet weights, scores as coded (the draws of :func:`sensitivity`
    with the same seed). ``coding``: equal weights, each cell one step off with its
    confidence's probability (:func:`analysis.protection.codebook.step_probabilities`).
    ``joint``: the weights of ``weights`` and the scores of ``coding`` together.

    Args:
        scores: Entities x provisions (0/1/2), complete.
        confidence: Entities x provisions (high/medium/low), same shape.
        codebook: The codebook (columns must be its provisions).
        mode: One of :data:`MODES`.
        n_draws: Number of draws.
        seed: Seed: the same seed gives the same draws.
        probs: Step probability per confidence level (default: the codebook's).
        alpha: Dirichlet concentration.

    Returns:
        The indices of every entity in every draw.

    Raises:
        ValueError: Unknown mode, gaps in the scores, or shapes that differ.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: use one of {MODES}")
    if not scores.index.equals(confidence.index) or not scores.columns.equals(
            confidence.columns):
        raise ValueError("scores and confidence must have the same entities and provisions")
    values = _values(scores)
    n_prov = values.shape[1]
    if mode == "coding":
        w = np.full((n_draws, n_prov), 1.0 / n_prov)
    else:
        w = np.random.default_rng(seed).dirichlet(np.full(n_prov, alpha), size=n_draws)
    opt = codebook.reindex(scores.columns)["protocol_group"].eq("protocol_optional").to_numpy()
    if mode == "weights":
        perturbed = np.broadcast_to(scores.to_numpy(dtype=np.int8), (n_draws, *values.shape))
    else:
        grid = step_probability_grid(confidence, probs or step_probabilities())
        perturbed = draw_scores(scores, grid, n_draws, np.random.default_rng([seed,
                                                                              _STEP_STREAM]))
    pts = perturbed.astype(np.float32) * np.float32(50.0)  # score / 2 x 100
    w_opt = w[:, opt] / w[:, opt].sum(axis=1, keepdims=True)
    return Draws(mode=mode, entities=scores.index,
                 overall=np.einsum("dep,dp->de", pts, w.astype(np.float32)),
                 optional=np.einsum("dep,dp->de", pts[:, :, opt], w_opt.astype(np.float32)),
                 in_law_optional=(perturbed[:, :, opt] == 2).mean(axis=2))


def rank_intervals(draws: Draws, scores: pd.DataFrame,
                   interval: tuple[float, float] = (5.0, 95.0)) -> pd.DataFrame:
    """Rank intervals among countries (the EU floor is left out) under one mode's draws.

    Args:
        draws: :func:`simulate` output.
        scores: The coded scores the draws started from (for the equal-weight rank).
        interval: Percentiles reported.

    Returns:
        As :func:`sensitivity`: ``rank_lo``, ``rank_median``, ``rank_hi``, ``index_*``,
        ``rank_equal``, sorted by median rank.
    """
    keep = [e for e in draws.entities if e != EU_FLOOR]
    cols = [draws.column(e) for e in keep]
    equal = _values(scores.loc[keep]).mean(axis=1)
    return _rank_table(draws.overall[:, cols].T.astype(float), equal, pd.Index(keep,
                       name=scores.index.name), interval)


# --------------------------------------------------------------------------- headlines


def comparisons(draws: Draws, year: int, entity: str = "JPN") -> dict[str, np.ndarray]:
    """Return the headline comparisons of one entity, per draw (negative: it is lower).

    Returns:
        ``vs_eu_floor`` (overall index minus the EU floor's), ``vs_eu_median`` (minus the
        median of the year's EU Member States), ``optional_gap`` (index over the
        Protocol's optional, qualified and soft clauses minus the EU Member States'
        median of it) and ``in_law_vs_eu_min`` (share of those clauses scored 2 minus the
        lowest EU Member State's share).
    """
    me = draws.column(entity)
    eu = [draws.column(e) for e in countries.eu_members(year) if e in draws.entities]
    return {"vs_eu_floor": draws.overall[:, me] - draws.overall[:, draws.column(EU_FLOOR)],
            "vs_eu_median": draws.overall[:, me] - np.median(draws.overall[:, eu], axis=1),
            "optional_gap": draws.optional[:, me] - np.median(draws.optional[:, eu], axis=1),
            "in_law_vs_eu_min": draws.in_law_optional[:, me]
            - draws.in_law_optional[:, eu].min(axis=1)}


COMPARISON_LABELS = {
    "vs_eu_floor": ("scores below the EU floor", "index points"),
    "vs_eu_median": ("scores below the EU Member States' median", "index points"),
    "optional_gap": ("scores below the EU Member States' median on the Protocol's optional, "
                     "qualified and soft clauses", "index points"),
    "in_law_vs_eu_min": ("has a share of optional clauses in law no higher than the lowest "
                         "EU Member State", "share"),
}


def summarise(diff: np.ndarray, interval: tuple[float, float] = (5.0, 95.0),
              strict: bool = True) -> dict[str, float]:
    """Interval of a per-draw difference and the share of draws in which it is below 0.

    Args:
        diff: One difference per draw.
        interval: Percentiles reported.
        strict: Count ``diff < 0`` (True) or ``diff <= 0`` (False) as "below".
    """
    lo, med, hi = np.percentile(diff, [interval[0], 50.0, interval[1]])
    below = np.mean(diff < 0) if strict else np.mean(diff <= 0)
    return {"lo": float(lo), "median": float(med), "hi": float(hi), "share_below": float(below)}


def headlines(scores: pd.DataFrame, confidence: pd.DataFrame, codebook: pd.DataFrame,
              year: int, n_draws: int = 10_000, seed: int = 20241,
              probs: dict[str, float] | None = None, entity: str = "JPN"
              ) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Every headline comparison and the rank intervals under each kind of uncertainty.

    Args:
        scores: Entities x provisions on the reference date (countries and the EU floor).
        confidence: Their confidence, same shape.
        codebook: The codebook.
        year: The reference year (for the EU membership).
        n_draws: Draws per mode.
        seed: Seed (the same for every mode: the joint draws reuse both streams).
        probs: Step probabilities (default: the codebook's).
        entity: The entity compared (Japan).

    Returns:
        ``(table, ranks)``: the table has one row per comparison x mode with ``lo``,
        ``median``, ``hi``, ``share_below`` and ``robust``; ``ranks`` maps each mode to
        its :func:`rank_intervals`.
    """
    rows, ranks = [], {}
    for mode in MODES:
        draws = simulate(scores, confidence, codebook, mode, n_draws, seed, probs)
        ranks[mode] = rank_intervals(draws, scores)
        for name, diff in comparisons(draws, year, entity).items():
            res = summarise(diff, strict=name != "in_law_vs_eu_min")
            share = res["share_below"]
            rows.append({"comparison": name, "mode": mode, **res,
                         "robust": share >= ROBUST or share <= 1 - ROBUST})
    return pd.DataFrame(rows).set_index(["comparison", "mode"]), ranks


def verdict(table: pd.DataFrame, comparison: str, subject: str = "Japan") -> str:
    """One sentence per mode on whether a comparison holds, computed from the table.

    E.g. "Japan scores below the EU floor in 71% of draws under weights and coding
    uncertainty: not robust".
    """
    what, unit = COMPARISON_LABELS[comparison]
    parts = []
    for mode in MODES:
        r = table.loc[(comparison, mode)]
        word = "robust" if r["robust"] else "not robust"
        span = (f"{r['lo']:+.0%} to {r['hi']:+.0%}" if unit == "share"
                else f"{r['lo']:+.1f} to {r['hi']:+.1f} {unit}")
        parts.append(f"{r['share_below']:.0%} of draws under {MODE_LABELS[mode]} "
                     f"uncertainty (5th-95th percentile of the difference {span}): {word}")
    return f"{subject} {what} in " + "; in ".join(parts) + "."


def systematic_shift(scores: pd.DataFrame, confidence: pd.DataFrame, entities, step: int = -1,
                     levels: tuple[str, ...] = ("low",)) -> pd.DataFrame:
    """Move every cell of some entities at some confidence levels by one step, clipped.

    The Monte Carlo draws independent errors, which largely cancel in a median of 27
    Member States; a coder who was too generous everywhere would not cancel. This is
    that worst case, for stating it beside the intervals (e.g. every low-confidence
    EU Member State cell one step too generous: ``step=-1``).

    Args:
        scores: Entities x provisions (0/1/2).
        confidence: Same shape.
        entities: Entities whose cells move.
        step: +1 or -1.
        levels: Confidence levels that move.

    Returns:
        The shifted scores (a copy).
    """
    rows = scores.index.isin(list(entities))[:, None]
    move = confidence.isin(levels).to_numpy() & rows
    return (scores + step * move).clip(0, 2)


def systematic_comparisons(scores: pd.DataFrame, confidence: pd.DataFrame,
                           codebook: pd.DataFrame, year: int, entity: str = "JPN",
                           step: int = -1) -> dict[str, float]:
    """Japan minus the EU Member States' median if all their low-confidence cells moved.

    Args:
        scores: Entities x provisions on the reference date.
        confidence: Same shape.
        codebook: The codebook.
        year: The reference year (EU membership).
        entity: The entity compared.
        step: -1: every low-confidence Member State cell one step too generous.

    Returns:
        ``vs_eu_median`` and ``optional_gap`` (equal weights, index points), as in
        :func:`comparisons`, plus the shifted ``eu_median`` and the entity's ``index``.
    """
    from analysis.protection.indices import indices

    eu = [e for e in countries.eu_members(year) if e in scores.index]
    ind = indices(systematic_shift(scores, confidence, eu, step), codebook)
    eu_median = float(ind.loc[eu, "overall"].median())
    return {"vs_eu_median": float(ind.at[entity, "overall"]) - eu_median,
            "optional_gap": float(ind.at[entity, "protocol_optional"]
                                  - ind.loc[eu, "protocol_optional"].median()),
            "eu_median": eu_median, "index": float(ind.at[entity, "overall"])}
