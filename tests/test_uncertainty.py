"""Uncertainty: coding draws follow the codebook's probabilities; MC matches exact oracles."""

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import countries, protection
from analysis.errors import InputError
from analysis.protection import uncertainty as unc

CODEBOOK = protection.load_codebook()
PROBS = {"high": 0.0, "medium": 0.05, "low": 0.25}


def _within_binomial(freq: float, p: float, n: int, z: float = 4.5) -> bool:
    """A Monte Carlo frequency lies within z binomial standard errors of the exact p."""
    return abs(freq - p) <= z * np.sqrt(p * (1 - p) / n) + 1e-12


# --- the probabilities ------------------------------------------------------------------------

def test_codebook_states_the_probabilities_with_a_reason():
    assert protection.step_probabilities() == PROBS
    import yaml

    block = yaml.safe_load(protection.CODEBOOK_FILE.read_text())["uncertainty"]
    assert "low" in block["reason"].lower() and "not a measured error rate" in block["reason"]


def test_bad_probabilities_are_refused(tmp_path):
    path = tmp_path / "codebook.yml"
    path.write_text("uncertainty:\n  step_probability: {high: 0, medium: 0.05, low: 0.6}\n")
    with pytest.raises(InputError, match="low is 0.6"):
        protection.step_probabilities(path)
    path.write_text("dimensions: []\n")
    with pytest.raises(InputError, match="high is None"):
        protection.step_probabilities(path)


@pytest.mark.parametrize("level", ["low", "medium"])
def test_steps_follow_the_stated_probabilities(level):
    n, p = 200_000, PROBS[level]
    steps = unc.draw_steps(np.array([[p]]), n, np.random.default_rng(3))[:, 0, 0]
    counts = [(steps == s).sum() for s in (-1, 0, 1)]
    assert sum(counts) == n
    expected = [n * p, n * (1 - 2 * p), n * p]
    assert stats.chisquare(counts, expected).pvalue > 1e-3
    # and each direction alone: exact binomial test
    assert stats.binomtest(int(counts[2]), n, p).pvalue > 1e-3
    assert stats.binomtest(int(counts[0]), n, p).pvalue > 1e-3


def test_a_too_small_probability_would_be_detected():
    # the check above has power: 0.23 instead of 0.25 is caught on the same number of draws
    steps = unc.draw_steps(np.array([[0.23]]), 200_000, np.random.default_rng(3))[:, 0, 0]
    assert stats.binomtest(int((steps == 1).sum()), 200_000, 0.25).pvalue < 1e-3


def test_high_confidence_never_moves_and_scores_are_clipped():
    scores = pd.DataFrame({"p1": [0, 2, 1]}, index=["zero", "two", "high"])
    grid = np.array([[0.25], [0.25], [0.0]])
    drawn = unc.draw_scores(scores, grid, 50_000, np.random.default_rng(5))
    assert (drawn[:, 2, 0] == 1).all()
    assert set(np.unique(drawn)) <= {0, 1, 2}
    # clipped at the ends: 0 goes up with 0.25 and stays 0 otherwise (down is clipped)
    assert _within_binomial((drawn[:, 0, 0] == 1).mean(), 0.25, 50_000)
    assert _within_binomial((drawn[:, 1, 0] == 1).mean(), 0.25, 50_000)


# --- Monte Carlo against exact oracles ---------------------------------------------------------

BOOK = pd.DataFrame({"dimension": ["d1", "d1", "d2"], "force": ["mandatory", "optional",
                                                                "absent"]},
                    index=pd.Index(["p1", "p2", "p3"], name="id"))
BOOK["protocol_group"] = BOOK.force.map(protection.PROTOCOL_GROUPS)
BOOK.attrs["dimensions"] = ["d1", "d2"]
SCORES = pd.DataFrame({"p1": [2, 1], "p2": [0, 1], "p3": [1, 2]}, index=["A", "B"])
CONF = pd.DataFrame({"p1": ["low", "medium"], "p2": ["low", "high"], "p3": ["medium", "low"]},
                    index=["A", "B"])


