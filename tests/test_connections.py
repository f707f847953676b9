"""The connections notebook's glue: route shares, Japan's official series, events, findings."""

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import require

from analysis import connections, paths
from analysis.errors import InputError

JAPAN, EUROPE = connections.ROUTE_GROUPS
OTHER = connections.OTHER_GROUP
FIXTURES = Path(__file__).parent / "fixtures"


def flow(origin, destination, year, low, high=None):
    high = low if high is None else high
    return {"origin": origin, "destination": destination, "year": year, "value_low": low,
            "value_high": high, "censored": low != high}


def test_route_shares_hand_computed():
    # Japan 10, the UK 1-4 (censored), the US 20: 31 to 34 Filipino victims detected.
    flows = pd.DataFrame([flow("PHL", "JPN", 2010, 10), flow("PHL", "GBR", 2010, 1, 4),
                          flow("PHL", "USA", 2010, 20)])
    s = connections.route_shares(flows).set_index("group")
    assert s.loc[JAPAN, ["share_low", "share_high", "share_lb"]].tolist() == pytest.approx(
        [10 / 34, 10 / 31, 10 / 31])
    assert s.loc[EUROPE, ["share_low", "share_high", "share_lb"]].tolist() == pytest.approx(
        [1 / 31, 4 / 34, 1 / 31])
    assert s.loc[OTHER, ["share_low", "share_high"]].tolist() == pytest.approx([20 / 34, 20 / 31])
    assert s.total_low.unique().tolist() == [31] and s.total_high.unique().tolist() == [34]


def test_route_shares_bounds_match_brute_force_over_censored_values():
    rng = np.random.default_rng(7)
    dests = ["JPN", "FRA", "GBR", "THA", "USA"]
    for _ in range(25):
        rows = []
        for d in rng.choice(dests, size=rng.integers(2, 5), replace=False):
            if rng.random() < 0.5:
                rows.append(flow("VNM", d, 2012, 1, 4))
            else:
                rows.append(flow("VNM", d, 2012, int(rng.integers(0, 30))))
        flows = pd.DataFrame(rows)
        got = connections.route_shares(flows)
        if got.empty:
            continue
        # Oracle: every combination of values the censored cells could take (1-4 each).
        cens = flows.index[flows.censored].tolist()
        shares = {g: [] for g in got.group}
        for combo in itertools.product(range(1, 5), repeat=len(cens)):
            v = flows.value_low.astype(float).copy()
            v[cens] = combo
            grp = flows.destination.map({"JPN": JAPAN, "FRA": EUROPE, "GBR": EUROPE})
            grp = grp.fillna(OTHER)
            for g in shares:
                shares[g].append(v[grp == g].sum() / v.sum())
        for row in got.itertuples():
            assert row.share_low == pytest.approx(min(shares[row.group]))
            assert row.share_high == pytest.approx(max(shares[row.group]))
            assert row.share_low - 1e-12 <= row.share_lb <= row.share_high + 1e-12


def test_a_group_that_did_not_report_gets_no_share_not_zero():
    flows = pd.DataFrame([flow("PHL", "GBR", 2017, 8), flow("PHL", "USA", 2017, 12)])
    reporting = pd.DataFrame({"year": [2017, 2017, 2017],
                              "destination": ["GBR", "USA", "FRA"]})  # Japan missing
    s = connections.route_shares(flows, reporting=reporting).set_index("group")
    assert not s.at[JAPAN, "reported"] and np.isnan(s.at[JAPAN, "share_low"])
    assert s.at[EUROPE, "reported"] and s.at[EUROPE, "share_lb"] == pytest.approx(0.4)
    # Without the reporting table, the same zero reads as a true zero.
    plain = connections.route_shares(flows).set_index("group")
    assert plain.at[JAPAN, "share_high"] == 0.0


def test_min_total_drops_small_origin_years_and_missing_column_is_an_input_error():
    flows = pd.DataFrame([flow("KHM", "THA", 2010, 6), flow("LAO", "THA", 2010, 30)])
    kept = connections.route_shares(flows, min_total=11)
    assert set(kept.origin) == {"LAO"}
    with pytest.raises(InputError) as err:
        connections.route_shares(flows.drop(columns="value_high"))
    assert err.value.column == "value_high"


