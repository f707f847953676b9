"""Displacement designs: panel, coverage, first stage, transposition table, event studies."""

import numpy as np
import pandas as pd
import pytest

from analysis import countries, displacement, paths
from analysis.errors import InputError

FIXTURES = paths.ROOT / "tests" / "fixtures"
FLOWS = paths.PROCESSED / "flows.csv"


def _flows(rows):
    """A flows table from (year, origin, destination, low, high) rows."""
    t = pd.DataFrame(rows, columns=["year", "origin", "destination", "value_low", "value_high"])
    return t.assign(indicator="detected_victims", sex="total", age="total",
                    censored=t.value_low != t.value_high, source="glotip")


def _sim_panel(origins, destinations, years, log_mu, seed):
    """Poisson counts from log means log_mu(o, d, t), published with <5 censored."""
    rng = np.random.default_rng(seed)
    grid = pd.MultiIndex.from_product([origins, destinations, years],
                                      names=["origin", "destination", "year"]).to_frame(
        index=False)
    mu = np.exp([log_mu(o, d, t) for o, d, t in grid.itertuples(index=False)])
    y = rng.poisson(mu)
    small = (y >= 1) & (y <= 4)
    return grid.assign(value_low=np.where(small, 1, y), value_high=np.where(small, 4, y),
                       censored=small)


# --------------------------------------------------------------------------- panel, coverage


def test_panel_fills_true_zeros_only_inside_the_reporting_universe():
    flows = _flows([(2010, "PHL", "JPN", 5, 5), (2010, "THA", "NLD", 1, 4),
                    (2011, "PHL", "NLD", 3, 3), (2011, "THA", "JPN", 9, 9),
                    (2011, "JPN", "JPN", 9, 9)])
    panel = displacement.citizenship_panel(flows, origins=("PHL", "THA"))
    cells = {(r.origin, r.destination, r.year): (r.value_low, r.value_high, r.censored)
             for r in panel.itertuples()}
    assert cells[("PHL", "JPN", 2010)] == (5, 5, False)
    assert cells[("THA", "NLD", 2010)] == (1, 4, True)          # <5 stays 1-4
    assert cells[("THA", "JPN", 2010)] == (0, 0, False)         # JPN reported 2010: true zero
    assert cells[("PHL", "NLD", 2010)] == (0, 0, False)
    assert ("PHL", "JPN", 2011) in cells and ("THA", "NLD", 2011) in cells
    assert all(o != d for o, d, _ in cells)                     # domestic left out
    assert len(panel) == 2 * 2 * 2                              # universe x origins
    assert int(panel.value_low.sum()) == 5 + 1 + 3 + 9


def test_coverage_states_years_and_what_they_rule_out():
    flows = _flows([(2007, "PHL", "JPN", 22, 22), (2008, "PHL", "NLD", 1, 4),
                    (2009, "PHL", "JPN", 1, 4)])
    cov = displacement.citizenship_coverage(flows)
    assert cov["years"] == [2007, 2008, 2009]
    assert cov["japan_years"] == [2007, 2009]
    assert cov["rows_by_year"] == {2007: 1, 2008: 1, 2009: 1}
    assert "2007-2009" in cov["note"] and "no pre-period" in cov["note"]
    assert "missing: 2008" in cov["note"]


def test_coverage_of_the_committed_flows_starts_in_2007_and_japan_lacks_2017():
    flows = pd.read_csv(FLOWS, keep_default_na=False)
    cov = displacement.citizenship_coverage(flows)
    assert cov["years"] == list(range(2007, 2020))
    assert 2017 not in cov["japan_years"] and len(cov["japan_years"]) == 12


def test_coverage_without_citizenship_rows_is_an_input_error():
    flows = _flows([(2010, "PHL", "JPN", 5, 5)]).assign(indicator="repatriated_victims")
    with pytest.raises(InputError, match="citizenship"):
        displacement.citizenship_coverage(flows)


# --------------------------------------------------------------------------- first stage