def _exact_difference_distribution():
    """Brute force: every combination of the 6 cells' steps, with its probability."""
    base = SCORES.to_numpy()
    p = CONF.apply(lambda c: c.map(PROBS)).to_numpy()
    dist = {}
    for steps in itertools.product((-1, 0, 1), repeat=6):
        s = np.array(steps).reshape(2, 3)
        prob = np.prod(np.where(s == 0, 1 - 2 * p, p))
        if prob == 0:
            continue
        drawn = np.clip(base + s, 0, 2)
        diff = round(float((drawn[0] - drawn[1]).mean() / 2 * 100), 6)  # equal weights
        dist[diff] = dist.get(diff, 0.0) + prob
    return dist


def test_coding_draws_match_the_enumerated_distribution():
    exact = _exact_difference_distribution()
    assert sum(exact.values()) == pytest.approx(1.0)
    n = 100_000
    draws = protection.simulate(SCORES, CONF, BOOK, "coding", n_draws=n, seed=11, probs=PROBS)
    diff = np.round((draws.overall[:, 0] - draws.overall[:, 1]).astype(float), 2)
    values, counts = np.unique(diff, return_counts=True)
    got = {float(v): c / n for v, c in zip(values, counts, strict=True)}
    assert set(got) <= {round(v, 2) for v in exact}
    for v, p in exact.items():
        assert _within_binomial(got.get(round(v, 2), 0.0), p, n), (v, p)
    p_below = sum(p for v, p in exact.items() if v < 0)
    assert _within_binomial(float((diff < 0).mean()), p_below, n)


def test_joint_draws_match_an_analytic_probability():
    # A = (2, 0) and B = (0, 2), all high, except B's first cell low (0 -> 1 with 0.25).
    # Dirichlet(1, 1): w1 ~ U(0, 1). A = 100 w1; B = 100 (1 - w1) + 50 w1 [step].
    # P(A > B) = 0.75 P(w1 > 1/2) + 0.25 P(w1 > 2/3) = 0.375 + 0.25 / 3.
    book = BOOK.iloc[:2]
    scores = pd.DataFrame({"p1": [2, 0], "p2": [0, 2]}, index=["A", "B"])
    conf = pd.DataFrame({"p1": ["high", "low"], "p2": ["high", "high"]}, index=["A", "B"])
    n = 100_000
    d = protection.simulate(scores, conf, book, "joint", n_draws=n, seed=2, probs=PROBS)
    exact = 0.375 + 0.25 / 3
    assert _within_binomial(float((d.overall[:, 0] > d.overall[:, 1]).mean()), exact, n)
    w = protection.simulate(scores, conf, book, "weights", n_draws=n, seed=2, probs=PROBS)
    assert _within_binomial(float((w.overall[:, 0] > w.overall[:, 1]).mean()), 0.5, n)


def test_modes_are_seeded_and_weights_mode_is_the_sensitivity_analysis():
    real = protection.load_coding(codebook=CODEBOOK)
    scores = protection.as_of(real, 2020)
    conf = protection.as_of(real, 2020, "confidence")
    a = protection.simulate(scores, conf, CODEBOOK, "joint", 300, seed=4)
    b = protection.simulate(scores, conf, CODEBOOK, "joint", 300, seed=4)
    c = protection.simulate(scores, conf, CODEBOOK, "joint", 300, seed=5)
    assert np.array_equal(a.overall, b.overall) and not np.array_equal(a.overall, c.overall)
    w = protection.simulate(scores, conf, CODEBOOK, "weights", 300, seed=4)
    pd.testing.assert_frame_equal(protection.rank_intervals(w, scores),
                                  protection.sensitivity(scores.drop(index="EU"), 300, 4))
    with pytest.raises(ValueError, match="unknown mode"):
        protection.simulate(scores, conf, CODEBOOK, "vibes", 10)


def test_coding_mode_leaves_all_high_cells_at_the_equal_weight_index():
    conf = CONF.copy()
    conf.loc[:, :] = "high"
    d = protection.simulate(SCORES, conf, BOOK, "coding", 200, seed=1, probs=PROBS)
    expected = protection.indices(SCORES, BOOK)["overall"].to_numpy()
    assert np.allclose(d.overall, expected[None, :], atol=1e-4)


# --- headlines and sentences ------------------------------------------------------------------

