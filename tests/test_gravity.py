"""Gravity engine: censored-Poisson EM against a direct MLE, PPML checks, out-of-sample command."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from scipy.special import gammaln, logsumexp

from analysis import gravity, provenance
from analysis.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures"
FLOWS_FIXTURE = FIXTURES / "gravity_flows.csv"


def simulate(seed=1, n_o=10, n_d=6, n_t=8, beta=0.5, shift=0.7, censor=True):
    """A panel with pair and destination-year effects; counts 1-4 published as 1-4."""
    rng = np.random.default_rng(seed)
    g = pd.MultiIndex.from_product([range(n_o), range(n_d), range(n_t)],
                                   names=["origin", "destination", "year"]).to_frame(index=False)
    g["x"] = rng.normal(size=len(g))
    pair_fe, dt_fe = rng.normal(size=(n_o, n_d)) * 0.8, rng.normal(size=(n_d, n_t)) * 0.3
    mu = np.exp(shift + beta * g.x + pair_fe[g.origin, g.destination] + dt_fe[g.destination,
                                                                            g.year])
    y = rng.poisson(mu)
    g["pair"] = g.origin.astype(str) + "-" + g.destination.astype(str)
    cens = censor & (y >= 1) & (y <= 4)
    g["value_low"], g["value_high"] = np.where(cens, 1, y), np.where(cens, 4, y)
    return g


def direct_censored_mle(g: pd.DataFrame) -> float:
    """The oracle: maximise the censored-Poisson likelihood with dummies (no EM).

    Returns:
        beta for x and its standard error from the numerically differentiated observed
        information.
    """
    pairs = pd.get_dummies(g.pair, dtype=float).to_numpy()
    dt = pd.get_dummies(g.destination.astype(str) + "_" + g.year.astype(str), dtype=float)
    X = np.column_stack([g.x.to_numpy(), pairs, dt.to_numpy()[:, 1:]])  # one dt level dropped
    lo, hi = g.value_low.to_numpy(), g.value_high.to_numpy()
    cens = lo < hi
    k = np.arange(1, 5)

    def negll(theta):
        eta = X @ theta
        mu = np.exp(eta)
        ll = np.where(cens, 0.0, lo * eta - mu - gammaln(lo + 1))
        logp = k[None, :] * eta[:, None] - mu[:, None] - gammaln(k + 1)[None, :]
        lse = logsumexp(logp, axis=1)
        ll = ll + np.where(cens, lse, 0.0)
        # d ll / d eta: y - mu for exact cells, E[Y | 1..4] - mu for censored ones
        ey = (np.exp(logp - lse[:, None]) * k).sum(axis=1)
        score = np.where(cens, ey, lo) - mu
        return -ll.sum(), -(X.T @ score)

    theta0 = np.zeros(X.shape[1])
    res = minimize(negll, theta0, jac=True, method="L-BFGS-B",
                   options={"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-9})
    # observed information by central differences of the analytic gradient
    h = 1e-5
    hess = np.empty((X.shape[1], X.shape[1]))
    for j in range(X.shape[1]):
        step = np.zeros(X.shape[1])
        step[j] = h
        hess[:, j] = (negll(res.x + step)[1] - negll(res.x - step)[1]) / (2 * h)
    se = float(np.sqrt(np.linalg.inv((hess + hess.T) / 2)[0, 0]))
    return float(res.x[0]), se


def test_truncated_mean_hand_computed():
    # mu = 2, 1..4: weights 2, 2, 4/3, 2/3 (sum 6) -> (2 + 4 + 4 + 8/3) / 6
    got = gravity.truncated_mean(np.array([2.0]), np.array([1]), np.array([4]))
    assert got[0] == pytest.approx((2 + 4 + 4 + 8 / 3) / 6, abs=1e-12)


def test_em_matches_direct_censored_mle():
    g = simulate()
    assert 0.3 < (g.value_low < g.value_high).mean() < 0.7  # a heavily censored panel
    fit = gravity.fit_censored(g, "y ~ x | pair + destination^year")
    assert fit.converged
    beta, se = direct_censored_mle(g)
    assert fit.coef["x"] == pytest.approx(beta, abs=1e-3)
    # the observed-information (Louis) standard error, against the MLE's numerical Hessian
    assert fit.se_model["x"] == pytest.approx(se, rel=1e-3)
    assert fit.se["x"] > fit.se_m_step["x"]  # censoring loses information
    assert 0.3 < fit.coef["x"] < 0.7  # and near the truth 0.5
    assert fit.fitted.index.equals(g.index) and fit.fitted.notna().all()


def test_em_loglik_beats_substitution():
    g = simulate(seed=3)
    fit = gravity.fit_censored(g, "y ~ x | pair + destination^year")
    bounds = gravity.fit_bounds(g, "y ~ x | pair + destination^year")
    assert set(bounds.substitution) == {"low", "high"}
    low, high = (bounds.set_index("substitution").estimate[s] for s in ("low", "high"))
    # setting <5 to 1 inflates beta, to 4 deflates it; the censored fit lies between
    assert high < fit.coef["x"] < low


def test_ppml_recovers_beta_uncensored():
    g = simulate(seed=7, n_o=20, n_d=10, n_t=10, censor=False)
    fit = gravity.fit_censored(g, "y ~ x | pair + destination^year")
    assert fit.iterations == 1 and fit.n_obs == len(g)
    assert abs(fit.coef["x"] - 0.5) < 4 * fit.se["x"]
    assert abs(fit.coef["x"] - 0.5) < 0.05


def test_pyfixest_agrees_with_statsmodels_glm_dummies():
    import statsmodels.api as sm

    g = simulate(seed=11, censor=False)
    fit = gravity.fit_censored(g, "y ~ x | pair + destination^year")
    dt = g.destination.astype(str) + "_" + g.year.astype(str)
    pairs = pd.get_dummies(g.pair, dtype=float)
    pairs = pairs.loc[:, ~pairs.columns.str.startswith("0-")]  # origin 0: the reference
    X = pd.concat([g[["x"]], pairs, pd.get_dummies(dt, dtype=float)], axis=1)
    assert np.linalg.matrix_rank(X.to_numpy()) == X.shape[1]
    glm = sm.GLM(g.value_low.astype(float), X, family=sm.families.Poisson()).fit(
        tol=1e-14, maxiter=200)
    assert fit.coef["x"] == pytest.approx(glm.params["x"], abs=1e-6)
    assert np.allclose(fit.fitted, glm.fittedvalues, rtol=1e-5)


def test_separated_pair_is_dropped_and_reported():
    g = simulate(seed=5, censor=False)
    allzero = g.pair == "0-0"
    g.loc[allzero, ["value_low", "value_high"]] = 0
    fit = gravity.fit_censored(g, "y ~ x | pair + destination^year")
    assert fit.n_dropped == int(allzero.sum())
    assert fit.fitted[allzero].isna().all() and fit.fitted[~allzero].notna().all()
    assert fit.n_obs == len(g) - int(allzero.sum())


def test_nonconvergence_raises():
    g = simulate(seed=2)
    with pytest.raises(gravity.GravityError, match="did not converge"):
        gravity.fit_censored(g, "y ~ x | pair + destination^year", max_iter=2)


def test_absorbed_regressor_raises():
    g = simulate(seed=2)
    g["z"] = g.destination * 10.0 + g.year  # constant within destination^year
    with pytest.raises(gravity.GravityError):
        gravity.fit_censored(g, "y ~ z | pair + destination^year")


def test_bounds_that_are_not_counts_raise():
    g = simulate(seed=2)
    g.loc[3, "value_high"] = g.loc[3, "value_low"] - 1
    with pytest.raises(InputError, match="not counts") as info:
        gravity.fit_censored(g, "y ~ x | pair")
    assert info.value.row == 5


def test_ladder_has_three_rungs():
    g = simulate(seed=4)
    out = gravity.ladder(g, ["x"])
    assert list(out.spec) == list(gravity.LADDER)
    assert (out.term == "x").all() and (out.n_obs == len(g)).all()
    assert out.estimate.between(0.3, 0.7).all()
    assert (out.ci_low < out.estimate).all() and (out.estimate < out.ci_high).all()


# --------------------------------------------------------------------------- out of sample


def simulated_flows(seed: int = 20) -> pd.DataFrame:
    """The generator of tests/fixtures/gravity_flows.csv (flows.csv layout)."""
    rng = np.random.default_rng(seed)
    origins = ["KHM", "IDN", "LAO", "MMR", "PHL", "THA", "VNM", "CHN"]
    dests = ["JPN", "DEU", "FRA", "GBR", "NLD"]
    rows = []
    pair_fe = rng.normal(size=(len(origins), len(dests)))
    for di, d in enumerate(dests):
        for t in range(2007, 2020):
            if rng.random() < 0.15:
                continue  # the destination did not report that year
            for oi, o in enumerate(origins):
                y = int(rng.poisson(np.exp(1.2 + pair_fe[oi, di] + 0.05 * (t - 2007))))
                if y == 0:
                    continue  # unpublished: a true zero inside the reporting universe
                low, high, cens = (1, 4, True) if y < 5 else (y, y, False)
                rows.append((t, o, d, "detected_victims", "total", "total", low, high, cens,
                             "glotip"))
    cols = ["year", "origin", "destination", "indicator", "sex", "age", "value_low",
            "value_high", "censored", "source"]
    return pd.DataFrame(rows, columns=cols)


def test_fixture_is_the_generator_output():
    committed = pd.read_csv(FLOWS_FIXTURE, keep_default_na=False)
    pd.testing.assert_frame_equal(committed, simulated_flows(), check_dtype=False)


def _data_dir(tmp_path: Path, table: pd.DataFrame | None = None) -> Path:
    d = tmp_path / "data"
    d.mkdir(parents=True, exist_ok=True)
    if table is None:
        shutil.copy(FLOWS_FIXTURE, d / "flows.csv")
    else:
        table.to_csv(d / "flows.csv", index=False)
    provenance.write_record(d / "flows.csv", {"source": "test fixture"})
    return d


def _args(data_dir, out, fit="2007-2014", pred="2015-2019"):
    return argparse.Namespace(data_dir=data_dir, fit_years=fit, predict_years=pred, out=out)


def test_cli_writes_coefficients_and_every_universe_pair(tmp_path):
    d = _data_dir(tmp_path)
    assert gravity.cli_run(_args(d, tmp_path / "out")) == 0
    coefs = pd.read_csv(tmp_path / "out" / "coefficients.csv")
    preds = pd.read_csv(tmp_path / "out" / "predictions.csv")
    assert list(coefs.columns) == ["spec", "term", "estimate", "std_error", "ci_low",
                                   "ci_high", "n_obs"]
    assert coefs.term.tolist() == ["year_trend"]
    assert 0.0 < coefs.estimate[0] < 0.12  # simulated trend 0.05
    flows = pd.read_csv(FLOWS_FIXTURE)
    pred_flows = flows[flows.year >= 2015]
    universe = pred_flows[["destination", "year"]].drop_duplicates()
    n_origins = flows.origin.nunique()
    assert len(preds) == len(universe) * n_origins  # no domestic pairs in the fixture
    assert set(map(tuple, preds[["destination", "year"]].drop_duplicates().to_numpy())) == \
        set(map(tuple, universe.to_numpy()))
    assert (preds.predicted.dropna() >= 0).all()


def test_fitting_never_sees_predict_years(tmp_path):
    table = pd.read_csv(FLOWS_FIXTURE, keep_default_na=False)
    gravity.oos(_data_dir(tmp_path / "a"), "2007-2014", "2015-2019", tmp_path / "a" / "out")
    poisoned = table.copy()
    late = poisoned.year >= 2015
    poisoned.loc[late, "value_low"] = poisoned.loc[late, "value_high"] = 10_000
    poisoned.loc[late, "censored"] = False
    gravity.oos(_data_dir(tmp_path / "b", poisoned), "2007-2014", "2015-2019",
                tmp_path / "b" / "out")
    a = pd.read_csv(tmp_path / "a" / "out" / "coefficients.csv")
    b = pd.read_csv(tmp_path / "b" / "out" / "coefficients.csv")
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(("fit", "pred", "match"), [
    ("2007-2015", "2014-2019", "overlap"), ("2015-2007", "2016-2019", "backwards"),
    ("2007:2015", "2016-2019", "not a year range"), ("2007-2014", "2030-2031", "no reporting")])
def test_cli_bad_years_raise_and_write_nothing(tmp_path, fit, pred, match):
    d = _data_dir(tmp_path)
    with pytest.raises(InputError, match=match):
        gravity.cli_run(_args(d, tmp_path / "out", fit, pred))
    assert not (tmp_path / "out" / "predictions.csv").exists()


def test_cli_missing_data_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        gravity.cli_run(_args(tmp_path / "nowhere", tmp_path / "out"))


def test_predict_refuses_year_effects():
    g = simulate(seed=4)
    fit = gravity.fit_censored(g, "y ~ x | pair + destination^year")
    with pytest.raises(gravity.GravityError, match="cannot be predicted"):
        gravity.predict(fit, g)


def test_poisson_deviance_hand_computed():
    # y = (0, 2), mu = (1, 1): 2 * [(0 - (0 - 1)) + (2 log 2 - (2 - 1))]
    assert gravity.poisson_deviance([0, 2], [1, 1]) == pytest.approx(2 * (1 + 2 * np.log(2) - 1))


def test_separation_report_counts_the_all_zero_pair():
    g = simulate(seed=5, censor=False)
    g["origin"], g["destination"] = g.origin.astype(str), g.destination.astype(str)
    allzero = g.pair == "0-0"
    g.loc[allzero, ["value_low", "value_high"]] = 0
    rep = gravity.separation(g, ["x"]).set_index("spec")
    # only the pair rung separates the all-zero pair; origin 0 and destination 0 have positives
    assert rep.loc["ot+dt+pair", "dropped_fe"] == int(allzero.sum())
    assert rep.loc["o+d+t", "dropped_fe"] == 0
    assert (rep.dropped_fe_ir >= rep.dropped_fe).all()


def test_ladder_substitution_matches_fit_bounds():
    g = simulate(seed=6)
    low = gravity.ladder(g, ["x"], censoring="low").set_index("spec")
    bounds = gravity.fit_bounds(g, "y ~ x | origin^year + destination^year + pair")
    assert low.loc["ot+dt+pair", "estimate"] == pytest.approx(
        bounds.set_index("substitution").estimate["low"], abs=1e-10)


def test_root_causes_returns_elasticities_and_the_identification_note():
    g = simulate(seed=8, n_o=12, n_d=8, n_t=8, censor=True)
    rng = np.random.default_rng(0)
    for col in ("ln_gdppc_ratio", "ln_stock", "ln_dist", "protection"):
        g[col] = rng.normal(size=len(g))
    fit = gravity.root_causes(g)
    assert list(fit.coef.index) == ["ln_gdppc_ratio", "ln_stock", "ln_dist", "protection"]
    assert "Not identified" in fit.note and "detection" in fit.note
    # the covariates are pure noise here: every interval should be near 0
    assert (fit.coef.abs() < 0.3).all()
    with pytest.raises(InputError, match="not joined"):
        gravity.root_causes(g.drop(columns="protection"))


def test_ladder_reports_a_rung_that_cannot_be_fitted():
    g = simulate(seed=9)
    g["z"] = g.destination * g.year * 0.01  # destination-year only, not additive in d and t
    out = gravity.ladder(g, ["z"], censoring="high")
    assert out.set_index("spec").loc["o+d+t", "term"] == "z"
    assert (out[out.spec != "o+d+t"].term == "(not estimated)").all()
    assert set(out.attrs["errors"]) == {"ot+dt", "ot+dt+pair"}


def test_three_way_fit_agrees_with_statsmodels_glm_dummies():
    import statsmodels.api as sm
    from scipy.linalg import qr

    g = simulate(seed=12, censor=False)
    fit = gravity.fit_censored(g, "y ~ x | origin^year + destination^year + pair")
    ot = g.origin.astype(str) + "_" + g.year.astype(str)
    dt = g.destination.astype(str) + "_" + g.year.astype(str)
    X = pd.concat([g[["x"]], pd.get_dummies(ot, prefix="ot", dtype=float),
                   pd.get_dummies(dt, prefix="dt", dtype=float),
                   pd.get_dummies(g.pair, prefix="p", dtype=float)], axis=1)
    # keep a full-rank set of dummies (pivoted QR), x first
    _, r, piv = qr(X.to_numpy(), pivoting=True, mode="economic")
    rank = int((np.abs(np.diag(r)) > 1e-9 * abs(r[0, 0])).sum())
    cols = X.columns[np.sort(piv[:rank])]
    assert "x" in cols
    glm = sm.GLM(g.value_low.astype(float), X[cols], family=sm.families.Poisson()).fit(
        tol=1e-14, maxiter=200)
    assert fit.coef["x"] == pytest.approx(glm.params["x"], abs=1e-6)


def test_predict_reproduces_fitted_means_and_flags_levels():
    g = simulate(seed=13)
    g.loc[g.pair == "0-0", ["value_low", "value_high"]] = 0  # separated in fitting
    fit = gravity.fit_censored(g, "y ~ x | pair")
    new = pd.concat([g, g.iloc[:2].assign(pair="99-99")], ignore_index=True)
    pred = gravity.predict(fit, new)
    seen = fit.fitted.notna().to_numpy()
    assert np.allclose(pred.predicted[: len(g)][seen], fit.fitted[seen], rtol=1e-6)
    assert (pred.basis[: len(g)][~seen] == "separated (0 in fit years)").all()
    assert (pred.predicted[: len(g)][~seen] == 0).all()
    assert (pred.basis.iloc[-2:] == "unseen pair").all() and pred.predicted.iloc[-2:].isna().all()