def test_first_stage_matches_the_published_counts():
    table = pd.read_csv(FIXTURES / "japan_entertainer_small.csv", dtype={"year": str})
    fs = displacement.entertainer_first_stage(table)
    assert fs[["year_from", "year_to"]].values.tolist() == [[2004, 2005], [2005, 2006]]
    # hand-computed: 47,765 / 82,741 - 1 and 8,607 / 47,765 - 1
    assert fs.percent_change.tolist() == [-42.27, -81.98]
    assert fs.value_to.tolist() == [47765, 8607]


def test_first_stage_reads_the_processed_table_too():
    path = paths.PROCESSED / "japan_entertainer.csv"
    if not path.exists():
        pytest.skip(f"{path} not built yet")
    fs = displacement.entertainer_first_stage(pd.read_csv(path))
    assert fs.percent_change.tolist() == [-42.27, -81.98]
    mixed = pd.DataFrame({"year": [2004, 2005], "nationality_iso3": "PHL", "measure": "m",
                          "value": [10, 5], "partial_year": [True, False]})
    with pytest.raises(InputError, match="part-year"):
        displacement.entertainer_first_stage(mixed, measure="m")


def test_first_stage_with_one_year_is_an_input_error():
    table = pd.read_csv(FIXTURES / "japan_entertainer_small.csv", dtype={"year": str})
    with pytest.raises(InputError, match="fewer than two"):
        displacement.entertainer_first_stage(table.iloc[[0, 3]])
    with pytest.raises(InputError, match="missing column"):
        displacement.entertainer_first_stage(table.drop(columns="measure"))


# --------------------------------------------------------------------------- transposition


def test_transposition_table_is_complete_and_sourced():
    raw = pd.read_csv(displacement.TRANSPOSITION_FILE, dtype=str, keep_default_na=False)
    assert list(raw.columns) == ["iso3", "transposition_date", "date_precision", "date_kind",
                                 "measure", "source", "confidence", "note"]
    assert set(raw.iso3) == set(countries.EU27) | {"GBR"} and raw.iso3.is_unique
    assert set(raw.confidence) <= {"high", "medium", "low", "not found", "not bound"}
    dated = raw[raw.transposition_date != ""]
    assert (dated.source != "").all() and (dated.measure != "").all()
    assert (dated.confidence.isin(["high", "medium", "low"])).all()
    assert set(raw[raw.confidence == "not found"].transposition_date) == {""}
    days = dated[dated.date_precision == "day"].transposition_date
    assert pd.to_datetime(days, format="%Y-%m-%d").between("2011-04-05", "2020-01-31").all()


def test_transposition_years_impute_the_deadline_with_a_flag():
    t = displacement.load_transposition().set_index("iso3")
    assert t.loc["NLD", "treat_year"] == 2013 and not t.loc["NLD", "imputed"]
    assert t.loc["DEU", "treat_year"] == 2016 and t.loc["ITA", "treat_year"] == 2014
    assert t.loc["ESP", "treat_year"] == 2015                     # year-only date
    assert np.isnan(t.loc["DNK", "treat_year"]) and not t.loc["DNK", "imputed"]
    assert t.loc["POL", "imputed"] and t.loc["POL", "treat_year"] == 2013
    assert t.loc["IRL", "treat_year"] == 2013 and not t.loc["IRL", "imputed"]
    assert (t.loc[["PRT", "GRC", "LUX"], "treat_year"] == [2013, 2013, 2014]).all()
    assert int(t.imputed.sum()) == 10
    assert t.loc["AUT", "treat_year"] == 2013 and not t.loc["AUT", "imputed"]


def test_bad_transposition_date_names_the_row(tmp_path):
    bad = tmp_path / "t.csv"
    bad.write_text("iso3,transposition_date,confidence\nNLD,2013-11-06,high\nBEL,29/04/13,"
                   "medium\n")
    with pytest.raises(InputError) as err:
        displacement.load_transposition(bad)
    assert err.value.row == 3 and err.value.column == "transposition_date"


# --------------------------------------------------------------------------- event studies