def test_verdict_says_not_robust_below_95_percent():
    idx = pd.MultiIndex.from_product([["vs_eu_median"], protection.MODES])
    table = pd.DataFrame({"lo": [-10.0, -5.0, -12.0], "median": [-4.0, -2.0, -3.0],
                          "hi": [1.0, 2.0, 4.0], "share_below": [0.96, 0.71, 0.50],
                          "robust": [True, False, False]}, index=idx)
    text = protection.verdict(table, "vs_eu_median")
    assert text.startswith("Japan scores below the EU Member States' median in 96% of draws")
    assert "71% of draws under coding only uncertainty" in text
    assert text.count("not robust") == 2 and "-12.0 to +4.0 index points" in text


def test_systematic_shift_matches_a_hand_computed_worst_case():
    # Issue 10: every low-confidence EU Member State cell one step too generous. On the coding
    # the issue read this put the EU median at about 48, below Japan's 55; re-checks since
    # have raised many cells' confidence, so the oracle here is the rule computed by hand.
    real = protection.load_coding(codebook=CODEBOOK)
    scores = protection.as_of(real, 2024)
    conf = protection.as_of(real, 2024, "confidence")
    eu = list(countries.eu_members(2024))
    shifted = unc.systematic_shift(scores, conf, eu, step=-1)
    by_hand = {}
    for e in scores.index:
        cells = [max(0, s - 1) if e in eu and c == "low" else s
                 for s, c in zip(scores.loc[e], conf.loc[e], strict=True)]
        by_hand[e] = 100 * sum(cells) / (2 * len(cells))
    ind = protection.indices(shifted, CODEBOOK)["overall"]
    assert ind.to_dict() == pytest.approx(by_hand)
    worst = unc.systematic_comparisons(scores, conf, CODEBOOK, 2024)
    eu_median = float(pd.Series([by_hand[e] for e in eu]).median())
    assert worst["eu_median"] == pytest.approx(eu_median)
    assert worst["vs_eu_median"] == pytest.approx(by_hand["JPN"] - eu_median)
    assert shifted.loc["JPN"].equals(scores.loc["JPN"])          # only the named entities
    assert (shifted.loc[eu] <= scores.loc[eu]).all().all() and shifted.min().min() >= 0


def test_headlines_table_has_every_comparison_under_every_mode():
    real = protection.load_coding(codebook=CODEBOOK)
    scores = protection.as_of(real, 2025)
    conf = protection.as_of(real, 2025, "confidence")
    table, ranks = protection.headlines(scores, conf, CODEBOOK, 2025, n_draws=2000, seed=1)
    assert len(table) == 4 * 3 and set(ranks) == set(protection.MODES)
    row = table.loc[("vs_eu_floor", "coding")]
    assert row["lo"] <= row["median"] <= row["hi"] and 0 <= row["share_below"] <= 1
    # equal weights and no coding error: Japan 54.8 vs the floor 73.8 -> -19.0 points
    assert table.loc[("vs_eu_floor", "weights"), "median"] == pytest.approx(-19.0, abs=2.5)
    assert (ranks["joint"].rank_lo <= ranks["joint"].rank_hi).all()
    assert "EU" not in ranks["coding"].index and len(ranks["coding"]) == len(scores) - 1


def test_headline_figure_draws_every_interval_and_the_worst_case():
    import matplotlib.pyplot as plt

    from analysis.figures import protection as figures

    idx = pd.MultiIndex.from_product([["vs_eu_floor", "vs_eu_median"], protection.MODES])
    table = pd.DataFrame({"lo": [-9.0, -8, -7, -6, -5, -4], "median": [-3.0] * 6,
                          "hi": [-1.0, -1, -1, 1, 1, 1], "share_below": [1, 1, 1, .9, .8, .7],
                          "robust": [True] * 3 + [False] * 3}, index=idx)
    fig = figures.headline_intervals(table, {"vs_eu_floor": "floor", "vs_eu_median": "median"},
                                     2025, 100, worst={"vs_eu_median": 7.0})
    ax = fig.axes[0]
    segments = [seg for coll in ax.collections for seg in coll.get_segments()]
    assert sorted(round(s[0][0]) for s in segments) == [-9, -8, -7, -6, -5, -4]
    crosses = [ln for ln in ax.lines if ln.get_marker() == "X"]
    assert len(crosses) == 1 and crosses[0].get_xdata()[0] == 7.0
    assert sum("not robust" in t.get_text() for t in ax.texts) == 3
    plt.close(fig)
