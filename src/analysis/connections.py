"""Glue for the connections notebook: route shares, Japan's official series, events, findings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from analysis import countries
from analysis.errors import InputError

#: The two destination groups the project compares; every other destination is pooled.
ROUTE_GROUPS = ("Japan", "Europe (EU27, UK, EFTA)")
OTHER_GROUP = "Other destinations"
#: Year the EU anti-trafficking directive 2011/36/EU was adopted (the event-study event).
EU_DIRECTIVE_YEAR = 2011


@dataclass(frozen=True)
class PolicyEvent:
    """A dated policy event drawn on Japan's series, with where the date was read.

    Attributes:
        when: ISO date (``YYYY-MM-DD``) or a bare year (``YYYY``) when only the year is known.
        label: Short label for the figure.
        source: The table or publication the date was read in.
    """

    when: str
    label: str
    source: str

    @property
    def year_only(self) -> bool:
        """True when only the year of the event is known."""
        return len(self.when) == 4

    @property
    def x(self) -> float:
        """Position on a yearly axis where year Y's value sits at Y and stands for the year.

        Year Y spans Y - 0.5 to Y + 0.5, so an event on 1 July sits on Y's point, one in
        December just before Y + 1's; a year-only event sits on its year's point.
        """
        if self.year_only:
            return float(self.when)
        d = date.fromisoformat(self.when)
        start = date(d.year, 1, 1)
        return d.year - 0.5 + (d - start).days / (date(d.year + 1, 1, 1) - start).days


#: Japan's policy events, each with the project table or publication it was read in.
JAPAN_EVENTS = (
    PolicyEvent("2004-12-07", "Action Plan (7 Dec 2004)",
                "data/protection/coding.csv, JPN rows: 'Action Plan of Measures to Combat "
                "Trafficking in Persons, 7 Dec 2004 (Cabinet Secretariat)'"),
    PolicyEvent("2005-03-15", "Entertainer rules (15 Mar 2005)",
                "../shared/data/japan_official/japan_entertainer_entries.csv, POEA row "
                "2005-01..07: 'Rule change effective 15 March 2005' (US Embassy Manila "
                "cable, Sept 2005)"),
    PolicyEvent("2005", "Penal Code amendment (2005)",
                "../shared/data/japan_official/SOURCE.md, caveats: 'the 2005 Penal Code "
                "amendment (人身売買罪)'; month not in the project's tables"),
    PolicyEvent("2017-07-11", "Protocol accepted (11 Jul 2017)",
                "../shared/data/treaty_dates/palermo_tip_protocol_asem.csv, JPN: acceptance "
                "2017-07-11, in force 2017-08-10 (MOFA press release, 2017-07-12)"),
)


def events_table(events=JAPAN_EVENTS) -> pd.DataFrame:
    """Return the events as a table (when, label, x, year_only, source) for figures and sidecars."""
    return pd.DataFrame([{"when": e.when, "label": e.label, "x": e.x,
                          "year_only": e.year_only, "source": e.source} for e in events])


def route_shares(flows: pd.DataFrame, groups=ROUTE_GROUPS, min_total: int = 0,
                 reporting: pd.DataFrame | None = None) -> pd.DataFrame:
    """Share of each origin's detected victims found in each destination group, by year.

    Censored cells are intervals, so a share is an interval too. Its bounds are exact: the
    share of group g is lowest when g's cells sit at their lower bounds and every other
    cell at its upper bound, and highest the other way round.

    Args:
        flows: Cross-border flows of one source (origin, destination, year, value_low,
            value_high).
        groups: Destination groups kept apart; other destinations are pooled as
            ``Other destinations``.
        min_total: Origin-years whose total lower bound is below this are dropped (case
            records: k = 11; published aggregates: 0).
        reporting: Flows of any origin (year, destination) telling which groups reported
            citizenship data each year. A group that reported nothing in a year gets no
            share (NaN, ``reported`` False): its zero would be a gap, not a finding.

    Returns:
        One row per origin, year and group with value_low, value_high, total_low,
        total_high, share_low, share_high, share_lb (the share on lower bounds, which
        lies inside the interval) and reported.

    Raises:
        InputError: A column is missing.
    """
    _require(flows, ["origin", "destination", "year", "value_low", "value_high"], "flows")
    group = flows.destination.map(countries.destination_group)
    flows = flows.assign(group=group.where(group.isin(groups), OTHER_GROUP))
    cells = flows.groupby(["origin", "year", "group"], as_index=False)[
        ["value_low", "value_high"]].sum()
    # Every group appears for every origin-year, so a zero share is a row, not a gap.
    keys = cells[["origin", "year"]].drop_duplicates().merge(
        pd.DataFrame({"group": [*groups, OTHER_GROUP]}), how="cross")
    cells = keys.merge(cells, how="left").fillna({"value_low": 0, "value_high": 0})
    totals = cells.groupby(["origin", "year"])[["value_low", "value_high"]].transform("sum")
    cells["total_low"], cells["total_high"] = totals.value_low, totals.value_high
    rest_low = cells.total_low - cells.value_low
    rest_high = cells.total_high - cells.value_high
    cells["share_low"] = _ratio(cells.value_low, cells.value_low + rest_high)
    cells["share_high"] = _ratio(cells.value_high, cells.value_high + rest_low)
    cells["share_lb"] = _ratio(cells.value_low, cells.total_low)
    cells["reported"] = _reported(cells, reporting)
    cells.loc[~cells.reported, ["share_low", "share_high", "share_lb"]] = float("nan")
    cells = cells[cells.total_low >= max(min_total, 1)]
    cells[["value_low", "value_high", "total_low", "total_high"]] = cells[
        ["value_low", "value_high", "total_low", "total_high"]].astype(int)
    return cells.sort_values(["origin", "year", "group"]).reset_index(drop=True)


def _reported(cells: pd.DataFrame, reporting: pd.DataFrame | None) -> pd.Series:
    """Mark the cells whose destination group reported any citizenship data that year."""
    if reporting is None:
        return pd.Series(True, index=cells.index)
    group = reporting.destination.map(countries.destination_group)
    present = set(zip(reporting.year, group, strict=True))
    pooled = {y for y, g in present if g not in ROUTE_GROUPS}
    return pd.Series([(y, g) in present or (g == OTHER_GROUP and y in pooled)
                      for y, g in zip(cells.year, cells.group, strict=True)], index=cells.index)


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den > 0)).astype(float)


def _require(table: pd.DataFrame, columns: list[str], file: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(file, f"missing column(s) {', '.join(missing)}",
                         f"the table needs the columns {', '.join(columns)}",
                         column=missing[0])


def official_totals(table: pd.DataFrame, file: str = "japan_victims.csv") -> pd.DataFrame:
    """Japan's official all-nationality counts, one row per series and year, never combined.

    Takes the processed table (``analysis.sources.japan_official.load``: ``series, year,
    year_type, nationality_iso3, count, derived, ..., cumulative``) or the published
    compilation (``period_start``/``period_end`` instead of ``year``). Cumulative rows over
    several years are left out: they are not yearly counts.

    Args:
        table: The official victims table.
        file: Its name, for error messages.

    Returns:
        Columns series, year, year_type, count, derived (bool), sorted.

    Raises:
        InputError: A column is missing, or one series has two totals for one year.
    """
    if "year" not in table.columns and {"period_start", "period_end"} <= set(table.columns):
        one_year = table.period_start.astype(str) == table.period_end.astype(str)
        table = table[one_year].assign(year=lambda t: t.period_start)
    _require(table, ["series", "year", "year_type", "nationality_iso3", "count"], file)
    if "cumulative" in table.columns:  # the processed table keeps multi-year rows, flagged
        table = table[~table.cumulative.astype(str).str.lower().isin(["true", "1", "yes"])]
    out = table[table.nationality_iso3 == "ALL"].copy()
    out["year"] = pd.to_numeric(out.year, errors="coerce")
    out["count"] = pd.to_numeric(out["count"], errors="coerce")
    bad = out[out.year.isna() | out["count"].isna()]
    if len(bad):
        raise InputError(file, "a total has a year or count that is not a number",
                         "correct the row", row=int(bad.index[0]) + 2)
    dup = out[out.duplicated(["series", "year"], keep=False)]
    if len(dup):
        raise InputError(file, f"series {dup.series.iloc[0]} has {len(dup)} totals for "
                         f"{int(dup.year.iloc[0])}", "keep one total per series and year "
                         "(conflicting sources belong in the note)", row=int(dup.index[0]) + 2)
    derived = out.get("derived", pd.Series("no", index=out.index))
    out["derived"] = derived.astype(str).str.lower().isin(["yes", "true", "1"])
    out = out.astype({"year": int, "count": int})
    return out[["series", "year", "year_type", "count", "derived"]].sort_values(
        ["series", "year"]).reset_index(drop=True)


def entertainer_entries(table: pd.DataFrame, iso3: str = "PHL",
                        file: str = "japan_entertainer.csv") -> pd.DataFrame:
    """Whole-year "Entertainer" entries for one nationality, one row per measure and year.

    Rows for part of a year (``2004-01..07``, or ``partial_year`` in the processed table)
    are left out: they cannot sit on a line of whole years. Measures stay apart (landings
    and visas are different counts).

    Raises:
        InputError: A column is missing.
    """
    _require(table, ["year", "nationality_iso3", "measure", "value", "unit"], file)
    whole = table.year.astype(str).str.fullmatch(r"\d{4}")
    if "partial_year" in table.columns:  # processed layout: year is kept, the flag says
        whole &= ~table.partial_year.astype(str).str.lower().isin(["true", "1", "yes"])
    sel = table[(table.nationality_iso3 == iso3) & whole].copy()
    sel["year"] = sel.year.astype(int)
    sel["value"] = pd.to_numeric(sel.value)
    return sel[["measure", "year", "value", "unit"]].sort_values(
        ["measure", "year"]).reset_index(drop=True)


def citizenship_years(flows: pd.DataFrame, destination: str | None = None) -> list[int]:
    """Years in which detections by citizenship are present (for one destination, or any)."""
    sel = flows if destination is None else flows[flows.destination == destination]
    return sorted(int(y) for y in sel.year.unique())


def share_findings(shares: pd.DataFrame, origin: str, group: str) -> dict:
    """Facts about one origin's share in one destination group, for the notebook's prose.

    Returns:
        first and last year present, the share interval in each, and whether the
        intervals are disjoint (a change the censoring cannot explain).
    """
    s = shares[(shares.origin == origin) & (shares.group == group)].sort_values("year")
    if s.empty:
        return {"origin": origin, "group": group, "years": 0}
    first, last = s.iloc[0], s.iloc[-1]
    return {
        "origin": origin, "group": group, "years": len(s),
        "first_year": int(first.year), "last_year": int(last.year),
        "first": (float(first.share_low), float(first.share_high)),
        "last": (float(last.share_low), float(last.share_high)),
        "fell": bool(last.share_high < first.share_low),
        "rose": bool(last.share_low > first.share_high),
    }


def coverage_findings(flows: pd.DataFrame, events=JAPAN_EVENTS) -> dict:
    """Which years the citizenship data cover, and which Japanese events they predate.

    Returns:
        first and last years overall and for Japan, the missing Japan years inside that
        span, and the events that fall before the first Japan year (their before and after
        cannot be seen in these data).
    """
    years, japan = citizenship_years(flows), citizenship_years(flows, "JPN")
    span = range(japan[0], japan[-1] + 1) if japan else range(0)
    return {
        "first_year": years[0] if years else None, "last_year": years[-1] if years else None,
        "japan_first_year": japan[0] if japan else None,
        "japan_last_year": japan[-1] if japan else None,
        "japan_missing": [y for y in span if y not in japan],
        "events_before_data": [e.label for e in events
                               if japan and int(e.when[:4]) < japan[0]],
    }


def pct(interval: tuple[float, float]) -> str:
    """Format a share interval as percent: ``12%`` when exact, ``10-14%`` otherwise."""
    low, high = (round(100 * v) for v in interval)
    return f"{low}%" if low == high else f"{low}-{high}%"


#: Covariate tables the gravity ladder joins (TIP tiers end in 2015: too short for the lags).
GRAVITY_COVARIATES = ("wdi", "geodist", "stock", "protection")
#: The gravity terms: income gap, migrant network, distance, protection.
GRAVITY_TERMS = ("ln_gdppc_ratio", "ln_stock", "ln_dist", "protection")
TERM_LABELS = {
    "ln_gdppc_ratio": "GDP per head, destination / origin (log, t-1)",
    "ln_stock": "migrants from the origin in the destination (log, t-1)",
    "ln_dist": "distance (log)",
    "protection": "destination's victim protection (0-100, t-1)",
    "year_trend": "linear year trend",
}


def non_eu_destinations(panel: pd.DataFrame) -> list[str]:
    """Destinations in the panel that were never EU Member States in its years."""
    ever = set().union(*(countries.eu_members(int(y)) for y in panel.year.unique()))
    return sorted(set(panel.destination) - ever)


def observed_vs_predicted(predictions: pd.DataFrame, panel: pd.DataFrame,
                          fit_years: tuple[int, int], origins=None) -> pd.DataFrame:
    """Put each held-out cell's observed interval beside the model's and the naive prediction.

    Args:
        predictions: ``predictions.csv`` of ``analysis.gravity.oos`` (origin, destination,
            year, predicted, basis).
        panel: The panel data (origin, destination, year, value_low, value_high) covering
            the fit and the predicted years.
        fit_years: First and last fit year; the naive prediction is each pair's mean lower
            bound over its last three fit years.
        origins: Keep only these origins (default: all).

    Returns:
        origin, destination, year, observed_low, observed_high, predicted, naive: cells
        with a model prediction only.

    Raises:
        InputError: A column is missing.
    """
    _require(predictions, ["origin", "destination", "year", "predicted"], "predictions.csv")
    _require(panel, ["origin", "destination", "year", "value_low", "value_high"], "panel")
    keys = ["origin", "destination", "year"]
    if origins is not None:
        predictions = predictions[predictions.origin.isin(list(origins))]
    fit = panel[panel.year.between(*fit_years)].sort_values("year")
    naive = fit.groupby(["origin", "destination"]).tail(3).groupby(
        ["origin", "destination"]).value_low.mean().rename("naive").reset_index()
    out = predictions[predictions.predicted.notna()][[*keys, "predicted"]].merge(
        panel[[*keys, "value_low", "value_high"]], on=keys, how="inner").merge(
        naive, on=["origin", "destination"], how="left")
    out = out.rename(columns={"value_low": "observed_low", "value_high": "observed_high"})
    return out[[*keys, "observed_low", "observed_high", "predicted", "naive"]].reset_index(
        drop=True)


def deviance_bars(deviance: pd.DataFrame) -> dict[str, float]:
    """Label each out-of-sample deviance for the bar chart: predictor and bound."""
    _require(deviance, ["bound", "predictor", "deviance"], "out-of-sample deviance")
    order = {"low": 0, "high": 1}
    rows = deviance.assign(_o=deviance.bound.map(order)).sort_values(["_o", "predictor"])
    return {f"{r.predictor} ({r.bound} bounds)": float(r.deviance) for r in rows.itertuples()}


def _excluding_zero(table: pd.DataFrame) -> tuple[int, int, int]:
    """Count intervals: (rows with an estimate, wholly above zero, wholly below zero)."""
    t = table.dropna(subset=["estimate"])
    return len(t), int((t.ci_low > 0).sum()), int((t.ci_high < 0).sum())


def findings(*, coverage: dict, first_stage: pd.DataFrame, phl_japan: dict,
             event_study: pd.DataFrame, japan: dict, mde: float,
             p_values: tuple[float, float], deviance: pd.DataFrame,
             n_destinations: int | None = None, japan_2017: dict | None = None,
             ladder: pd.DataFrame | None = None, reference: int = -1) -> dict:
    """Gather the facts the notebook's prose states, each computed from an estimate or table.

    Args:
        coverage: :func:`coverage_findings` output.
        first_stage: ``analysis.displacement.entertainer_first_stage`` output.
        phl_japan: :func:`share_findings` for the Philippines and Japan.
        event_study: ``analysis.displacement.eu_event_study`` output.
        japan: ``analysis.inference.did`` output for Japan.
        mde: Minimum detectable effect (log points; inf when not reached).
        p_values: Randomization p-values (destinations enumerated, exposure permuted).
        deviance: ``analysis.gravity.oos_deviance`` output.
        n_destinations: Assignments in the destination randomization (its smallest
            attainable p-value is one over this).
        japan_2017: ``analysis.inference.japan_2017`` output (synthetic control for the
            2017 acceptance of the Protocol), or None.
        ladder: ``analysis.gravity.ladder`` output, or None.
        reference: The event study's reference year (left out of the counts).

    Returns:
        A flat dict of numbers and booleans.
    """
    by_year = dict(zip(first_stage.year_from, first_stage.value_from, strict=True))
    by_year.update(zip(first_stage.year_to, first_stage.value_to, strict=True))
    es = event_study[event_study.rel_year != reference]
    n_leads, leads_up, leads_down = _excluding_zero(es[es.rel_year < 0])
    n_lags, lags_up, lags_down = _excluding_zero(es[es.rel_year >= 0])
    dev = deviance.set_index(["bound", "predictor"]).deviance
    naive = [p for p in deviance.predictor.unique() if p != "model"]
    beats = {b: bool(dev[(b, "model")] < dev[(b, naive[0])]) for b in ("low", "high")}
    return {
        "first_year": coverage["first_year"], "japan_missing": coverage["japan_missing"],
        "entries_2004": int(by_year.get(2004, -1)), "entries_2006": int(by_year.get(2006, -1)),
        "entries_change": (by_year[2006] / by_year[2004] - 1) if {2004, 2006} <= set(by_year)
        else None,
        "phl_japan_first": phl_japan.get("first"), "phl_japan_last": phl_japan.get("last"),
        "phl_japan_years": (phl_japan.get("first_year"), phl_japan.get("last_year")),
        "phl_japan_fell": bool(phl_japan.get("fell", False)),
        "phl_japan_rose": bool(phl_japan.get("rose", False)),
        "leads": n_leads, "leads_excluding_zero": leads_up + leads_down,
        "lags": n_lags, "lags_above_zero": lags_up, "lags_below_zero": lags_down,
        "japan_estimate": japan["estimate"], "japan_ci": (japan["ci_low"], japan["ci_high"]),
        "japan_ci_excludes_zero": bool(japan["ci_low"] > 0 or japan["ci_high"] < 0),
        "mde": mde, "p_destinations": p_values[0], "p_exposure": p_values[1],
        "n_destinations": n_destinations,
        **_synth(japan_2017),
        "gravity": _ladder_signs(ladder),
        "deviance_model": (float(dev[("low", "model")]), float(dev[("high", "model")])),
        "deviance_naive": (float(dev[("low", naive[0])]), float(dev[("high", naive[0])])),
        "model_beats_naive": beats["low"] and beats["high"],
        "model_beats_naive_any": beats["low"] or beats["high"],
    }


def _ladder_signs(ladder: pd.DataFrame | None) -> dict[str, dict[str, str]]:
    """Per term and rung: ``+`` or ``-`` when the interval excludes zero, else ``0``."""
    if ladder is None:
        return {}
    out: dict[str, dict[str, str]] = {}
    for r in ladder.dropna(subset=["estimate"]).itertuples():
        sign = "+" if r.ci_low > 0 else "-" if r.ci_high < 0 else "0"
        out.setdefault(r.term, {})[r.spec] = sign
    return out


def _synth(result: dict | None) -> dict:
    """Flatten the 2017 synthetic control's status, post-period gaps and placebo p-value."""
    if result is None:
        return {"synth_status": None}
    out = {"synth_status": result["status"], "synth_reasons": list(result.get("reasons", []))}
    if result["status"] == "estimated":
        attrs = result["table"].attrs
        out.update(synth_gap=(result["bounds"]["value_low"], result["bounds"]["value_high"]),
                   synth_p=float(attrs["p_value"]), synth_placebos=int(attrs["n_placebos"]))
    return out