def test_eu_event_study_recovers_a_known_staggered_effect():
    eu = ["AUT", "BEL", "DEU", "ESP", "FRA", "ITA", "NLD", "POL", "SWE", "FIN", "IRL", "PRT"]
    other = ["USA", "CAN", "AUS", "ISR", "CHE", "NOR"]
    treat = dict(zip(eu, [2012, 2012, 2013, 2013, 2013, 2014, 2014, 2015, 2015, 2016, 2016,
                          2013], strict=True))
    rng = np.random.default_rng(7)
    origins = ["PHL", "THA", "VNM", "IDN", "KHM", "MMR"]
    a = {(o, d): rng.uniform(2.5, 3.5) for o in origins for d in eu + other}
    b = {(o, t): rng.normal(0, 0.2) for o in origins for t in range(2007, 2020)}

    def log_mu(o, d, t):
        return a[o, d] + b[o, t] + (0.4 if d in treat and t >= treat[d] else 0.0)

    panel = _sim_panel(origins, eu + other, range(2007, 2020), log_mu, seed=8)
    table = pd.DataFrame({"iso3": list(treat), "treat_year": list(treat.values()),
                          "imputed": False})
    es = displacement.eu_event_study(panel, table, leads=3, lags=3).set_index("rel_year")
    assert es.loc[-1, "estimate"] == 0
    assert es.loc[[-3, -2], "estimate"].abs().max() < 0.12          # flat leads
    assert (es.loc[[0, 1, 2, 3], "estimate"] - 0.4).abs().max() < 0.12
    assert (es.loc[[0, 1, 2, 3], "ci_low"] > 0).all()
    assert "detected victims, not prevalence" in es.attrs["note"]


def test_exposure_event_study_recovers_a_known_displacement():
    dests = ["JPN", "USA", "CAN", "AUS", "KOR", "ISR", "ARE", "SAU", "MYS", "SGP"]
    origins = ["PHL", "THA", "VNM", "IDN", "KHM", "MMR", "LAO", "MYS"]
    exposure = pd.Series([0.9, 0.6, 0.8, 0.3, 0.0, 0.1, 0.5, 0.0], index=origins)
    rng = np.random.default_rng(3)
    a = {(o, d): rng.uniform(2.5, 3.5) for o in origins for d in dests}
    g = {(d, t): rng.normal(0, 0.3) for d in dests for t in range(2007, 2020)}

    def log_mu(o, d, t):
        return a[o, d] + g[d, t] + (0.8 * exposure[o] if t >= 2013 else 0.0)

    panel = _sim_panel(origins, dests, range(2007, 2020), log_mu, seed=4)
    panel = panel[panel.origin != panel.destination]
    es = displacement.exposure_event_study(panel, exposure, 2013).set_index("rel_year")
    assert es.loc[-1, "estimate"] == 0 and es.loc[-1, "year"] == 2012
    assert es.loc[-6:-2, "estimate"].abs().max() < 0.2
    assert (es.loc[0:6, "estimate"] - 0.8).abs().max() < 0.2


def test_eu_exposure_bounds_by_hand():
    panel = pd.DataFrame({"origin": ["PHL", "PHL", "PHL", "THA"],
                          "destination": ["NLD", "JPN", "NLD", "USA"],
                          "year": [2010, 2010, 2014, 2010],
                          "value_low": [1, 6, 50, 3], "value_high": [4, 6, 50, 3],
                          "censored": [True, False, False, False]})
    ex = displacement.eu_exposure(panel, 2013).set_index("origin")
    assert ex.loc["PHL", "share_low"] == pytest.approx(1 / 7)     # 2014 is after the cut
    assert ex.loc["PHL", "share_high"] == pytest.approx(4 / 10)
    assert ex.loc["PHL", "exposure"] == pytest.approx((1 / 7 + 0.4) / 2)
    assert ex.loc["THA", "exposure"] == 0