def victims_rows():
    cols = ["series", "period_start", "period_end", "year_type", "nationality_iso3", "count",
            "derived"]
    rows = [("npa_police_victims", 2004, 2004, "calendar", "ALL", 77, "no"),
            ("npa_police_victims", 2005, 2005, "calendar", "ALL", 117, "no"),
            ("npa_police_victims", 2005, 2005, "calendar", "PHL", 40, "no"),
            ("npa_police_victims", 2001, 2013, "calendar", "THA", 900, "no"),
            ("us_tip_report_identified", 2005, 2005, "calendar", "ALL", 116, "no"),
            ("gov_council_total_protected", 2022, 2022, "calendar", "ALL", 46, "yes")]
    return pd.DataFrame(rows, columns=cols)


def test_official_totals_keep_each_series_apart_in_both_layouts():
    published = victims_rows()
    got = connections.official_totals(published)
    assert got[["series", "year", "count"]].values.tolist() == [
        ["gov_council_total_protected", 2022, 46], ["npa_police_victims", 2004, 77],
        ["npa_police_victims", 2005, 117], ["us_tip_report_identified", 2005, 116]]
    assert got.derived.tolist() == [True, False, False, False]
    # The processed layout: year, booleans, cumulative rows flagged rather than spanning.
    processed = published.assign(year=published.period_end,
                                 cumulative=published.period_start < published.period_end,
                                 derived=published.derived == "yes")
    assert connections.official_totals(processed).equals(got)


def test_two_totals_for_one_series_and_year_are_refused():
    table = pd.concat([victims_rows(), victims_rows().iloc[[1]].assign(count=116)])
    with pytest.raises(InputError, match="npa_police_victims has 2 totals for 2005"):
        connections.official_totals(table)


def test_entertainer_entries_whole_years_only_measures_apart():
    table = pd.DataFrame({
        "year": ["2004", "2005", "2004-01..07", "2004", "2006"],
        "nationality_iso3": ["PHL", "PHL", "PHL", "PHL", "THA"],
        "measure": ["new_entrants_entertainer_status"] * 2
        + ["poea_overseas_performing_artists_deployed_to_japan",
           "entertainer_visas_issued_mofa", "new_entrants_entertainer_status"],
        "value": [82741, 47765, 37958, 85479, 10], "unit": ["persons"] * 3 + ["visas", "persons"]})
    got = connections.entertainer_entries(table)
    assert got.values.tolist() == [["entertainer_visas_issued_mofa", 2004, 85479, "visas"],
                                   ["new_entrants_entertainer_status", 2004, 82741, "persons"],
                                   ["new_entrants_entertainer_status", 2005, 47765, "persons"]]
    processed = table.assign(partial_year=table.year.str.contains(r"\.\."),
                             year=table.year.str[:4].astype(int))
    assert connections.entertainer_entries(processed).equals(got)


def test_event_positions_on_a_yearly_axis():
    # Year Y's value sits at Y and stands for Y - 0.5 .. Y + 0.5.
    assert connections.PolicyEvent("2005", "x", "s").x == 2005.0
    assert connections.PolicyEvent("2005-01-01", "x", "s").x == 2004.5
    # 7 Dec 2004 is day 341 after 1 Jan in a leap year of 366 days.
    assert connections.PolicyEvent("2004-12-07", "x", "s").x == pytest.approx(
        2003.5 + 341 / 366)
    table = connections.events_table()
    assert table.year_only.tolist() == [False, False, True, False]
    assert table.x.is_monotonic_increasing and table.source.str.len().min() > 20


def test_action_plan_date_is_the_one_in_the_protection_coding():
    coding = pd.read_csv(paths.PROTECTION / "coding.csv", dtype=str)
    plan = coding[(coding.iso3 == "JPN")
                  & coding.legal_basis.str.startswith("Action Plan of 7 Dec 2004")]
    # Provisions resting on the plan start on its date (or later, e.g. IOM returns in 2005).
    assert min(plan.valid_from) == connections.JAPAN_EVENTS[0].when
    before = coding[(coding.iso3 == "JPN") & (coding.valid_to == "2004-12-07")]
    assert len(before) >= 3  # what had no provision ends the day the plan starts


