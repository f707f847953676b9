import numpy as np
import pandas as pd
import pytest

from analysis import protection
from analysis.errors import InputError
from analysis.protection import reliability


def test_weighted_kappa_matches_a_hand_computed_table():
    # 10 cells; observed table (rows first coder 0/1/2, columns second coder):
    # [[2,1,0],[1,3,1],[0,0,2]] -> row shares .3 .5 .2, column shares .3 .4 .3.
    # Linear weights |i-j|/2: observed disagreement = (1+1+1)*.5/10 = .15;
    # expected = .5*(.3*.4+.5*.3+.5*.3+.2*.4) + 1*(.3*.3+.2*.3) = .5*.50+.15 = .40
    # kappa = 1 - .15/.40 = .625.  Quadratic weights ((i-j)/2)^2: .075/.325.
    first = [0, 0, 0, 1, 1, 1, 1, 1, 2, 2]
    second = [0, 0, 1, 0, 1, 1, 1, 2, 2, 2]
    assert reliability.weighted_kappa(first, second) == pytest.approx(0.625)
    assert reliability.weighted_kappa(first, second, "quadratic") == pytest.approx(
        1 - 0.075 / (0.25 * 0.50 + 0.15))


def test_weighted_kappa_is_one_for_identical_and_negative_for_reversed_codings():
    a = [0, 1, 2, 2, 1, 0]
    assert reliability.weighted_kappa(a, a) == pytest.approx(1.0)
    assert reliability.weighted_kappa(a, [2 - x for x in a]) < 0


def test_weighted_kappa_agrees_with_brute_force_over_random_codings():
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(2, 30))
        a, b = rng.integers(0, 3, n), rng.integers(0, 3, n)
        # Oracle: the pairwise form, averaging |a_i - b_j| over all pairs for chance.
        po = np.mean(np.abs(a - b)) / 2
        pe = np.mean(np.abs(a[:, None] - b[None, :])) / 2
        expected = 1.0 if pe == 0 else 1 - po / pe
        assert reliability.weighted_kappa(a, b) == pytest.approx(expected)


def test_bad_scores_are_refused():
    with pytest.raises(ValueError, match="0, 1 or 2"):
        reliability.weighted_kappa([0, 3], [0, 1])


def test_second_coding_outside_the_sample_is_refused(tmp_path):
    pd.DataFrame({"iso3": ["JPN"], "provision": ["shelter"], "reference_date": ["2024-12-31"],
                  "batch": ["A"]}).to_csv(tmp_path / "sample.csv", index=False)
    pd.DataFrame({"iso3": ["DEU"], "provision": ["shelter"], "score": [2], "legal_basis": ["x"],
                  "source": ["y"], "confidence": ["low"], "note": ["z"]}).to_csv(
        tmp_path / "coding_A.csv", index=False)
    with pytest.raises(InputError, match="outside the seeded sample"):
        reliability.load_second_coding(tmp_path)


def test_the_committed_double_coding_covers_the_seeded_ten_percent_sample():
    second = reliability.load_second_coding()
    sample = pd.read_csv(reliability.SAMPLE_FILE)
    coding = protection.load_coding()
    cells = coding[["iso3", "provision"]].drop_duplicates()
    assert len(sample) == int(np.ceil(0.10 * len(cells)))
    assert set(map(tuple, second[["iso3", "provision"]].to_numpy())) == set(
        map(tuple, sample[["iso3", "provision"]].to_numpy()))
    pairs = reliability.compare(coding, second, 2024)
    assert pairs.score_first.notna().all()
    table = reliability.reliability(pairs)
    assert -1 <= table.at["all", "kappa_linear"] <= 1
