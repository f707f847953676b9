"""Inference: SC solver, randomization under the null, MDE against analytic power, verdicts."""

import math

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
from scipy import stats

from analysis import displacement, inference, paths
from analysis.errors import InputError


def _panel(origins, destinations, years, log_mu, seed):
    rng = np.random.default_rng(seed)
    rows = [(o, d, t) for o in origins for d in destinations for t in years]
    grid = pd.DataFrame(rows, columns=["origin", "destination", "year"])
    y = rng.poisson(np.exp([log_mu(o, d, t) for o, d, t in rows]))
    return grid.join(inference.censor(y))


# --------------------------------------------------------------------------- synthetic control


def test_sc_weights_recover_a_known_donor_combination():
    rng = np.random.default_rng(0)
    donors = rng.uniform(10, 100, size=(12, 5))
    treated = donors @ np.array([0.7, 0.0, 0.3, 0.0, 0.0])
    w = inference.synth_weights(treated[:8], donors[:8])
    assert w == pytest.approx([0.7, 0.0, 0.3, 0.0, 0.0], abs=1e-6)
    assert w.sum() == pytest.approx(1.0) and (w >= 0).all()


def test_sc_gap_and_placebo_p_value_with_an_exact_pre_fit():
    rng = np.random.default_rng(1)
    donors = rng.uniform(10, 100, size=(12, 5))
    treated = donors @ np.array([0.2, 0.0, 0.0, 0.5, 0.3])
    treated[8:] += 50.0                                   # the effect, from 2018 on
    series = pd.DataFrame(donors, index=range(2010, 2022), columns=list("ABCDE"))
    series["JPN"] = treated
    out = inference.synthetic_control(series, "JPN", 2018)
    assert out.gap[out.year < 2018].abs().max() < 1e-4
    assert out.gap[out.year >= 2018].to_numpy() == pytest.approx(50.0, abs=1e-3)
    assert out.attrs["p_value"] == pytest.approx(1 / 6)  # most extreme of 6 units
    assert out.attrs["weights"]["D"] == pytest.approx(0.5, abs=1e-5)


def test_sc_rejects_missing_values():
    series = pd.DataFrame({"JPN": [1.0, np.nan, 3.0], "A": [1.0, 2.0, 3.0]}, index=[1, 2, 3])
    with pytest.raises(InputError, match="missing"):
        inference.synthetic_control(series, "JPN", 3)


def _japan_panel(donors, years, skip_japan=()):
    rng = np.random.default_rng(2)
    rows = []
    for d in ["JPN", *donors]:
        for t in years:
            if d == "JPN" and t in skip_japan:
                continue
            for o in ["PHL", "THA"]:
                v = int(rng.integers(5, 40))
                rows.append((o, d, t, v, v, False))
    return pd.DataFrame(rows, columns=list(displacement.PANEL_COLUMNS))


def test_japan_2017_estimates_and_says_the_treatment_year_is_missing():
    panel = _japan_panel(["USA", "KOR", "AUS", "NLD", "DEU", "GBR"], range(2008, 2020),
                         skip_japan={2017})
    res = inference.japan_2017(panel)
    assert res["status"] == "estimated"
    assert any("no citizenship data for 2017" in r for r in res["reasons"])
    assert 2017 not in res["table"].year.tolist() and len(res["table"]) == 11
    assert 0 < res["table"].attrs["p_value"] <= 1
    # random donors cannot track random Japan counts: the fit warning must be there
    assert any("poor pre-period fit" in r for r in res["reasons"])


def test_japan_2017_gives_the_reason_when_donors_are_too_few():
    panel = _japan_panel(["USA", "KOR"], range(2008, 2020))
    res = inference.japan_2017(panel)
    assert res["status"] == "not estimable" and "table" not in res
    assert any("only 2 donor destinations" in r for r in res["reasons"])


def test_japan_2017_on_the_committed_flows():
    flows = pd.read_csv(paths.PROCESSED / "flows.csv", keep_default_na=False)
    res = inference.japan_2017(displacement.citizenship_panel(flows))
    assert 2017 not in res["years"] and res["years"][0] == 2007
    assert any("2017" in r for r in res["reasons"])


# --------------------------------------------------------------------------- randomization


