"""Gravity models of detected-victim flows: PPML with fixed effects and censored-Poisson EM."""

from __future__ import annotations

import argparse
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import gammaln, logsumexp

from analysis.errors import InputError

#: The fixed-effect ladder: name -> the formula's fixed-effect part.
LADDER = {"o+d+t": "origin + destination + year",
          "ot+dt": "origin^year + destination^year",
          "ot+dt+pair": "origin^year + destination^year + pair"}
#: The out-of-sample spec: year effects cannot be carried to unseen years, so a linear trend.
OOS_FE = "pair"
OOS_COVARIATES = ("wdi", "stock")
OOS_SPEC = "oos: pair FE + linear year trend"
SE_NOTE = ("standard errors: pair-clustered (CRV1) sandwich whose bread is the observed "
           "information of the censored likelihood (Louis 1982: the complete-data "
           "information minus Var[Y | interval] for censored cells), with pyfixest's "
           "small-sample factor; the M-step's own errors, which treat the E-step's expected "
           "counts as data, are in se_m_step and are too small when many cells are censored")
_Y = "_y_em"


class GravityError(InputError):
    """A model that cannot be estimated as asked (singular design, no convergence)."""


def _error(problem: str, fix: str) -> GravityError:
    return GravityError(file="gravity model", problem=problem, fix=fix)


@dataclass
class CensoredFit:
    """A Poisson fit where interval-censored counts enter through their likelihood.

    Attributes:
        coef: Estimates by term.
        se: Standard errors by term (see ``se_note``).
        se_m_step: The final M-step's standard errors (ignore the censoring's information
            loss).
        se_model: Non-robust standard errors from the observed information.
        n_obs: Observations used in the final fit.
        n_dropped: Observations dropped by separation (checks ``fe`` and ``ir``).
        iterations: EM map evaluations (each is one ``fepois`` fit).
        converged: Whether the EM reached ``tol``.
        fitted: Fitted means aligned with the input's index; NaN for dropped rows.
        model: The last pyfixest model (the M-step at the EM fixed point).
        loglik: The observed-data (censored Poisson) log-likelihood at the estimate.
        se_note: How the standard errors were computed and what they ignore.
        note: What the model does and does not identify, where that needs saying.
    """

    coef: pd.Series
    se: pd.Series
    n_obs: int
    n_dropped: int
    iterations: int
    converged: bool
    fitted: pd.Series
    model: object
    loglik: float
    se_note: str = SE_NOTE
    note: str = ""
    se_m_step: pd.Series | None = None
    se_model: pd.Series | None = None
    fml: str = ""
    data: pd.DataFrame | None = field(default=None, repr=False)

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Return term, estimate, std_error, ci_low, ci_high (normal intervals)."""
        from scipy.stats import norm

        z = norm.ppf(0.5 + level / 2)
        return pd.DataFrame({"term": self.coef.index, "estimate": self.coef.to_numpy(),
                             "std_error": self.se.to_numpy(),
                             "ci_low": (self.coef - z * self.se).to_numpy(),
                             "ci_high": (self.coef + z * self.se).to_numpy()})


# --------------------------------------------------------------------------- one PPML fit


def _rhs(fml: str) -> str:
    """Return the formula's right-hand side (the caller sets the left-hand side)."""
    return fml.split("~", 1)[1].strip() if "~" in fml else fml.strip()


def _fe_codes(frame: pd.DataFrame, fml: str) -> list[np.ndarray]:
    """Return integer codes of each fixed effect in the formula (``a^b``: a x b)."""
    if "|" not in fml:
        return []
    codes = []
    for part in fml.split("|")[1].split("+"):
        cols = [c.strip() for c in part.split("^")]
        key = frame[cols[0]].astype(str)
        for col in cols[1:]:
            key = key + "\x1f" + frame[col].astype(str)
        codes.append(pd.factorize(key)[0])
    return codes


def _prune_separated(y: np.ndarray, codes: list[np.ndarray]) -> np.ndarray:
    """Return the rows left after iteratively dropping fixed-effect groups with zero outcome.

    This is pyfixest's ``fe`` separation rule, iterated until nothing changes. Doing it
    here first is cheap (bincount) and spares pyfixest's ``ir`` check, which scales
    with the zeros it is given (28 s -> 1.3 s on the GLOTIP panel).
    """
    keep = np.isfinite(y)
    while True:
        before = int(keep.sum())
        for code in codes:
            sums = np.bincount(code, weights=np.where(keep, y, 0.0), minlength=code.max() + 1)
            keep &= sums[code] > 0
        if int(keep.sum()) == before:
            return np.flatnonzero(keep)