def test_japan_2005_returns_the_statement_and_a_level_difference():
    dests = ["NLD", "DEU", "GBR", "FRA", "USA", "CAN", "AUS", "ARE"]
    origins = ["PHL", "THA", "VNM", "IDN", "KHM"]
    rng = np.random.default_rng(11)
    b = {(o, t): rng.normal(3, 0.2) for o in origins for t in range(2007, 2016)}
    g = {(d, t): rng.normal(0, 0.2) for d in dests for t in range(2007, 2016)}

    def log_mu(o, d, t):
        return b[o, t] + g[d, t] + (0.7 if o == "PHL" and d in countries.EUROPE else 0.0)

    panel = _sim_panel(origins, dests, range(2007, 2016), log_mu, seed=12)
    res = displacement.japan_2005(panel, pd.Series({"PHL": 1.0}))
    est = res["estimate"].iloc[0]
    assert est.estimate == pytest.approx(0.7, abs=0.1)
    assert "no pre-2005 period" in res["coverage"]
    assert "PHL" in res["weakness"] and "not prevalence" in res["weakness"]


# --------------------------------------------------------------------------- deflection


def test_deflection_term_by_hand():
    panel = pd.DataFrame({"origin": "PHL", "destination": ["A", "B", "C"] * 2,
                          "year": [2009] * 3 + [2010] * 3,
                          "value_low": [5, 3, 2, 9, 9, 9], "value_high": [5, 3, 2, 9, 9, 9],
                          "censored": False})
    prot = pd.DataFrame({"iso3": ["A", "B", "C"], "year": 2009, "protection": [10, 20, 40.0]})
    out = displacement.deflection_term(panel, prot, base_years=[2009]).set_index(
        ["destination", "year"])
    # weights 0.5, 0.3, 0.2; protection read one year earlier
    assert out.loc[("A", 2010), "deflection"] == pytest.approx((0.3 * 20 + 0.2 * 40) / 0.5)
    assert out.loc[("C", 2010), "deflection"] == pytest.approx((0.5 * 10 + 0.3 * 20) / 0.8)
    assert out.loc[("B", 2010), "own_protection"] == 20
    assert np.isnan(out.loc[("A", 2009), "deflection"])              # no 2008 protection


def test_deflection_recovers_a_known_coefficient():
    origins = ["PHL", "THA", "VNM", "IDN", "KHM", "MMR"]
    dests = ["JPN", "NLD", "DEU", "USA", "KOR", "AUS", "GBR", "FRA"]
    years = range(2007, 2017)
    rng = np.random.default_rng(5)
    prot = pd.DataFrame([(d, t, rng.uniform(0, 2)) for d in dests for t in range(2006, 2017)],
                        columns=["iso3", "year", "protection"])
    p = prot.set_index(["iso3", "year"]).protection
    a = {(o, d): rng.uniform(2.5, 3.5) for o in origins for d in dests}
    share = {o: np.exp([a[o, d] for d in dests]) / np.exp([a[o, d] for d in dests]).sum()
             for o in origins}

    def defl(o, d, t):
        w = {k: s for k, s in zip(dests, share[o], strict=True) if k != d}
        return sum(w[k] * p[k, t - 1] for k in w) / sum(w.values())

    def log_mu(o, d, t):
        if t <= 2008:  # base years: no policy term, so the weights are the a_od shares
            return a[o, d]
        return a[o, d] + 0.3 * p[d, t - 1] + 0.5 * defl(o, d, t)

    panel = _sim_panel(origins, dests, years, log_mu, seed=6)
    res = displacement.deflection(panel, prot, base_years=(2007, 2008)).set_index("term")
    assert res.estimate.iloc[0] == pytest.approx(0.3, abs=0.1)
    assert res.estimate.iloc[1] == pytest.approx(0.5, abs=0.35)
    assert "not prevalence" in res.attrs["note"]


def test_transposition_provenance_matches_the_file():
    import json

    from analysis import provenance

    record = provenance.verify_folder(paths.DATA / "policy")
    assert record["files"]["eu_2011_36_transposition.csv"]["sha256"]
    raw = pd.read_csv(displacement.TRANSPOSITION_FILE, dtype=str, keep_default_na=False)
    counts = json.loads((paths.DATA / "policy" / "provenance.json").read_text())
    assert counts["rows"] == len(raw) == 28
    assert counts["confidence_counts"]["not found"] == (raw.confidence == "not found").sum() == 10