def test_randomization_p_values_are_roughly_uniform_under_the_null():
    origins, dests = list("ABCDEFG"), [f"D{i}" for i in range(10)]
    exposure = pd.Series(np.linspace(0, 1, len(origins)), index=origins)
    p_values = []
    for seed in range(30):
        rng = np.random.default_rng(100 + seed)
        a = {(o, d): rng.uniform(1.5, 3.0) for o in origins for d in dests}
        panel = _panel(origins, dests, range(2009, 2017), lambda o, d, t, a=a: a[o, d], seed)
        ri = inference.randomization_inference(panel, exposure, 2013, treated="D0",
                                               reassign="destination")
        assert ri.attrs["n_assignments"] == 10
        p_values.append(ri.attrs["p_value"])
    p = np.array(p_values)
    # exact RI over 10 exchangeable destinations: p is uniform on {0.1, ..., 1.0}
    assert set(np.round(p, 10)) <= {round(k / 10, 10) for k in range(1, 11)}
    assert 0.42 < p.mean() < 0.68                       # E[p] = 0.55
    assert 0.05 <= (p <= 0.3).mean() <= 0.55            # P(p <= 0.3) = 0.3


def test_exposure_randomization_finds_a_large_effect():
    origins, dests = list("ABCDEFGH"), ["JPN", "USA", "KOR"]
    exposure = pd.Series([1, 0.9, 0.8, 0, 0, 0.1, 0, 0.2], index=origins, dtype=float)

    def log_mu(o, d, t):
        return 3.0 + (1.0 * exposure[o] if d == "JPN" and t >= 2013 else 0.0)

    panel = _panel(origins, dests, range(2009, 2017), log_mu, 9)
    ri = inference.randomization_inference(panel, exposure, 2013, treated="JPN",
                                           reassign="exposure", draws=99, seed=1)
    res = inference.did(panel, exposure, 2013, treated="JPN")
    assert res["ci_low"] < 1.0 < res["ci_high"] and res["ci_low"] > 0.3
    assert ri.attrs["observed"] == pytest.approx(res["estimate"])
    assert ri.attrs["p_value"] <= 0.05 and len(ri) == 100


def test_placebo_years_and_origins_and_leave_one_out():
    origins, dests = ["PHL", "THA", "VNM", "IDN", "ROU", "NGA"], ["D1", "D2", "D3", "D4"]
    exposure = pd.Series({"PHL": 1.0, "THA": 0.5, "VNM": 0.2})

    def log_mu(o, d, t):
        return 3.0 + (0.6 * exposure.get(o, 0) if t >= 2013 else 0.0)

    panel = _panel(origins, dests, range(2007, 2017), log_mu, 21)
    pl = inference.placebos(panel, exposure, 2013, placebo_years=(2010,),
                            placebo_origins=("ROU", "NGA")).set_index("kind")
    for kind in ("placebo year", "placebo origins"):
        assert pl.loc[kind, "ci_low"] < 0 < pl.loc[kind, "ci_high"], kind
        assert pl.loc[kind, "ci_high"] - pl.loc[kind, "ci_low"] < 1.0
    with pytest.raises(InputError, match="not before"):
        inference.placebos(panel, exposure, 2013, placebo_years=(2014,))
    with pytest.raises(InputError, match="not in the panel"):
        inference.placebos(panel, exposure, 2013, placebo_origins=("BRA",))
    loo = inference.leave_one_out(panel, exposure, 2013)
    assert loo.dropped.tolist() == dests
    assert (loo.estimate - 0.6).abs().max() < 0.2
    by_origin = inference.leave_one_out(panel, exposure, 2013, treated="D1", by="origin")
    assert len(by_origin) == len(origins) and by_origin.estimate.notna().sum() >= 4


# --------------------------------------------------------------------------- power


def _analytic_power(effect, mean=100.0, pre=3, post=3):
    # DiD of two origins in one destination: var = sum of 1/expected cell totals
    sd = math.sqrt(1 / (post * mean * math.exp(effect)) + 1 / (pre * mean) + 1 / (pre * mean)
                   + 1 / (post * mean))
    z = stats.norm.ppf(0.975)
    return stats.norm.cdf(effect / sd - z) + stats.norm.cdf(-effect / sd - z)


def test_mde_power_matches_the_analytic_power():
    rows = [(o, "JPN", t, 100, 100, False) for o in ("PHL", "THA") for t in range(2010, 2016)]
    panel = pd.DataFrame(rows, columns=list(displacement.PANEL_COLUMNS))
    exposure = pd.Series({"PHL": 1.0})
    # no small-sample factor, so the Wald test is the asymptotic one the formula describes
    out = inference.mde(panel, exposure, 2013, treated="JPN", effects=(0.15, 0.3, 0.45),
                        draws=200, seed=3, ssc=pf.ssc(k_adj=False, G_adj=False))
    for eff, power in zip(out.effect, out.power, strict=True):
        assert power == pytest.approx(_analytic_power(eff), abs=0.1), eff
    # analytic MDE ~0.33: 0.3 is under 80% power, 0.45 over
    assert out.attrs["mde"] == 0.45