def fepois(frame: pd.DataFrame, fml: str, vcov="iid", separation=("fe", "ir"),
           iwls_tol: float = 1e-10) -> tuple[object, np.ndarray, int]:
    """One pyfixest PPML fit; separated rows dropped first; separation warnings silenced.

    Args:
        frame: Data with a 0..n-1 index (pyfixest reports kept rows by position).
        fml: A full pyfixest formula.
        vcov: pyfixest's vcov argument.
        separation: Separation checks (pyfixest ``separation_check``); with ``fe``, groups
            with an all-zero outcome are pruned before pyfixest sees the data.
        iwls_tol: IRLS tolerance (tighter than pyfixest's 1e-8 so EM steps are smooth).

    Returns:
        The model, the positions of the rows it used, and the rows dropped by separation.

    Raises:
        GravityError: pyfixest cannot estimate the model (e.g. every regressor absorbed).
    """
    import pyfixest as pf

    yname = fml.split("~", 1)[0].strip()
    n_input = len(frame)
    rows = np.arange(n_input)
    if "fe" in separation:
        rows = _prune_separated(frame[yname].to_numpy(dtype=float), _fe_codes(frame, fml))
        frame = frame.iloc[rows].reset_index(drop=True)
    pruned = n_input - len(rows)
    demeaner = _demeaner(len(fml.split("|")[1].split("+")) if "|" in fml else 0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = pf.fepois(fml, data=frame, vcov=vcov, separation_check=list(separation),
                              iwls_tol=iwls_tol, iwls_maxiter=100, copy_data=False,
                              demeaner=demeaner)
    except (ValueError, np.linalg.LinAlgError, KeyError) as exc:
        if "Demeaning failed" in str(exc):
            raise _error(f"pyfixest's fixed-effect demeaning did not converge for '{fml}' "
                         f"({type(demeaner).__name__}, {len(frame):,} rows): {exc}",
                         "drop one set of fixed effects, or fit a smaller sample") from exc
        raise _error(f"pyfixest could not fit '{fml}': {exc}",
                     "check that the regressors vary within the fixed effects and that the "
                     "sample is not empty") from exc
    kept = rows[np.asarray(model._data.index, dtype=np.int64)]
    return model, kept, pruned + int(model.n_separation_na or 0)


def _demeaner(n_fe: int):
    """Pick pyfixest's demeaner: tightened MAP for up to two sets of effects, else LSMR.

    pyfixest's default MAP tolerance (1e-6) is too loose for smooth EM steps. On the sparse
    GLOTIP panel, MAP's alternating projections stall on the three-way origin^year +
    destination^year + pair design (no convergence in 100,000 sweeps); pyfixest's built-in
    LSMR solver (``within`` backend, diagonal preconditioner) fits it in seconds.
    """
    from pyfixest.demeaners import LsmrDemeaner, MapDemeaner

    if n_fe <= 2:
        return MapDemeaner(fixef_tol=1e-10, fixef_maxiter=20_000)
    return LsmrDemeaner(backend="within", preconditioner="diagonal", fixef_atol=1e-10,
                        fixef_btol=1e-10, fixef_maxiter=5_000)


def _fitted(model, n: int, kept: np.ndarray) -> np.ndarray:
    mu = np.full(n, np.nan)
    mu[kept] = np.asarray(model._Y_hat_response, dtype=float).ravel()
    return mu


# --------------------------------------------------------------------------- censored EM


def truncated_mean(mu: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """E[Y | low <= Y <= high] for Y ~ Poisson(mu), integer bounds, vectorised.

    Args:
        mu: Poisson means (> 0).
        low: Lower bounds (inclusive).
        high: Upper bounds (inclusive), same length.

    Returns:
        The conditional means, each within [low, high].
    """
    width = int(np.max(high - low)) + 1 if len(mu) else 1
    k = low[:, None] + np.arange(width)[None, :]
    valid = k <= high[:, None]
    logp = np.where(valid, k * np.log(mu)[:, None] - gammaln(k + 1), -np.inf)
    w = np.exp(logp - logsumexp(logp, axis=1, keepdims=True))
    return (w * k).sum(axis=1)


def truncated_var(mu: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Var[Y | low <= Y <= high] for Y ~ Poisson(mu): the information censoring removes."""
    width = int(np.max(high - low)) + 1 if len(mu) else 1
    k = low[:, None] + np.arange(width)[None, :]
    logp = np.where(k <= high[:, None], k * np.log(mu)[:, None] - gammaln(k + 1), -np.inf)
    w = np.exp(logp - logsumexp(logp, axis=1, keepdims=True))
    mean = (w * k).sum(axis=1)
    return (w * k**2).sum(axis=1) - mean**2


def censored_loglik(mu: np.ndarray, low: np.ndarray, high: np.ndarray) -> float:
    """Observed-data Poisson log-likelihood: exact cells P(Y=y), censored P(low<=Y<=high)."""
    exact = low == high
    ll = float(np.sum(low[exact] * np.log(np.where(mu[exact] > 0, mu[exact], 1.0))
                      - mu[exact] - gammaln(low[exact] + 1)))
    cen = ~exact
    if cen.any():
        width = int(np.max(high[cen] - low[cen])) + 1
        k = low[cen][:, None] + np.arange(width)[None, :]
        logp = np.where(k <= high[cen][:, None],
                        k * np.log(mu[cen])[:, None] - mu[cen][:, None] - gammaln(k + 1),
                        -np.inf)
        ll += float(np.sum(logsumexp(logp, axis=1)))
    return ll


class _EMMap:
    """The EM map on the censored cells' pseudo-counts: fit, then take E[Y | bounds, mu].

    Separation is checked (``fe`` and ``ir``) once, on the first fit: censored cells are
    positive at every step, so the dropped set cannot change, and later M-steps refit only
    the kept rows (the ``ir`` check is the costly part of a fit).
    """

    def __init__(self, frame: pd.DataFrame, fml: str, low: np.ndarray, high: np.ndarray):
        self.frame, self.fml = frame, f"{_Y} ~ {_rhs(fml)}"
        self.low, self.high = low, high
        self.cens = np.flatnonzero(low < high)
        self.calls = 0
        self.rows: np.ndarray | None = None
        self.sub: pd.DataFrame | None = None
        self.n_separated = 0

    def fit(self, y: np.ndarray, vcov="iid") -> tuple[object, np.ndarray]:
        """Fit pseudo-counts ``y`` (full length); return the model and the rows it used."""
        self.calls += 1
        if self.rows is None:
            self.frame[_Y] = y
            model, kept, self.n_separated = fepois(self.frame, self.fml, vcov=vcov)
            self.rows = kept
            self.sub = self.frame.iloc[kept].reset_index(drop=True)
            return model, kept
        self.sub[_Y] = y[self.rows]
        model, kept, extra = fepois(self.sub, self.fml, vcov=vcov, separation=("fe",))
        rows = self.rows[kept]
        if len(kept) < len(self.sub):  # rows the ir check dropped left groups to settle
            self.n_separated += extra
            self.rows, self.sub = rows, self.sub.iloc[kept].reset_index(drop=True)
        return model, rows

    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, float, object, np.ndarray]:
        y = self.low.astype(float)
        y[self.cens] = x
        model, kept = self.fit(y)
        mu = _fitted(model, len(y), kept)
        ok = np.isfinite(mu)
        ll = censored_loglik(mu[ok], self.low[ok], self.high[ok])
        mc = mu[self.cens]
        nxt = x.copy()
        good = np.isfinite(mc)  # a censored row dropped (e.g. missing regressor) keeps x
        nxt[good] = truncated_mean(mc[good], self.low[self.cens][good],
                                   self.high[self.cens][good])
        return nxt, ll, model, kept


def _squarem(em: _EMMap, x: np.ndarray, tol: float, max_iter: int):
    """SQUAREM (Varadhan and Roland 2008, scheme S3) with a likelihood safeguard."""
    lo, hi = em.low[em.cens].astype(float), em.high[em.cens].astype(float)
    x1, ll, model, kept = em(x)
    while em.calls < max_iter:
        if np.max(np.abs(x1 - x)) < tol:
            return x1, ll, model, kept, True
        x2, ll2, model2, kept2 = em(x1)
        r, v = x1 - x, x2 - 2 * x1 + x
        alpha = -np.sqrt(r @ r) / np.sqrt(v @ v) if v @ v > 0 else -1.0
        alpha = min(alpha, -1.0)  # -1 is the plain EM double step
        xa = np.clip(x - 2 * alpha * r + alpha**2 * v, lo, hi)
        x_new, ll_new, model_new, kept_new = em(xa)
        if ll_new < ll2 - 1e-9 * abs(ll2):  # the extrapolation overshot: keep the EM step
            x, (x1, ll, model, kept) = x2, em(x2)
        else:
            x, x1, ll, model, kept = xa, x_new, ll_new, model_new, kept_new
    return x1, ll, model, kept, bool(np.max(np.abs(x1 - x)) < tol)


def _prepare(data: pd.DataFrame, low: str, high: str) -> tuple[pd.DataFrame, np.ndarray,
                                                                  np.ndarray]:
    for col in (low, high):
        if col not in data.columns:
            raise InputError("panel", f"no column {col!r}", "pass the panel's bound columns",
                             column=col)
    lo, hi = data[low].to_numpy(), data[high].to_numpy()
    bad = (lo < 0) | (hi < lo) | ~np.isfinite(lo.astype(float)) | (lo != np.round(lo))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError("panel", f"{int(bad.sum())} row(s) with bounds that are not counts "
                         f"0 <= {low} <= {high}", "fix the bounds", row=first + 2, column=low)
    return data.reset_index(drop=True).copy(), lo.astype(np.int64), hi.astype(np.int64)


def fit_censored(data: pd.DataFrame, fml: str, *, low: str = "value_low",
                 high: str = "value_high", vcov=None, tol: float = 1e-8,
                 max_iter: int = 500) -> CensoredFit:
    """PPML with fixed effects where interval-censored counts enter through their likelihood.

    EM: the E-step replaces each censored count by E[Y | low <= Y <= high, mu_hat] (for
    GLOTIP ``<5`` that is 1-4: a published censored cell is positive; the reference
    simulation used 0-4), the M-step refits ``pyfixest.fepois`` on those pseudo-counts (the
    complete-data Poisson likelihood is linear in y). SQUAREM accelerates the fixed point.
    Uncensored data take one fit. Standard errors: see :data:`SE_NOTE`.

    Args:
        data: One row per cell with the bounds and the formula's variables.
        fml: A pyfixest formula; its left-hand side is ignored (the bounds are the outcome).
        low: Column with the lower bound (equals ``high`` for exact counts).
        high: Column with the upper bound.
        vcov: pyfixest vcov for the final fit (default pair-clustered ``{"CRV1": "pair"}``).
        tol: Convergence: largest change of a censored cell's expected count.
        max_iter: Most ``fepois`` fits the EM may use.

    Returns:
        The :class:`CensoredFit`.

    Raises:
        InputError: Bounds that are not counts.
        GravityError: The model cannot be fitted, or the EM did not converge.
    """
    vcov = {"CRV1": "pair"} if vcov is None else vcov
    frame, lo, hi = _prepare(data, low, high)
    em = _EMMap(frame, fml, lo, hi)
    x0 = (lo[em.cens] + hi[em.cens]) / 2.0
    if len(em.cens):
        x, ll, model, kept, converged = _squarem(em, x0, tol, max_iter)
        if not converged:
            raise _error(f"the censored-Poisson EM did not converge in {max_iter} fits "
                         f"(tol {tol:g})", "raise max_iter, loosen tol, or simplify the "
                         "fixed effects")
    else:
        x, converged = x0, True
    y = lo.astype(float)
    y[em.cens] = x
    model, kept = em.fit(y, vcov=vcov)  # the final M-step, with the asked vcov
    fit = _result(model, kept, data, frame, lo, hi, em.calls, converged, fml, em.n_separated)
    if len(em.cens):
        _louis(fit, frame.iloc[kept], y[kept], lo[kept], hi[kept], vcov)
    else:  # no censored cell: nothing is lost, the M-step's errors are the answer
        fit.se_m_step = fit.se.copy()
    return fit


def _louis(fit: CensoredFit, used: pd.DataFrame, y: np.ndarray, lo: np.ndarray,
           hi: np.ndarray, vcov) -> None:
    """Replace the M-step's errors by ones built on the observed information.

    At the EM fixed point the scores are the M-step's (the pseudo-counts are E[Y | data]),
    so only the bread changes: complete-data weights mu become mu - Var[Y | interval].
    pyfixest's small-sample factor is recovered by recomputing its own sandwich.
    """
    from pyfixest.estimation.internals.demean_ import dispatch_demean

    model = fit.model
    mu = fit.fitted.to_numpy()[np.isfinite(fit.fitted.to_numpy())]
    cens = lo < hi
    info = mu.copy()
    info[cens] -= truncated_var(mu[cens], lo[cens], hi[cens])
    X = used[list(fit.coef.index)].to_numpy(dtype=float)
    flist = np.asarray(model._fe, dtype=np.uint64)
    demeaner = _demeaner(flist.shape[1])
    resid = y - mu
    cluster = None
    if isinstance(vcov, dict):
        name = next(iter(vcov.values()))
        if name not in used.columns:  # e.g. two-way clustering: keep the M-step's errors
            fit.se_m_step = fit.se.copy()
            fit.se_note = ("standard errors: the final M-step's (treat the E-step's expected "
                           "counts as data; too small when many cells are censored)")
            return
        cluster = pd.factorize(used[name].astype(str))[0]
    elif str(vcov).lower() != "iid":  # heteroskedasticity-robust: each row its own cluster
        cluster = np.arange(len(used))

    def sandwich(weights):
        xt = dispatch_demean(X, flist, weights, demeaner)[0]
        bread = np.linalg.inv(xt.T @ (xt * weights[:, None]))
        scores = xt * resid[:, None]
        if cluster is None:  # non-robust: the information itself
            return bread, bread
        sums = np.zeros((cluster.max() + 1, X.shape[1]))
        np.add.at(sums, cluster, scores)
        return bread @ (sums.T @ sums) @ bread, bread

    complete, _ = sandwich(mu)
    observed, model_based = sandwich(info)
    factor = np.diag(np.asarray(model._vcov)) / np.diag(complete)
    fit.se_m_step = fit.se.copy()
    fit.se = pd.Series(np.sqrt(np.diag(observed) * factor), index=fit.coef.index)
    fit.se_model = pd.Series(np.sqrt(np.diag(model_based)), index=fit.coef.index)


def _result(model, kept, data, frame, lo, hi, calls, converged, fml, n_separated
            ) -> CensoredFit:
    coef, se = model.coef().copy(), model.se().copy()
    coef.index.name = se.index.name = "term"
    if len(coef) == 0 or not np.all(np.isfinite(se)):
        raise _error(f"no identified coefficient in '{fml}' (all absorbed or singular)",
                     "drop regressors that do not vary within the fixed effects")
    mu = _fitted(model, len(frame), kept)
    ok = np.isfinite(mu)
    return CensoredFit(coef=coef, se=se, n_obs=int(model._N),
                       n_dropped=n_separated, iterations=calls,
                       converged=converged, fitted=pd.Series(mu, index=data.index),
                       model=model, loglik=censored_loglik(mu[ok], lo[ok], hi[ok]), fml=fml,
                       data=frame)


def fit_bounds(data: pd.DataFrame, fml: str, *, low: str = "value_low",
               high: str = "value_high", vcov=None) -> pd.DataFrame:
    """Substitution bounds: censored cells set to their lower, then their upper bound.

    These are bounds for reading, not estimates: substitution is biased either way (the
    censored-likelihood fit is :func:`fit_censored`).

    Returns:
        term, substitution (``low``/``high``), estimate, std_error, ci_low, ci_high, n_obs,
        n_dropped.
    """
    vcov = {"CRV1": "pair"} if vcov is None else vcov
    frame, lo, hi = _prepare(data, low, high)
    rows = []
    for name, y in (("low", lo), ("high", hi)):
        frame[_Y] = y.astype(float)
        model, kept, n_sep = fepois(frame, f"{_Y} ~ {_rhs(fml)}", vcov=vcov)
        fit = _result(model, kept, data, frame, y, y, 1, True, fml, n_sep)
        rows.append(fit.tidy().assign(substitution=name, n_obs=fit.n_obs,
                                      n_dropped=fit.n_dropped))
    out = pd.concat(rows, ignore_index=True)
    return out[["term", "substitution", "estimate", "std_error", "ci_low", "ci_high", "n_obs",
                "n_dropped"]]


# --------------------------------------------------------------------------- ladder


def _frame(panel) -> pd.DataFrame:
    return panel.data if hasattr(panel, "data") and not isinstance(panel, pd.DataFrame) \
        else panel


def ladder(panel, terms: list[str], censoring: str = "em") -> pd.DataFrame:
    """Fit the fixed-effect ladder: o + d + t; o^t + d^t; o^t + d^t + pair.

    Monadic regressors are absorbed by origin-year and destination-year effects; pyfixest
    drops them, and they are then absent from that rung's rows.

    Args:
        panel: A :class:`analysis.panel.Panel` or its data frame.
        terms: Regressors.
        censoring: ``em`` (censored likelihood), ``low`` or ``high`` (substitution bound).

    Returns:
        spec, term, estimate, std_error, ci_low, ci_high, n_obs, n_dropped (separation). A
        rung that cannot be fitted has one ``(not estimated)`` row and its reason in
        ``attrs["errors"]``.
    """
    data = _frame(panel)
    if censoring not in ("em", "low", "high"):
        raise InputError("ladder", f"unknown censoring {censoring!r}", "use em, low or high")
    rows, errors = [], {}
    for spec, fe in LADDER.items():
        fml = f"y ~ {' + '.join(terms)} | {fe}"
        try:
            tidy = _rung(data, fml, censoring)
        except GravityError as exc:  # one rung that cannot be fitted must not hide the others
            errors[spec] = str(exc)
            tidy = pd.DataFrame({"term": ["(not estimated)"], "n_obs": [0], "n_dropped": [0]})
        rows.append(tidy.assign(spec=spec))
    out = pd.concat(rows, ignore_index=True).reindex(columns=[
        "spec", "term", "estimate", "std_error", "ci_low", "ci_high", "n_obs", "n_dropped"])
    out.attrs["errors"] = errors
    return out


def _rung(data: pd.DataFrame, fml: str, censoring: str) -> pd.DataFrame:
    if censoring == "em":
        fit = fit_censored(data, fml)
        return fit.tidy().assign(n_obs=fit.n_obs, n_dropped=fit.n_dropped)
    b = fit_bounds(data, fml)
    return b[b.substitution == censoring].drop(columns="substitution")


def separation(panel, terms: list[str]) -> pd.DataFrame:
    """Observations dropped by separation per ladder rung: pyfixest's ``fe`` vs ``fe+ir``.

    Returns:
        spec, dropped_fe, dropped_fe_ir (outcome: the upper bound, so censored cells count
        as positive either way); NaN where the rung cannot be fitted.
    """
    frame = _frame(panel).reset_index(drop=True).copy()
    frame[_Y] = frame["value_high"].astype(float)
    rows = []
    for spec, fe in LADDER.items():
        fml = f"{_Y} ~ {' + '.join(terms)} | {fe}"
        counts = {}
        for name, checks in (("dropped_fe", ("fe",)), ("dropped_fe_ir", ("fe", "ir"))):
            try:
                counts[name] = fepois(frame, fml, separation=checks)[2]
            except GravityError:  # the fit failed after the checks: no count to report
                counts[name] = np.nan
        rows.append({"spec": spec, **counts})
    return pd.DataFrame(rows)


ROOT_CAUSE_NOTE = (
    "Fixed effects origin^year + destination. Identified: the distance, colonial, language "
    "and contiguity gradients (across destinations), and the income gap, migrant network "
    "and protection index from within-destination changes over time (all one-year lags). "
    "Not identified: a destination's protection separately from its detection effort. "
    "Detection effort varies by destination and year and is not absorbed here (destination^"
    "year effects would absorb protection itself), so the protection coefficient mixes "
    "protection with detection. Outcomes are detected victims, not prevalence. Log "
    "regressors give elasticities; protection (0-100) gives a semi-elasticity per point.")


def root_causes(panel, terms: tuple[str, ...] = ("ln_gdppc_ratio", "ln_stock", "ln_dist",
                                                 "protection")) -> CensoredFit:
    """One root-cause model: income gap, migrant network, distance, protection.

    Args:
        panel: A panel with the covariates joined (:func:`analysis.panel.build`).
        terms: Regressors; the defaults are the design's four.

    Returns:
        The censored-Poisson fit; ``tidy()`` gives elasticities and intervals, ``note``
        says what is and is not identified.
    """
    data = _frame(panel)
    missing = [t for t in terms if t not in data.columns]
    if missing:
        raise InputError("panel", f"covariate(s) not joined: {', '.join(missing)}",
                         "build the panel with those covariate tables", column=missing[0])
    sample = data.dropna(subset=list(terms))
    fit = fit_censored(sample, f"y ~ {' + '.join(terms)} | origin^year + destination")
    fit.note = ROOT_CAUSE_NOTE
    return fit


# --------------------------------------------------------------------------- prediction


def predict(fit: CensoredFit, new_panel: pd.DataFrame) -> pd.DataFrame:
    """Predict expected detections for pairs and years, with unseen levels made explicit.

    Only models whose fixed effects do not involve the year can be carried to new years
    (the out-of-sample spec uses pair effects and a linear trend). A pair seen in fitting
    gets exp(x'b + its effect); a pair that was all-zero in fitting was dropped by
    separation and its maximum-likelihood mean is 0; a pair never seen gets NaN.

    Args:
        fit: A :class:`CensoredFit`.
        new_panel: Rows with the fixed-effect columns and regressors.

    Returns:
        ``predicted`` and ``basis`` (``fitted pair``, ``separated (0 in fit years)``,
        ``unseen pair``, ``missing regressor``), aligned with ``new_panel.index``.
    """
    model = fit.model
    fes = [f.strip() for f in fit.fml.split("|")[1].split("+")] if "|" in fit.fml else []
    if any("^" in f or f == "year" for f in fes):
        raise _error("year or year-interacted fixed effects cannot be predicted to new years",
                     "predict with a spec of pair/origin/destination effects and a trend")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        effects = model.fixef()
    eta = np.zeros(len(new_panel))
    xs = new_panel.reindex(columns=list(fit.coef.index)).to_numpy(dtype=float)
    eta += xs @ fit.coef.to_numpy()
    seen = np.ones(len(new_panel), dtype=bool)
    for fe in fes:
        table = pd.Series(effects[f"C({fe})"])
        table.index = table.index.astype(str)
        vals = new_panel[fe].astype(str).map(table).to_numpy(dtype=float)
        seen &= np.isfinite(vals)
        eta += np.nan_to_num(vals)
    fitted_levels = set(fit.data[fes[0]].astype(str)) if fes else set()
    in_fit = new_panel[fes[0]].astype(str).isin(fitted_levels).to_numpy() if fes else seen
    basis = np.where(~np.isfinite(xs).all(axis=1), "missing regressor",
                     np.where(seen, "fitted pair",
                              np.where(in_fit, "separated (0 in fit years)", "unseen pair")))
    pred = np.where(basis == "fitted pair", np.exp(eta),
                    np.where(basis == "separated (0 in fit years)", 0.0, np.nan))
    return pd.DataFrame({"predicted": pred, "basis": basis}, index=new_panel.index)


# --------------------------------------------------------------------------- out of sample



def _years(text: str | tuple[int, int], what: str) -> tuple[int, int]:
    if isinstance(text, tuple | list):
        a, b = int(text[0]), int(text[1])
    else:
        parts = str(text).split("-")
        if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            raise InputError(what, f"not a year range: {text!r}", "write it as A-B, e.g. "
                             "2007-2015")
        a, b = int(parts[0]), int(parts[1])
    if a > b:
        raise InputError(what, f"the range {a}-{b} runs backwards", "write the earlier year "
                         "first")
    return a, b


def _oos_panel(data_dir: Path, fit: tuple[int, int], pred: tuple[int, int],
               covariates: tuple[str, ...] = OOS_COVARIATES):
    from analysis import flows, panel

    data_dir = Path(data_dir)
    if not (data_dir / "flows.csv").exists():
        raise InputError(str(data_dir), "no flows.csv in this data folder",
                         "ingest a source into it first: python -m analysis ingest glotip "
                         f"FILE --data-dir {data_dir}")
    if not (fit[1] < pred[0] or pred[1] < fit[0]):
        raise InputError("--fit-years/--predict-years", f"fit years {fit[0]}-{fit[1]} and "
                         f"predict years {pred[0]}-{pred[1]} overlap", "use disjoint ranges")
    table = flows.load(data_dir)
    table = table[table.year.between(*fit) | table.year.between(*pred)]
    cov = panel.load_covariates(data_dir, covariates)
    built = panel.build(table, cov)
    d = built.data.assign(year_trend=built.data.year - fit[0])
    for years, what in ((fit, "--fit-years"), (pred, "--predict-years")):
        if not d.year.between(*years).any():
            raise InputError(what, f"no reporting destination-year in {years[0]}-{years[1]}",
                             "choose years the flows table covers")
    terms = ["year_trend"] + [c for k in cov for c in panel.COVARIATE_COLUMNS[k]]
    return d[d.year.between(*fit)], d[d.year.between(*pred)], terms


def _fit_oos(fit_rows: pd.DataFrame, terms: list[str]) -> CensoredFit:
    sample = fit_rows.dropna(subset=terms)
    return fit_censored(sample, f"y ~ {' + '.join(terms)} | {OOS_FE}")


def oos(data_dir, fit_years, predict_years, out,
        covariates: tuple[str, ...] = OOS_COVARIATES) -> dict[str, Path]:
    """Fit on some years, predict every reporting pair in later (or earlier) years.

    Spec: PPML with pair effects (they nest origin and destination effects), a linear year
    trend and the lagged covariates whose tables are in the data folder; censored cells by
    the censored-Poisson EM. Fitting never sees the predict years. Writes
    ``coefficients.csv`` and ``predictions.csv`` atomically (both or neither).

    Args:
        data_dir: Folder with flows.csv (and optional covariate tables).
        fit_years: (first, last) or "A-B".
        predict_years: (first, last) or "A-B", disjoint from the fit years.
        out: Output folder (created).
        covariates: Covariate tables to use when present (``wdi``, ``stock``); a cell whose
            covariate is unknown gets no prediction (basis ``missing regressor``).

    Returns:
        Paths of the two files.
    """
    fit_y, pred_y = _years(fit_years, "--fit-years"), _years(predict_years, "--predict-years")
    fit_rows, pred_rows, terms = _oos_panel(Path(data_dir), fit_y, pred_y, covariates)
    fit = _fit_oos(fit_rows, terms)
    coefs = fit.tidy().assign(spec=OOS_SPEC, n_obs=fit.n_obs)[
        ["spec", "term", "estimate", "std_error", "ci_low", "ci_high", "n_obs"]]
    pred = predict(fit, pred_rows)
    preds = pred_rows[["origin", "destination", "year"]].assign(**pred)
    return _write_all(Path(out), {"coefficients.csv": coefs, "predictions.csv": preds})


def _write_all(out: Path, tables: dict[str, pd.DataFrame]) -> dict[str, Path]:
    """Write every table to a temp file first, then move them all into place."""
    out.mkdir(parents=True, exist_ok=True)
    temps = {}
    try:
        for name, table in tables.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=out)
            with os.fdopen(fd, "w", newline="") as fh:
                table.to_csv(fh, index=False)
            temps[name] = tmp
    except BaseException:
        for tmp in temps.values():
            Path(tmp).unlink(missing_ok=True)
        raise
    for name, tmp in temps.items():
        os.replace(tmp, out / name)
    return {name: out / name for name in tables}


def poisson_deviance(y: np.ndarray, mu: np.ndarray) -> float:
    """Poisson deviance 2 * sum(y log(y/mu) - (y - mu)), with 0 log 0 = 0."""
    y, mu = np.asarray(y, float), np.asarray(mu, float)
    term = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
    return float(2 * np.sum(term - (y - mu)))


def naive_baseline(fit_rows: pd.DataFrame, column: str) -> pd.Series:
    """Each pair's mean over its last three reporting years in the fit period."""
    last = fit_rows.sort_values("year").groupby("pair").tail(3)
    return last.groupby("pair")[column].mean()


def oos_deviance(data_dir, fit_years=(2007, 2015), predict_years=(2016, 2019),
                 covariates: tuple[str, ...] = OOS_COVARIATES) -> pd.DataFrame:
    """Out-of-sample Poisson deviance of the model against a naive baseline.

    Censored cells make the observed count an interval, so deviance is computed twice, with
    every censored count at its lower and at its upper bound (the baseline's means use the
    same bound). Compared on cells where both predictions are positive; cells where one
    predicts 0 and the count is positive (infinite deviance) are counted separately.

    Returns:
        One row per (bound, predictor): deviance, cells, mean deviance per cell, cells with a
        0 prediction and a positive count (excluded).
    """
    fit_y, pred_y = _years(fit_years, "fit years"), _years(predict_years, "predict years")
    fit_rows, pred_rows, terms = _oos_panel(Path(data_dir), fit_y, pred_y, covariates)
    model = predict(_fit_oos(fit_rows, terms), pred_rows)["predicted"].to_numpy()
    rows = []
    for bound in ("value_low", "value_high"):
        base = pred_rows.pair.map(naive_baseline(fit_rows, bound)).to_numpy(dtype=float)
        y = pred_rows[bound].to_numpy(dtype=float)
        both = np.isfinite(model) & np.isfinite(base)
        pos = both & (model > 0) & (base > 0)
        for name, mu in (("model", model), ("naive last-3-years mean", base)):
            impossible = int(np.sum(both & (mu == 0) & (y > 0)))
            dev = poisson_deviance(y[pos], mu[pos])
            rows.append({"bound": bound.removeprefix("value_"), "predictor": name,
                         "deviance": dev, "cells": int(pos.sum()),
                         "deviance_per_cell": dev / max(int(pos.sum()), 1),
                         "zero_prediction_positive_count": impossible})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- command line


def cli_configure(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``gravity`` command's arguments to a (sub)parser."""
    parser.add_argument("--data-dir", type=Path, required=True,
                        help="folder with flows.csv (and optional covariate tables)")
    parser.add_argument("--fit-years", required=True, help="years to fit on, e.g. 2007-2015")
    parser.add_argument("--predict-years", required=True,
                        help="years to predict, e.g. 2016-2019 (disjoint from the fit years)")
    parser.add_argument("--out", type=Path, required=True,
                        help="output folder for coefficients.csv and predictions.csv")
    return parser


def cli_run(args: argparse.Namespace) -> int:
    """Run the out-of-sample check from parsed arguments; InputError on bad input."""
    data_dir = Path(args.data_dir)
    if not data_dir.is_dir():
        raise InputError(str(data_dir), "the data folder does not exist",
                         "pass --data-dir pointing at a folder with flows.csv")
    written = oos(data_dir, args.fit_years, args.predict_years, args.out)
    preds = pd.read_csv(written["predictions.csv"])
    print(f"gravity: fitted {args.fit_years}, predicted {len(preds):,} cells for "
          f"{args.predict_years} ({int(preds.predicted.notna().sum()):,} with a prediction; "
          "detected victims, not prevalence)")
    for path in written.values():
        print(f"  wrote {path}")
    return 0