@pytest.mark.shared
def test_event_dates_are_those_in_the_shared_tables():
    treaty = pd.read_csv(require(paths.shared_file("treaty_dates",
                                                   "palermo_tip_protocol_asem.csv")))
    assert treaty.set_index("iso3").at["JPN", "consent_date"] == \
        connections.JAPAN_EVENTS[3].when
    ent = pd.read_csv(require(paths.shared_file("japan_official",
                                                "japan_entertainer_entries.csv")))
    assert ent.note.str.contains("Rule change effective 15 March 2005").any()
    assert connections.JAPAN_EVENTS[1].when == "2005-03-15"
    source_md = paths.shared_file("japan_official", "SOURCE.md").read_text()
    assert "2005 Penal Code amendment" in source_md and connections.JAPAN_EVENTS[2].when == "2005"


def test_share_findings_and_coverage_on_a_hand_case():
    flows = pd.DataFrame([flow("PHL", "JPN", 2007, 30), flow("PHL", "USA", 2007, 10),
                          flow("PHL", "JPN", 2009, 1, 4), flow("PHL", "USA", 2009, 40)])
    s = connections.route_shares(flows)
    f = connections.share_findings(s, "PHL", JAPAN)
    assert f["first"] == pytest.approx((0.75, 0.75))
    assert f["last"] == pytest.approx((1 / 41, 4 / 44)) and f["fell"] and not f["rose"]
    cov = connections.coverage_findings(flows)
    assert cov["japan_first_year"] == 2007 and cov["japan_missing"] == [2008]
    assert cov["events_before_data"] == [e.label for e in connections.JAPAN_EVENTS[:3]]
    assert connections.pct((0.1, 0.14)) == "10-14%" and connections.pct((0.5, 0.5)) == "50%"


def test_non_eu_destinations_count_the_uk_as_eu_until_2019():
    panel = pd.DataFrame({"destination": ["JPN", "GBR", "FRA", "NOR", "USA"],
                          "year": [2010, 2010, 2010, 2010, 2010]})
    assert connections.non_eu_destinations(panel) == ["JPN", "NOR", "USA"]


def test_observed_vs_predicted_and_naive_mean_of_last_three_fit_years():
    panel = pd.DataFrame([flow("PHL", "JPN", y, v) for y, v in
                          [(2011, 100), (2012, 2), (2013, 4), (2014, 6), (2016, 9)]]
                         + [flow("VNM", "GBR", 2016, 1, 4)])
    preds = pd.DataFrame({"origin": ["PHL", "VNM", "THA"], "destination": ["JPN", "GBR", "JPN"],
                          "year": [2016, 2016, 2016], "predicted": [7.5, 2.0, np.nan]})
    got = connections.observed_vs_predicted(preds, panel, (2007, 2015))
    assert got[["origin", "observed_low", "observed_high", "predicted"]].values.tolist() == [
        ["PHL", 9, 9, 7.5], ["VNM", 1, 4, 2.0]]
    assert got.naive.iloc[0] == pytest.approx(4.0)  # (2 + 4 + 6) / 3, not 100
    assert np.isnan(got.naive.iloc[1])  # no fit years for that pair
    only = connections.observed_vs_predicted(preds, panel, (2007, 2015), origins=["VNM"])
    assert only.origin.tolist() == ["VNM"]


def deviance_table(model=(10.0, 20.0), naive=(30.0, 15.0)):
    return pd.DataFrame({"bound": ["low", "low", "high", "high"],
                         "predictor": ["model", "naive last-3-years mean"] * 2,
                         "deviance": [model[0], naive[0], model[1], naive[1]]})


def test_deviance_bars_label_predictor_and_bound():
    bars = connections.deviance_bars(deviance_table())
    assert list(bars.items()) == [("model (low bounds)", 10.0),
                                  ("naive last-3-years mean (low bounds)", 30.0),
                                  ("model (high bounds)", 20.0),
                                  ("naive last-3-years mean (high bounds)", 15.0)]


