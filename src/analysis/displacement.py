"""Displacement designs: do victims move between the SE Asia -> Japan and -> Europe routes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf

from analysis import countries, paths
from analysis.errors import InputError

#: The Directive's transposition deadline (Art. 22(1)); used, with a flag, when a date is missing.
EU_DEADLINE = pd.Timestamp("2013-04-06")
TRANSPOSITION_FILE = paths.DATA / "policy" / "eu_2011_36_transposition.csv"
#: Japan's acceptance of the Palermo Protocol was deposited on 11 July 2017
#: (../shared/data/treaty_dates/palermo_tip_protocol_asem.csv, MOFA press release).
JAPAN_RATIFICATION_YEAR = 2017
PANEL_COLUMNS = ("origin", "destination", "year", "value_low", "value_high", "censored")
DETECTIONS = ("Counts are detected victims, not prevalence: a destination that looks harder "
              "detects more.")


# --------------------------------------------------------------------------- data


def citizenship_panel(flows: pd.DataFrame, origins=countries.SOUTHEAST_ASIA) -> pd.DataFrame:
    """Return the project's bilateral panel (:func:`analysis.panel.build`) for some origins.

    A destination-year is in the universe when the destination reported citizenship data
    that year; inside it an origin with no row is a true zero. Domestic flows are left out;
    ``<5`` stays the interval 1-4 (``censored``). Origins never seen get no rows.

    Args:
        flows: The flows table (``data/processed/flows.csv``).
        origins: Origins to keep.

    Returns:
        Columns origin, destination, year, value_low, value_high, censored.
    """
    from analysis import panel as panel_mod

    data = panel_mod.build(flows).data
    data = data[data.origin.isin(list(origins))]
    return data[list(PANEL_COLUMNS)].sort_values(["year", "destination", "origin"],
                                                ignore_index=True)


def citizenship_coverage(flows: pd.DataFrame) -> dict:
    """Say which years the citizenship data cover and what that rules out.

    Args:
        flows: The flows table.

    Returns:
        ``years`` (with citizenship rows), ``japan_years``, ``rows_by_year`` (dict) and
        ``note`` (plain-language statement of what the years allow).
    """
    _require(flows, ("indicator", "year", "destination"), "flows")
    cit = flows[flows.indicator == "detected_victims"]
    years = sorted(int(y) for y in cit.year.unique())
    jpn = sorted(int(y) for y in cit[cit.destination == "JPN"].year.unique())
    if not years:
        raise InputError("flows", "no 'detected_victims' (citizenship) rows", "ingest GLOTIP data")
    gaps = sorted(set(range(years[0], years[-1] + 1)) - set(jpn))
    note = (f"Citizenship data (detected victims by citizenship) cover {years[0]}-{years[-1]}. "
            f"There is no year before 2005 in them, so Japan's 2005 entertainer-visa tightening "
            f"has no pre-period in GLOTIP: no event study or difference-in-differences for 2005 "
            f"can be run; only a cross-sectional comparison of post-period levels remains, and "
            f"it cannot separate a 2005 shift from routes that existed before. "
            f"Japan reported citizenship rows in {len(jpn)} of these years"
            + (f"; missing: {', '.join(map(str, gaps))}." if gaps else "."))
    return {"years": years, "japan_years": jpn,
            "rows_by_year": cit.groupby("year").size().astype(int).to_dict(), "note": note}


def entertainer_first_stage(table: pd.DataFrame, nationality: str = "PHL",
                            measure: str = "new_entrants_entertainer_status") -> pd.DataFrame:
    """Percent changes in Japan's entertainer entries, year to year, from the published table.

    Args:
        table: Entertainer entries (year, nationality_iso3, measure, value, ...).
        nationality: ISO3 of the nationality.
        measure: The series (the MOJ new-entrant count by default; others count other things).

    Returns:
        One row per pair of consecutive years present: year_from, year_to, value_from,
        value_to, percent_change (percent, rounded to 0.01).
    """
    _require(table, ("year", "nationality_iso3", "measure", "value"), "entertainer entries")
    sel = table[(table.nationality_iso3 == nationality) & (table.measure == measure)].copy()
    sel = sel[sel.year.astype(str).str.fullmatch(r"\d{4}")]
    if len(sel) < 2:
        raise InputError("entertainer entries", f"fewer than two annual '{measure}' values for "
                         f"{nationality}", "check the table's measure and nationality columns")
    if "partial_year" in sel.columns and sel.partial_year.astype(str).nunique() > 1:
        raise InputError("entertainer entries", f"'{measure}' mixes part-year and full-year "
                         "values", "compare like with like (select one kind of period)",
                         column="partial_year")
    sel["year"] = sel.year.astype(int)
    sel = sel.sort_values("year")
    vals = pd.to_numeric(sel.value, errors="raise").to_numpy(float)
    yrs = sel.year.to_numpy()
    out = pd.DataFrame({"year_from": yrs[:-1], "year_to": yrs[1:], "value_from": vals[:-1],
                        "value_to": vals[1:]})
    out["percent_change"] = (100 * (out.value_to / out.value_from - 1)).round(2)
    out["measure"], out["nationality"] = measure, nationality
    return out


def load_transposition(path=None) -> pd.DataFrame:
    """Load the transposition table and derive the treatment year used by the designs.

    A state with no date found gets the deadline's year with ``imputed`` True; Denmark
    (not bound) gets no year (never treated). A year-only date counts for its year.

    Args:
        path: The CSV (default ``data/policy/eu_2011_36_transposition.csv``).

    Returns:
        The table with ``treat_year`` (float, NaN when never treated) and ``imputed``.
    """
    path = path or TRANSPOSITION_FILE
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    _require(table, ("iso3", "transposition_date", "confidence"), str(path))
    date = table.transposition_date.str[:4]
    bad = date.ne("") & ~date.str.fullmatch(r"\d{4}")
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 2
        raise InputError(str(path), "transposition_date is not a date", "write YYYY-MM-DD or "
                         "YYYY", row=row, column="transposition_date")
    year = pd.to_numeric(date.replace("", np.nan))
    bound = table.confidence != "not bound"
    table["imputed"] = year.isna() & bound
    table["treat_year"] = year.where(~table.imputed, EU_DEADLINE.year).where(bound)
    return table


def _require(table: pd.DataFrame, cols, name: str) -> None:
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise InputError(name, f"missing column(s) {', '.join(missing)}",
                         "pass a table with the published layout")


# --------------------------------------------------------------------------- estimation


def outcome(panel: pd.DataFrame, method: str = "lower") -> pd.Series:
    """Return the count a substitution fit uses: a bound of the interval (``<5`` is 1-4).

    ``method="censored"`` has no single count: :func:`fit` hands the bounds to the EM.
    """
    if method == "lower":
        return panel.value_low.astype(float)
    if method == "upper":
        return panel.value_high.astype(float)
    raise ValueError(f"unknown method {method!r}")


def fit(data: pd.DataFrame, rhs: str, fe: str, *, vcov="iid", method: str = "censored",
        separation=("fe", "ir"), ssc=None):
    """Fit a PPML on the panel and return (coef, se, n_obs, fitted model).

    Args:
        data: Panel rows with value_low/value_high and the regressors in ``rhs``.
        rhs: Right-hand side (regressor names joined by ``+``).
        fe: Fixed effects in pyfixest syntax (``pair + origin^year``).
        vcov: pyfixest vcov (``"iid"``, ``{"CRV1": "destination"}``...).
        method: ``censored`` (the interval likelihood, :func:`analysis.gravity.fit_censored`,
            its separation checks are always ``fe`` and ``ir``) or ``lower``/``upper``
            (substitution bounds: biased, but ~20x faster for randomization loops).
        separation: pyfixest separation checks (``("fe",)`` is ~50x faster than with ``ir``).
        ssc: pyfixest small-sample correction (``pf.ssc(...)``; default pyfixest's).
    """
    data = _prune(data, fe)
    regs = [r.strip() for r in rhs.split("+")]
    if data.empty or all(data[r].nunique() < 2 for r in regs):
        raise ValueError("no variation left to estimate after removing all-zero groups")
    if method == "censored":
        from analysis import gravity

        res = gravity.fit_censored(data, f"y ~ {rhs} | {fe}", vcov=vcov)
        # the final M-step model: its rows are positions in ``data``, like fepois's below
        return res.coef, res.se, res.n_obs, res.model
    model = pf.fepois(f"y ~ {rhs} | {fe}", data.assign(y=outcome(data, method)), vcov=vcov,
                      separation_check=list(separation), ssc=ssc)
    return model.coef(), model.se(), int(model._N), model


def _prune(data: pd.DataFrame, fe: str) -> pd.DataFrame:
    """Drop fixed-effect groups whose counts are all zero, and singletons, until none is left.

    pyfixest drops them too (``fe`` separation, ``fixef_rm="singleton"``); doing it first
    keeps degenerate samples (which crash its Rust demeaner) from reaching it. A ``<5`` cell
    is positive (its lower bound is 1), so the rule is the same for every ``method``. Rows
    keep their order; the index is reset.
    """
    groups = [[c.strip() for c in term.split("^")] for term in fe.split("+") if term.strip()]
    while True:
        n = len(data)
        for cols in groups:
            g = data.groupby(cols).value_low
            data = data[(g.transform("sum") > 0) & (g.transform("size") > 1)]
        if len(data) == n:
            return data.reset_index(drop=True)


def _with_keys(panel: pd.DataFrame) -> pd.DataFrame:
    _require(panel, PANEL_COLUMNS, "panel")
    return panel.assign(pair=panel.origin + "_" + panel.destination)


def _tidy(coef: pd.Series, se: pd.Series, names: dict, n_obs: int, key: str) -> pd.DataFrame:
    rows = []
    for name, label in names.items():
        if name in coef.index:
            b, s = float(coef[name]), float(se[name])
            rows.append({key: label, "estimate": b, "ci_low": b - 1.96 * s,
                         "ci_high": b + 1.96 * s, "se": s, "n_obs": n_obs})
        else:  # absorbed or dropped (e.g. no cell at that relative year)
            rows.append({key: label, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "se": np.nan, "n_obs": n_obs})
    return pd.DataFrame(rows)


def _dummy(k: int) -> str:
    return f"ev_m{-k}" if k < 0 else f"ev_p{k}"


def eu_event_study(panel: pd.DataFrame, transposition: pd.DataFrame, *, leads: int = 4,
                   lags: int = 4, method: str = "censored", vcov=None,
                   destinations=None) -> pd.DataFrame:
    """Poisson event study of detections in EU states around each state's transposition.

    Relative year = year - treatment year, binned at -``leads`` and +``lags``, reference -1.
    Destinations not in the table (non-EU) and Denmark are never treated. Fixed effects:
    pair and origin-year (destination-year would absorb the treatment). Read as detected
    victims: a transposition changes detection as much as flows.

    Args:
        panel: origin, destination, year, value_low, value_high, censored.
        transposition: :func:`load_transposition` output (iso3, treat_year, imputed).
        leads: Earliest relative year (binned below).
        lags: Latest relative year (binned above).
        method: Outcome bound or ``censored`` (see :func:`fit`).
        vcov: Default clusters by destination (the level of treatment).
        destinations: Keep only these (e.g. EU states: not-yet-treated states as controls).

    Returns:
        rel_year, estimate, ci_low, ci_high, se, n_obs (log points; reference -1 is 0),
        with ``attrs["note"]`` stating imputed dates and the detection caveat.
    """
    data = _with_keys(panel)
    if destinations is not None:
        data = data[data.destination.isin(list(destinations))].copy()
    treat = transposition.set_index("iso3").treat_year
    rel = data.year - data.destination.map(treat)
    rel = rel.clip(-leads, lags)
    ks = [k for k in range(-leads, lags + 1) if k != -1]
    for k in ks:
        data[_dummy(k)] = (rel == k).astype(float)
    fit_ks = [k for k in ks if data[_dummy(k)].sum() > 0]
    coef, se, n, _ = fit(data, " + ".join(_dummy(k) for k in fit_ks), "pair + origin^year",
                         vcov=vcov or {"CRV1": "destination"}, method=method)
    out = _tidy(coef, se, {_dummy(k): k for k in ks}, n, "rel_year")
    ref = pd.DataFrame([{"rel_year": -1, "estimate": 0.0, "ci_low": 0.0, "ci_high": 0.0,
                         "se": 0.0, "n_obs": n}])
    out = pd.concat([out, ref]).sort_values("rel_year", ignore_index=True)
    imputed = sorted(transposition.loc[transposition.imputed, "iso3"])
    out.attrs["note"] = (f"{DETECTIONS} Relative years binned at -{leads} and +{lags}. "
                         f"{len(imputed)} states have no transposition date found and use the "
                         f"deadline year {EU_DEADLINE.year} (flagged): {', '.join(imputed)}.")
    return out


def eu_exposure(panel: pd.DataFrame, before: int = 2013) -> pd.DataFrame:
    """Each origin's share of its detected victims found in EU states before ``before``.

    Bounds: ``share_low`` puts EU cells at their lower and other cells at their upper
    bounds, ``share_high`` the reverse; ``exposure`` is their midpoint.
    """
    pre = panel[panel.year < before]
    eu = pd.Series([d in countries.eu_members(int(y)) for d, y in
                    zip(pre.destination, pre.year, strict=True)], index=pre.index)
    g = pd.DataFrame({"origin": pre.origin,
                      "eu_low": pre.value_low.where(eu, 0), "eu_high": pre.value_high.where(eu, 0),
                      "other_low": pre.value_low.where(~eu, 0),
                      "other_high": pre.value_high.where(~eu, 0)}).groupby("origin").sum()
    out = pd.DataFrame({"share_low": g.eu_low / (g.eu_low + g.other_high),
                        "share_high": g.eu_high / (g.eu_high + g.other_low)}).fillna(0.0)
    out["exposure"] = (out.share_low + out.share_high) / 2
    return out.reset_index()


def exposure_event_study(panel: pd.DataFrame, exposure: pd.Series, event_year: int, *,
                         destinations=None, fe: str = "pair + destination^year",
                         method: str = "censored", vcov=None) -> pd.DataFrame:
    """Estimate an exposure x year event study (do exposed origins' flows shift after the event).

    y_odt = exp(a_od + d_dt + sum_t theta_t * exposure_o * 1[year = t]), reference year
    ``event_year - 1``. This is the displacement test: run it on destinations the event
    does not touch (e.g. non-EU destinations for the EU Directive).

    Args:
        panel: The panel.
        exposure: Exposure by origin (Series indexed by origin ISO3).
        event_year: First treated year.
        destinations: Keep only these destinations (default all).
        fe: Fixed effects.
        method: Outcome bound or ``censored``.
        vcov: Default clusters by origin-destination pair.

    Returns:
        rel_year (year - event_year), year, estimate, ci_low, ci_high, se, n_obs.
    """
    data = _with_keys(panel)
    if destinations is not None:
        data = data[data.destination.isin(list(destinations))].copy()
    exp_o = data.origin.map(exposure).fillna(0.0)
    years = sorted(int(y) for y in data.year.unique() if y != event_year - 1)
    for y in years:
        data[f"ex_{y}"] = exp_o * (data.year == y)
    coef, se, n, _ = fit(data, " + ".join(f"ex_{y}" for y in years), fe,
                         vcov=vcov or {"CRV1": "pair"}, method=method)
    out = _tidy(coef, se, {f"ex_{y}": y for y in years}, n, "year")
    ref = pd.DataFrame([{"year": event_year - 1, "estimate": 0.0, "ci_low": 0.0, "ci_high": 0.0,
                         "se": 0.0, "n_obs": n}])
    out = pd.concat([out, ref]).sort_values("year", ignore_index=True)
    out.insert(0, "rel_year", out.year - event_year)
    return out


def eu_displacement(panel: pd.DataFrame, *, event_year: int = 2013, method: str = "censored",
                    destinations=None) -> pd.DataFrame:
    """Run the Directive's displacement test on non-EU destinations (Japan among them).

    Exposure = origin's pre-``event_year`` EU share (:func:`eu_exposure`); destinations
    default to those never in the EU in the panel's years.
    """
    exp = eu_exposure(panel, event_year).set_index("origin").exposure
    if destinations is None:
        ever = set().union(*(countries.eu_members(int(y)) for y in panel.year.unique()))
        destinations = sorted(set(panel.destination) - ever)
    out = exposure_event_study(panel, exp, event_year, destinations=destinations, method=method)
    out.attrs["note"] = (f"{DETECTIONS} Exposure = share of the origin's detected victims found "
                         f"in EU states before {event_year}; {len(destinations)} non-EU "
                         f"destinations; destination-year fixed effects absorb their detection.")
    return out


def japan_2005(panel: pd.DataFrame, exposure: pd.Series, flows: pd.DataFrame | None = None,
               *, method: str = "censored") -> dict:
    """Return what the data allow for Japan's 2005 tightening: coverage and a level comparison.

    With no pre-2005 citizenship data, the only estimable quantity is whether exposed
    origins send relatively more of their detected victims to Europe than to other non-Japan
    destinations in the post-period (origin-year and destination-year fixed effects). It is a
    level difference, not a change: it cannot tell displacement from routes older than 2005.

    Args:
        panel: The panel.
        exposure: Pre-2005 reliance on Japan by origin (e.g. entertainer entries, scaled 0-1).
        flows: The flows table, for the coverage note (optional).
        method: Outcome bound or ``censored``.

    Returns:
        ``coverage`` (str), ``estimate`` (DataFrame with the exposure x Europe term) and
        ``weakness`` (str).
    """
    data = _with_keys(panel)
    data = data[data.destination != "JPN"].copy()
    data["exp_europe"] = data.origin.map(exposure).fillna(0.0) * data.destination.isin(
        countries.EUROPE)
    coef, se, n, _ = fit(data, "exp_europe", "origin^year + destination^year",
                         vcov={"CRV1": "destination"}, method=method)
    est = _tidy(coef, se, {"exp_europe": "exposure x Europe (post-period levels)"}, n, "term")
    exposed = sorted(exposure[exposure > 0].index)
    cov = citizenship_coverage(flows)["note"] if flows is not None else (
        f"Panel years {int(panel.year.min())}-{int(panel.year.max())}: no pre-2005 period.")
    weak = (f"Cross-sectional dose-response on post-period levels only; exposed origins: "
            f"{', '.join(exposed) or 'none'}. With one exposed origin the term is that origin's "
            f"Europe-vs-elsewhere mix, which older diasporas and recruitment networks explain as "
            f"well as a 2005 shift. {DETECTIONS}")
    return {"coverage": cov, "estimate": est, "weakness": weak}


# --------------------------------------------------------------------------- deflection


def protection_panel(years, codebook=None, coding=None) -> pd.DataFrame:
    """Overall protection index by entity and year from the project's coding (31 December)."""
    from analysis import protection

    codebook = protection.load_codebook() if codebook is None else codebook
    coding = protection.load_coding(codebook=codebook) if coding is None else coding
    rows = []
    for y in years:
        idx = protection.indices(protection.as_of(coding, int(y)), codebook)["overall"]
        rows.append(pd.DataFrame({"iso3": idx.index, "year": int(y), "protection": idx.values}))
    out = pd.concat(rows, ignore_index=True)
    return out[out.iso3 != protection.EU_FLOOR].dropna()


def deflection_term(panel: pd.DataFrame, protection: pd.DataFrame, *, base_years,
                    lag: int = 1) -> pd.DataFrame:
    """Brekke-style deflection: protection of the origin's other destinations, share-weighted.

    D_odt = sum_{k != d} w_ok P_k,t-lag / sum_{k != d, P_k known} w_ok, with w_ok the
    origin's share of detected victims (lower bounds) in ``base_years``.

    Returns:
        The panel with own_protection (P_d,t-lag), deflection and weight_coded (the share
        of the origin's base-period weight that has a protection score).
    """
    base = panel[panel.year.isin(list(base_years))]
    w = base.groupby(["origin", "destination"]).value_low.sum()
    w = (w / w.groupby(level="origin").transform("sum")).fillna(0.0).rename("w").reset_index()
    p = protection.assign(year=protection.year + lag).rename(columns={"iso3": "k"})
    rows = []
    for (o, t), grp in panel.groupby(["origin", "year"]):
        wk = w[w.origin == o].rename(columns={"destination": "k"})
        wk = wk.merge(p[p.year == t][["k", "protection"]], on="k", how="left")
        known = wk.dropna(subset=["protection"])
        tot_w, tot_wp = known.w.sum(), (known.w * known.protection).sum()
        for d in grp.destination.unique():
            own = known[known.k == d]
            wd, wpd = own.w.sum(), (own.w * own.protection).sum()
            denom = tot_w - wd
            rows.append((o, d, t, (tot_wp - wpd) / denom if denom > 0 else np.nan,
                         denom / max(wk.w.sum() - wk[wk.k == d].w.sum(), 1e-12)))
    d_tab = pd.DataFrame(rows, columns=["origin", "destination", "year", "deflection",
                                        "weight_coded"])
    own = p.rename(columns={"k": "destination", "protection": "own_protection"})
    return panel.merge(d_tab, on=["origin", "destination", "year"], how="left").merge(
        own, on=["destination", "year"], how="left")


def deflection(panel: pd.DataFrame, protection: pd.DataFrame, *, base_years=(2007, 2008, 2009),
               fe: str = "pair + year", method: str = "censored") -> pd.DataFrame:
    """PPML of flows on own protection and the deflection term (after the base years).

    Returns:
        term, estimate, ci_low, ci_high, se, n_obs; ``attrs["note"]`` says how much weight
        had a protection score.
    """
    data = deflection_term(panel, protection, base_years=base_years)
    data = data[(data.year > max(base_years))].dropna(subset=["deflection", "own_protection"])
    if data.empty:
        raise InputError("protection", "no destination-year has both a protection score and a "
                         "deflection term", "code protection for the panel's destinations")
    data = _with_keys(data).assign(deflection=data.deflection, own_protection=data.own_protection)
    coef, se, n, _ = fit(data, "own_protection + deflection", fe,
                         vcov={"CRV1": "destination"}, method=method)
    out = _tidy(coef, se, {"own_protection": "own protection (t-1)",
                           "deflection": "alternatives' protection (t-1, share-weighted)"},
                n, "term")
    out.attrs["note"] = (f"{DETECTIONS} Median share of base-period weight with a protection "
                         f"score: {data.weight_coded.median():.2f}. A positive deflection "
                         f"coefficient means flows to d rise when the origin's other "
                         f"destinations protect victims better.")
    return out