def test_censor_publishes_small_counts_as_intervals():
    out = inference.censor(np.array([0, 1, 4, 5, 12]))
    assert out.value_low.tolist() == [0, 1, 1, 5, 12]
    assert out.value_high.tolist() == [0, 4, 4, 5, 12]
    assert out.censored.tolist() == [False, True, True, False, False]


# --------------------------------------------------------------------------- verdict


def test_verdict_positive_effect():
    text = inference.verdict(0.4, (0.1, 0.7), 0.3)
    assert text.startswith("Detected victims rose") and "+49%" in text
    assert "detections" in text


def test_verdict_negative_effect_is_reduction_not_deflection():
    text = inference.verdict(-0.5, (-0.9, -0.1), 0.3)
    assert "fell" in text and "not deflection" in text and "-39%" in text


def test_verdict_null_reports_the_detectable_effect():
    text = inference.verdict(0.05, (-0.3, 0.4), 0.5)
    assert text.startswith("No effect was detected") and "+65% or more" in text
    assert "not evidence of no displacement" in text
    assert "no displacement." not in text.replace("evidence of no displacement", "")


def test_verdict_null_without_power_is_uninformative():
    for mde in (math.inf, float("nan")):
        text = inference.verdict(0.05, (-2.0, 2.1), mde)
        assert "uninformative" in text and "not evidence against displacement" in text


def test_displacement_test_prints_the_mde_before_the_result():
    origins, dests = list("ABCDEF"), ["JPN", "USA", "KOR", "AUS"]
    exposure = pd.Series([1.0, 0.8, 0.5, 0.2, 0.0, 0.0], index=origins)

    def log_mu(o, d, t):
        return 2.5 + (0.5 * exposure[o] if d == "JPN" and t >= 2013 else 0.0)

    panel = _panel(origins, dests, range(2009, 2017), log_mu, 13)
    lines = []
    res = inference.displacement_test(panel, exposure, 2013, treated="JPN", effects=(0.5, 2.0),
                                      mde_draws=20, ri_draws=19, log=lines.append)
    assert lines[0].startswith("Minimum detectable effect") and "Estimate" in lines[1]
    assert lines[-1] == res["verdict"]
    assert res["mde"] in (0.5, 2.0, math.inf)
    assert res["power"].power.is_monotonic_increasing


def test_censored_method_uses_the_interval_likelihood():
    origins = [f"O{i}" for i in range(24)]
    exposure = pd.Series(1.0, index=origins[:12])
    rng = np.random.default_rng(17)
    a = {o: rng.uniform(0.8, 1.8) for o in origins}

    def log_mu(o, d, t):
        return a[o] + (0.7 * exposure.get(o, 0.0) if t >= 2013 else 0.0)

    panel = _panel(origins, ["JPN"], range(2007, 2019), log_mu, 18)
    assert panel.censored.mean() > 0.3
    cens = inference.did(panel, exposure, 2013, treated="JPN", method="censored")
    low = inference.did(panel, exposure, 2013, treated="JPN", method="lower")
    high = inference.did(panel, exposure, 2013, treated="JPN", method="upper")
    assert cens["estimate"] == pytest.approx(0.7, abs=0.15)
    # substitution is biased both ways here (lower 1.10, upper 0.48 on this draw)
    assert abs(cens["estimate"] - 0.7) < min(abs(low["estimate"] - 0.7),
                                             abs(high["estimate"] - 0.7))


def test_mde_censored_path_equals_lower_when_nothing_is_censored():
    rows = [(o, "JPN", t, 100, 100, False) for o in ("PHL", "THA") for t in range(2010, 2016)]
    panel = pd.DataFrame(rows, columns=list(displacement.PANEL_COLUMNS))
    exposure = pd.Series({"PHL": 1.0})
    kw = dict(treated="JPN", effects=(0.3,), draws=15, seed=5)
    cens = inference.mde(panel, exposure, 2013, method="censored", **kw)
    low = inference.mde(panel, exposure, 2013, method="lower", **kw)
    assert cens.power.tolist() == low.power.tolist()
    assert 0 < cens.power.iloc[0] < 1