def test_findings_and_interpretation_follow_the_numbers():
    first_stage = pd.DataFrame({"year_from": [2004, 2005], "year_to": [2005, 2006],
                                "value_from": [82741.0, 47765.0], "value_to": [47765.0, 8607.0]})
    es = pd.DataFrame({"rel_year": [-3, -2, -1, 0, 1, 2],
                       "estimate": [0.1, 0.5, 0.0, 0.4, -0.6, np.nan],
                       "ci_low": [-0.2, 0.1, 0.0, 0.1, -0.9, np.nan],
                       "ci_high": [0.4, 0.9, 0.0, 0.7, -0.3, np.nan]})
    share = {"first": (0.36, 0.38), "last": (0.03, 0.03), "first_year": 2007,
             "last_year": 2019, "fell": True, "rose": False}
    kw = {"coverage": {"first_year": 2007, "japan_missing": [2017]}, "first_stage": first_stage,
          "phl_japan": share, "event_study": es, "mde": 0.75, "p_values": (0.5, 0.25),
          "japan": {"estimate": -0.2, "ci_low": -0.9, "ci_high": 0.5}}
    f = connections.findings(**kw, deviance=deviance_table(), n_destinations=5)
    assert (f["entries_2004"], f["entries_2006"]) == (82741, 8607)
    assert f["entries_change"] == pytest.approx(8607 / 82741 - 1)
    assert (f["leads"], f["leads_excluding_zero"]) == (2, 1)
    assert (f["lags"], f["lags_above_zero"], f["lags_below_zero"]) == (2, 1, 1)
    assert not f["japan_ci_excludes_zero"]
    assert not f["model_beats_naive"] and f["model_beats_naive_any"]
    text = connections.interpretation(f, "VERDICT.")
    assert "from 82,741 (2004) to 8,607 (2006), -90%" in text
    assert "found in Japan fell: 36-38% in 2007, 3% in 2019" in text
    assert "1 of 2 lead intervals excludes zero" in text and "VERDICT." in text
    assert "with 5 destinations the smallest p possible is 0.20" in text
    assert "is not consistently better than" in text and "p = 0.50" in text
    better = connections.findings(**kw, deviance=deviance_table(naive=(30.0, 25.0)))
    assert "predicts the held-out years better than" in connections.interpretation(better, "")
    table = pd.DataFrame({"year": [2016, 2018]})
    table.attrs.update(p_value=0.5, n_placebos=6)
    synth = {"status": "estimated", "table": table, "reasons": ["poor pre-period fit"],
             "bounds": {"value_low": -9.3, "value_high": -7.5}}
    s17 = connections.findings(**kw, deviance=deviance_table(), japan_2017=synth)
    text17 = connections.interpretation(s17, "")
    assert "the gap between Japan and its synthetic twin is -9.3 to -7.5 detected" in text17
    assert "placebo p = 0.50 over 6 donors. Poor pre-period fit." in text17
    none = connections.findings(**kw, deviance=deviance_table(), japan_2017={
        "status": "not estimable", "reasons": ["only 1 post-years (need 2)"]})
    assert "not estimable: only 1 post-years (need 2)." in connections.interpretation(none, "")
    ladder = pd.DataFrame({"spec": ["o+d+t", "o+d+t", "ot+dt"],
                           "term": ["ln_stock", "protection", "ln_stock"],
                           "estimate": [0.4, 0.05, 0.5], "ci_low": [0.2, -0.01, -0.1],
                           "ci_high": [0.6, 0.1, 1.1]})
    g = connections.findings(**kw, deviance=deviance_table(), ladder=ladder)
    assert g["gravity"] == {"ln_stock": {"o+d+t": "+", "ot+dt": "0"},
                            "protection": {"o+d+t": "0"}}
    assert ("migrants from the origin in the destination (log, t-1): o+d+t above zero, "
            "ot+dt includes zero") in connections.interpretation(g, "")
    flat = connections.findings(**{**kw, "phl_japan": {**share, "fell": False}},
                                deviance=deviance_table())
    assert "did not change beyond what censoring allows" in connections.interpretation(flat, "")


@pytest.mark.notebooks
def test_connections_notebook_runs_end_to_end(tmp_path):
    from conftest import run_report

    names = ("connections-japan-official", "connections-route-shares",
             "connections-eu-event-study", "connections-power", "connections-gravity-ladder",
             "connections-out-of-sample")
    sidecars, log = run_report("03", tmp_path, names)
    assert "[1/1] 03-connections.ipynb" in log
    for name in ("connections-eu-event-study", "connections-power",
                 "connections-gravity-ladder"):
        assert sidecars[name]["disclosure"]["kind"] == "covariate"  # estimates, no counts
    shares = sidecars["connections-route-shares"]
    assert shares["disclosure"]["cells"] > 0 and "not prevalence" in shares["notes"]
    assert "never added" in sidecars["connections-japan-official"]["notes"]