def _of(k: int, n: int) -> str:
    return f"{k} of {n}"


def interpretation(f: dict, verdict: str) -> str:
    """Write the notebook's reading of the estimates from :func:`findings` (no typed numbers).

    Args:
        f: :func:`findings` output.
        verdict: ``analysis.inference.verdict`` sentence for the Japan estimate.

    Returns:
        Markdown bullet points.
    """
    lines = []
    if f["entries_change"] is not None:
        lines.append(
            f"- **Japan's 2005 tightening was large**: new Filipino entrants with the "
            f"'Entertainer' status fell from {f['entries_2004']:,} (2004) to "
            f"{f['entries_2006']:,} (2006), {100 * f['entries_change']:+.0f}% (MOJ figures as "
            f"cited). GLOTIP's citizenship data begin in {f['first_year']}, so where those "
            "women went next cannot be seen in them.")
    if f["phl_japan_first"] is not None:
        y0, y1 = f["phl_japan_years"]
        trend = ("fell" if f["phl_japan_fell"] else "rose" if f["phl_japan_rose"] else
                 "did not change beyond what censoring allows")
        lines.append(
            f"- The share of detected Filipino victims found in Japan {trend}: "
            f"{pct(f['phl_japan_first'])} in {y0}, {pct(f['phl_japan_last'])} in {y1}. On its "
            "own this cannot tell a move to other routes from less detection in Japan.")
    lines.append(
        f"- **EU directive**: {_of(f['leads_excluding_zero'], f['leads'])} lead intervals "
        f"{'excludes' if f['leads_excluding_zero'] == 1 else 'exclude'} zero (pre-trends); "
        f"after transposition {_of(f['lags_above_zero'], f['lags'])} intervals lie above "
        f"zero and {f['lags_below_zero']} below. A change here is a change in EU detection "
        "as much as in trafficking.")
    n = f.get("n_destinations")
    floor = (f", where with {n} destinations the smallest p possible is {1 / n:.2f}"
             if n else "")
    lines.append(
        f"- **Displacement onto Japan after the EU deadline**: {verdict} Randomization "
        f"inference: p = {f['p_destinations']:.2f} (every non-EU destination with data as the "
        f"treated one{floor}), p = {f['p_exposure']:.2f} (exposure permuted across origins).")
    if f["synth_status"] == "estimated":
        lo, hi = sorted(f["synth_gap"])
        lines.append(
            f"- **Japan's 2017 acceptance of the Protocol** (synthetic control of Southeast "
            f"Asian victims detected in Japan): after 2017 the gap between Japan and its "
            f"synthetic twin is {lo:+.1f} to {hi:+.1f} detected victims a year (lower and "
            f"upper bounds); placebo p = {f['synth_p']:.2f} over {f['synth_placebos']} "
            "donors. " + " ".join(r[:1].upper() + r[1:].rstrip(".") + "."
                                  for r in f["synth_reasons"]))
    elif f["synth_status"] is not None:
        lines.append("- **Japan's 2017 acceptance of the Protocol**: the synthetic control is "
                     "not estimable: " + "; ".join(f["synth_reasons"]) + ".")
    if f["gravity"]:
        words = {"+": "above zero", "-": "below zero", "0": "includes zero"}
        parts = [f"{TERM_LABELS.get(t, t)}: " + ", ".join(f"{spec} {words[v]}" for spec, v
                                                          in rungs.items())
                 for t, rungs in f["gravity"].items()]
        lines.append("- **Gravity** (95% intervals by fixed-effect rung): " + "; ".join(parts)
                     + ". The protection coefficient mixes protection with detection effort.")
    m, n = f["deviance_model"], f["deviance_naive"]
    better = ("predicts the held-out years better than" if f["model_beats_naive"] else
              "does not predict the held-out years better than" if not
              f["model_beats_naive_any"] else "is not consistently better than")
    lines.append(
        f"- **Out of sample** the gravity model {better} the naive mean (deviance "
        f"{m[0]:,.0f} / {m[1]:,.0f} at lower / upper bounds against {n[0]:,.0f} / "
        f"{n[1]:,.0f}).")
    lines.append("- Everything here is about **detections, not prevalence**.")
    return "\n".join(lines)
