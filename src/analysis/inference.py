"""Inference for one treated destination: randomization, placebos, leave-one-out, MDE, SC."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize

from analysis import countries
from analysis.displacement import DETECTIONS, _prune, _with_keys, fit
from analysis.errors import InputError

Z95 = 1.959963984540054
#: Beyond this many log points (a factor of ~22,000) a fit has diverged: quasi-separation the
#: fast ``fe`` check misses. Such an assignment carries no randomization draw.
DIVERGED = 10.0


# --------------------------------------------------------------------------- the statistic


#: Pair FE absorb each route's level, destination-year FE each destination's detection effort.
#: Adding origin-year FE (a triple difference) does not converge on the sparse GLOTIP panel.
FE = "pair + destination^year"


def _design(panel: pd.DataFrame, exposure: pd.Series, event_year: int, treated: str | None,
            destinations=None) -> pd.DataFrame:
    data = _with_keys(panel)
    if treated is not None:
        # With pair and destination-year FE only the treated destination's rows inform x:
        # the other destinations' likelihood blocks share no parameter with it.
        data = data[data.destination == treated]
    elif destinations is not None:
        data = data[data.destination.isin(list(destinations))]
    data = data.reset_index(drop=True)
    x = data.origin.map(exposure).fillna(0.0) * (data.year >= event_year)
    return data.assign(x=x.astype(float))


def did(panel: pd.DataFrame, exposure: pd.Series, event_year: int, *, treated: str | None = None,
        destinations=None, method: str = "censored", vcov="iid", separation=("fe", "ir"),
        fe: str = FE) -> dict:
    """Exposure x post PPML coefficient: the statistic the inference functions use.

    Without ``treated``: do more exposed origins' flows rise after ``event_year``, pooled
    over destinations? With ``treated``: the same comparison inside that one destination
    (its detection effort absorbed by destination-year fixed effects).

    Returns:
        estimate, se, ci_low, ci_high, n_obs (log points).
    """
    data = _design(panel, exposure, event_year, treated, destinations)
    if data.x.abs().sum() == 0:
        raise InputError("panel", "no exposed cell after the event year", "check exposure, "
                         "treated destination and years")
    try:
        coef, se, n, model = fit(data, "x", fe, vcov=vcov, method=method,
                                 separation=separation)
    except ValueError as err:  # pyfixest: demeaning did not converge, all cells separated...
        raise InputError("panel", f"the Poisson fit failed ({err})",
                         "use fewer fixed effects or more destinations/years") from err
    if "x" not in coef.index:
        raise InputError("panel", "exposure x post is collinear with the fixed effects",
                         "check that exposed origins are observed before and after the event")
    b, s = float(coef["x"]), float(se["x"])
    ok = bool(getattr(model, "_convergence", True)) and abs(b) <= DIVERGED
    return {"estimate": b, "se": s, "ci_low": b - Z95 * s, "ci_high": b + Z95 * s, "n_obs": n,
            "converged": ok}


def loop_separation(panel: pd.DataFrame, exposure: pd.Series, event_year: int, *,
                    treated=None, destinations=None, method: str = "lower") -> tuple:
    """Pick the separation check for repeated fits: ``fe`` alone when ``ir`` drops nothing more.

    The ``ir`` check costs seconds per fit; on the observed data it is run once and, if it
    removes no observation the ``fe`` check keeps, the loops use ``fe`` alone.
    """
    data = _design(panel, exposure, event_year, treated, destinations)
    n_fe = fit(data, "x", FE, method=method, separation=("fe",))[2]
    n_ir = fit(data, "x", FE, method=method)[2]
    return ("fe",) if n_fe == n_ir else ("fe", "ir")


# --------------------------------------------------------------------------- randomization


def randomization_inference(panel: pd.DataFrame, exposure: pd.Series, event_year: int, *,
                            treated: str, reassign: str = "destination", draws: int = 500,
                            seed: int = 20261130, destinations=None,
                            method: str = "lower") -> pd.DataFrame:
    """Randomization inference by reassigning the treated destination or the exposure.

    ``reassign="destination"`` enumerates every destination as the treated one (exact);
    ``reassign="exposure"`` permutes the exposure values across origins ``draws`` times.
    p-value (two-sided) = share of assignments whose |estimate| is at least the observed
    one, counting the observed assignment.

    The default statistic substitutes the lower bound for ``<5`` (fast); the test is valid
    for any statistic computed the same way on every assignment, but pass
    ``method="censored"`` to randomize the reported estimator itself.

    Returns:
        One row per assignment (assignment, estimate); ``attrs`` hold observed, p_value,
        n_assignments.
    """
    if reassign not in ("destination", "exposure"):
        raise ValueError("reassign must be 'destination' or 'exposure'")
    sep = loop_separation(panel, exposure, event_year, treated=treated,
                          destinations=destinations, method=method)
    obs = did(panel, exposure, event_year, treated=treated, destinations=destinations,
              method=method, separation=sep)["estimate"]
    rows = []
    if reassign == "destination":
        pool = sorted(set(destinations) if destinations is not None else set(panel.destination))
        for d in pool:
            rows.append({"assignment": d, "estimate": _safe(panel, exposure, event_year, d,
                                                            destinations, method, sep)})
    else:
        rng = np.random.default_rng(seed)
        origins = sorted(panel.origin.unique())
        values = exposure.reindex(origins).fillna(0.0).to_numpy()
        rows.append({"assignment": "observed", "estimate": obs})
        for i in range(draws):
            perm = pd.Series(rng.permutation(values), index=origins)
            rows.append({"assignment": f"draw {i + 1}",
                         "estimate": _safe(panel, perm, event_year, treated, destinations,
                                           method, sep)})
    out = pd.DataFrame(rows)
    valid = out.estimate.dropna()
    out.attrs.update(observed=obs, n_assignments=len(valid), separation="+".join(sep),
                     p_value=float((valid.abs() >= abs(obs) - 1e-12).mean()))
    return out


def _safe(panel, exposure, event_year, treated, destinations, method, sep) -> float:
    # An assignment with no exposed cell, or one the fit cannot identify, carries no draw.
    try:
        res = did(panel, exposure, event_year, treated=treated, destinations=destinations,
                  method=method, separation=sep)
        return res["estimate"] if res["converged"] else np.nan
    except (InputError, KeyError, ValueError, np.linalg.LinAlgError):
        return np.nan


def placebos(panel: pd.DataFrame, exposure: pd.Series, event_year: int, *, treated=None,
             placebo_years=(), placebo_origins=(), destinations=None,
             method: str = "censored") -> pd.DataFrame:
    """Placebo event years (pre-period data only) and placebo origins (no exposure channel).

    A placebo origin set gets exposure 1 (the real exposed origins are dropped, so they do
    not sit in the comparison group).

    Returns:
        kind, label, estimate, se, ci_low, ci_high, n_obs.
    """
    rows = []
    for y in placebo_years:
        if y >= event_year:
            raise InputError("placebos", f"placebo year {y} is not before {event_year}",
                             "use years before the event")
        pre = panel[panel.year < event_year]
        rows.append({"kind": "placebo year", "label": str(y),
                     **did(pre, exposure, y, treated=treated, destinations=destinations,
                           method=method)})
    if placebo_origins:
        missing = sorted(set(placebo_origins) - set(panel.origin))
        if missing:
            raise InputError("placebos", f"placebo origins not in the panel: {missing}",
                             "build the panel with these origins")
        exposed = set(exposure[exposure > 0].index)
        sub = panel[~panel.origin.isin(exposed - set(placebo_origins))]
        fake = pd.Series(1.0, index=list(placebo_origins))
        rows.append({"kind": "placebo origins", "label": "+".join(placebo_origins),
                     **did(sub, fake, event_year, treated=treated, destinations=destinations,
                           method=method)})
    return pd.DataFrame(rows)


def leave_one_out(panel: pd.DataFrame, exposure: pd.Series, event_year: int, *, treated=None,
                  destinations=None, by: str = "destination", method: str = "censored"
                  ) -> pd.DataFrame:
    """Drop one destination (pooled design) or one origin at a time and re-estimate.

    With one ``treated`` destination only its own rows inform the estimate, so drop origins
    (``by="origin"``: e.g. the Philippines against the rest).

    Returns:
        dropped, estimate, se, ci_low, ci_high, n_obs.
    """
    if by not in ("destination", "origin"):
        raise ValueError("by must be 'destination' or 'origin'")
    pool = sorted(set(destinations) if destinations is not None else set(panel.destination))
    sep = loop_separation(panel, exposure, event_year, treated=treated, destinations=pool,
                          method=method)
    units = pool if by == "destination" else sorted(panel.origin.unique())
    rows = []
    for d in units:
        if d == treated:
            continue
        keep = [k for k in pool if k != d] if by == "destination" else pool
        sub = panel if by == "destination" else panel[panel.origin != d]
        try:
            res = did(sub, exposure, event_year, treated=treated, destinations=keep,
                      method=method, separation=sep)
        except (InputError, KeyError, ValueError, np.linalg.LinAlgError):
            res = {"estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                   "n_obs": 0, "converged": False}
        rows.append({"dropped": d, **res})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- power


def censor(counts: np.ndarray, threshold: int = 5) -> pd.DataFrame:
    """Publish counts as the data do: 1 to threshold-1 becomes the interval (censored)."""
    counts = np.asarray(counts, dtype=int)
    small = (counts >= 1) & (counts < threshold)
    return pd.DataFrame({"value_low": np.where(small, 1, counts),
                         "value_high": np.where(small, threshold - 1, counts),
                         "censored": small})


def mde(panel: pd.DataFrame, exposure: pd.Series, event_year: int, *, treated=None,
        effects=(0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5), draws: int = 200, seed: int = 20261130,
        destinations=None, method: str = "lower", vcov="iid", target: float = 0.8,
        ssc=None) -> pd.DataFrame:
    """Power and minimum detectable effect by simulation under the fitted model.

    Counts are drawn from the fitted means with the estimated effect removed, times
    exp(effect) on the treated cells; ``<5`` is censored as published; the same estimator
    is refitted; a draw rejects when |estimate / se| > 1.96.

    ``vcov`` and ``ssc`` must be those of the reported result, since power is that test's;
    the default ``method="lower"`` is the fast substitution estimator (``censored`` is the
    reported one, about 20x slower).

    Returns:
        effect (log points), power, draws; ``attrs["mde"]`` is the smallest effect in
        ``effects`` with power >= ``target`` (inf when none).
    """
    data, fe = _design(panel, exposure, event_year, treated, destinations), FE
    sep = loop_separation(panel, exposure, event_year, treated=treated,
                          destinations=destinations, method=method)
    # Prune first so that row positions match the estimation sample pyfixest reports.
    data = _prune(data, fe)
    _, _, _, model = fit(data, "x", fe, vcov=vcov, method=method, separation=sep, ssc=ssc)
    kept = data.loc[model._data.index].reset_index(drop=True)
    mu0 = np.asarray(model.predict(type="response")) * np.exp(-model.coef()["x"] * kept.x)
    rng = np.random.default_rng(seed)
    rows = []
    for eff in effects:
        rejects = 0
        for _ in range(draws):
            sim = kept.drop(columns=["value_low", "value_high", "censored"]).join(
                censor(rng.poisson(mu0 * np.exp(eff * kept.x))))
            try:
                coef, se, _, _ = fit(sim, "x", fe, vcov=vcov, method=method, separation=sep,
                                     ssc=ssc)
                rejects += abs(coef["x"] / se["x"]) > Z95
            except (KeyError, ValueError, np.linalg.LinAlgError):
                pass  # an unidentified draw cannot reject
        rows.append({"effect": float(eff), "power": rejects / draws, "draws": draws})
    out = pd.DataFrame(rows)
    ok = out[out.power >= target]
    out.attrs["mde"] = float(ok.effect.min()) if len(ok) else math.inf
    out.attrs["separation"] = "+".join(sep)
    return out


def verdict(estimate: float, ci: tuple[float, float], mde: float) -> str:
    """One sentence for a result on the log scale (a null is never 'no displacement').

    Args:
        estimate: Point estimate (log points).
        ci: 95% interval (log points).
        mde: Minimum detectable effect at 80% power (log points; inf or NaN if unknown).
    """
    pct = lambda v: f"{100 * (math.exp(v) - 1):+.0f}%"  # noqa: E731
    lo, hi = ci
    base = f"estimate {pct(estimate)} (95% CI {pct(lo)} to {pct(hi)})"
    if lo > 0:
        return (f"Detected victims rose relative to the comparison: {base}. This is a change "
                f"in detections, consistent with displacement only if detection did not change.")
    if hi < 0:
        return (f"Detected victims fell relative to the comparison: {base}; this is reduction "
                f"(or less detection), not deflection.")
    if not math.isfinite(mde):
        return (f"No effect was detected ({base}), and the design cannot reliably detect any "
                f"effect in the range simulated: the result is uninformative, not evidence "
                f"against displacement.")
    return (f"No effect was detected ({base}). With 80% power the design detects changes of "
            f"{pct(mde)} or more; displacement smaller than that cannot be ruled out, so this "
            f"is not evidence of no displacement.")


# --------------------------------------------------------------------------- synthetic control


def synth_weights(treated_pre, donors_pre) -> np.ndarray:
    """ADH weights: non-negative, summing to 1, minimising the pre-period squared gap.

    Args:
        treated_pre: Treated outcomes in the pre-period, shape (T0,).
        donors_pre: Donor outcomes, shape (T0, J).
    """
    scale = max(float(np.max(np.abs(donors_pre))), 1e-12)  # SLSQP stalls on raw counts
    y = np.asarray(treated_pre, float) / scale
    x = np.asarray(donors_pre, float) / scale
    j = x.shape[1]
    res = optimize.minimize(lambda w: float(np.sum((y - x @ w) ** 2)), np.full(j, 1 / j),
                            jac=lambda w: -2 * x.T @ (y - x @ w), method="SLSQP",
                            bounds=[(0, 1)] * j,
                            constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1,
                                          "jac": lambda w: np.ones_like(w)}],
                            options={"ftol": 1e-15, "maxiter": 1000})
    if not res.success:
        raise RuntimeError(f"synthetic-control weights did not converge: {res.message}")
    w = np.clip(res.x, 0, None)
    return w / w.sum()


def synthetic_control(series: pd.DataFrame, treated: str, event_year: int) -> pd.DataFrame:
    """Synthetic control with a placebo-in-space p-value (post/pre RMSPE ratio rank).

    Args:
        series: Outcomes, years as index, units as columns (no missing values).
        treated: The treated unit (a column).
        event_year: First treated year.

    Returns:
        year, treated, synthetic, gap; ``attrs``: weights (dict), pre_rmspe, post_rmspe,
        ratio, p_value, n_placebos.
    """
    if series.isna().any().any():
        raise InputError("series", "missing values", "keep complete years and units only")
    pre = series.index < event_year

    def one(unit: str, pool: list[str]):
        w = synth_weights(series.loc[pre, unit], series.loc[pre, pool])
        synth = series[pool].to_numpy() @ w
        gap = series[unit].to_numpy() - synth
        r_pre = math.sqrt(np.mean(gap[pre] ** 2))
        r_post = math.sqrt(np.mean(gap[~pre] ** 2))
        return w, synth, gap, r_pre, r_post

    donors = [c for c in series.columns if c != treated]
    w, synth, gap, r_pre, r_post = one(treated, donors)
    ratio = r_post / max(r_pre, 1e-12)
    ratios = [ratio]
    for d in donors:
        _, _, _, a, b = one(d, [c for c in donors if c != d])
        ratios.append(b / max(a, 1e-12))
    out = pd.DataFrame({"year": series.index, "treated": series[treated].to_numpy(),
                        "synthetic": synth, "gap": gap})
    out.attrs.update(weights=dict(zip(donors, w, strict=True)), pre_rmspe=r_pre,
                     post_rmspe=r_post, ratio=ratio, n_placebos=len(donors),
                     p_value=float(np.mean(np.array(ratios) >= ratio - 1e-12)))
    return out


def japan_2017(panel: pd.DataFrame, *, event_year: int = 2017, origins=countries.SOUTHEAST_ASIA,
               min_pre: int = 5, min_post: int = 2, min_donors: int = 5) -> dict:
    """Synthetic control for SE Asia -> Japan around Japan's 2017 ratification, or why not.

    The outcome is the aggregate of SE Asian origins' detected victims (midpoint of the
    summed bounds) per destination-year. Donors are destinations observed in every year
    Japan is; years missing for Japan are dropped.

    Returns:
        ``status`` ("estimated" or "not estimable"), ``reasons`` (list of str), ``years``,
        ``donors``, and when estimated ``table`` (:func:`synthetic_control` output, midpoint)
        and ``bounds`` (gap in the post-period on lower and on upper bounds).
    """
    sel = panel[panel.origin.isin(list(origins))]
    agg = sel.groupby(["year", "destination"])[["value_low", "value_high"]].sum()
    mid = ((agg.value_low + agg.value_high) / 2).unstack()
    if "JPN" not in mid.columns:
        return {"status": "not estimable", "reasons": ["Japan is not in the panel"]}
    years = [int(y) for y in mid.index if pd.notna(mid.loc[y, "JPN"])]
    reasons = []
    if event_year not in years:
        reasons.append(f"Japan has no citizenship data for {event_year} (the treatment year); "
                       f"it is left out")
    n_pre = sum(y < event_year for y in years)
    n_post = sum(y > event_year for y in years)
    donors = [c for c in mid.columns if c != "JPN" and mid.loc[years, c].notna().all()
              and mid.loc[years, c].sum() > 0]
    fatal = []
    if n_pre < min_pre:
        fatal.append(f"only {n_pre} pre-years (need {min_pre})")
    if n_post < min_post:
        fatal.append(f"only {n_post} post-years (need {min_post})")
    if len(donors) < min_donors:
        fatal.append(f"only {len(donors)} donor destinations observed in all of Japan's years "
                     f"(need {min_donors})")
    out = {"years": years, "donors": donors, "reasons": reasons + fatal}
    if fatal:
        return {**out, "status": "not estimable"}
    use = [y for y in years if y != event_year]
    table = synthetic_control(mid.loc[use, ["JPN", *donors]], "JPN", event_year)
    bounds = {}
    for col in ("value_low", "value_high"):
        s = agg[col].unstack().loc[use, ["JPN", *donors]]
        t = synthetic_control(s, "JPN", event_year)
        bounds[col] = float(t.gap[t.year > event_year].mean())
    level = float(table.treated[table.year < event_year].mean())
    if table.attrs["pre_rmspe"] > 0.25 * level:
        out["reasons"].append(f"poor pre-period fit: RMSPE {table.attrs['pre_rmspe']:.1f} "
                              f"against a mean of {level:.1f}; the synthetic Japan does not "
                              f"track the real one before {event_year}, so the gap is not an "
                              f"effect estimate")
    share_cens = float(sel[(sel.destination == "JPN")].censored.mean())
    out["reasons"].append(f"{share_cens:.0%} of SE Asia -> Japan cells are censored (<5). "
                          f"{DETECTIONS}")
    return {**out, "status": "estimated", "table": table, "bounds": bounds}


# --------------------------------------------------------------------------- the whole test


def displacement_test(panel: pd.DataFrame, exposure: pd.Series, event_year: int, *,
                      treated: str, destinations=None, effects=(0.25, 0.5, 1.0, 1.5, 2.0, 3.0),
                      mde_draws: int = 100, ri_draws: int = 500, seed: int = 20261130,
                      method: str = "censored", loop_method: str = "lower", log=print) -> dict:
    """Run the one-treated-destination test in the pre-registered order: MDE first.

    1. The minimum detectable effect is simulated and printed before any estimate.
    2. The estimate, randomization p-values (destination and exposure) and the verdict follow.

    The estimate uses ``method`` (censored likelihood); the simulations and randomization
    loops use ``loop_method`` (lower-bound substitution, for speed), which the log states.

    Returns:
        ``mde`` (log points), ``power`` (table), ``estimate`` (:func:`did`), ``p_destination``,
        ``p_exposure`` and ``verdict`` (sentence).
    """
    power = mde(panel, exposure, event_year, treated=treated, effects=effects,
                draws=mde_draws, seed=seed, destinations=destinations, method=loop_method)
    m = power.attrs["mde"]
    log(f"Minimum detectable effect per unit of exposure (80% power, {mde_draws} draws, "
        f"{loop_method}-bound substitution): "
        + (f"{m:.2f} log points ({100 * (math.exp(m) - 1):+.0f}%)" if math.isfinite(m)
           else f"none up to {max(effects):.2f} log points"))
    est = did(panel, exposure, event_year, treated=treated, destinations=destinations,
              method=method)
    by_dest = randomization_inference(panel, exposure, event_year, treated=treated,
                                      reassign="destination", destinations=destinations,
                                      method=loop_method)
    by_exp = randomization_inference(panel, exposure, event_year, treated=treated,
                                     reassign="exposure", draws=ri_draws, seed=seed,
                                     destinations=destinations, method=loop_method)
    text = verdict(est["estimate"], (est["ci_low"], est["ci_high"]), m)
    log(f"Estimate {est['estimate']:.3f} (95% CI {est['ci_low']:.3f} to {est['ci_high']:.3f}); "
        f"randomization p = {by_dest.attrs['p_value']:.2f} over "
        f"{by_dest.attrs['n_assignments']} destinations, {by_exp.attrs['p_value']:.3f} over "
        f"{by_exp.attrs['n_assignments']} exposure permutations ({method} estimate; "
        f"randomization on the {loop_method}-bound statistic).")
    log(text)
    return {"mde": m, "power": power, "estimate": est, "p_destination": by_dest.attrs["p_value"],
            "p_exposure": by_exp.attrs["p_value"], "verdict": text}
