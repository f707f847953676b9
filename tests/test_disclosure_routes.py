"""Everything notebook 01 publishes about case records, checked together (figures and sentences)."""

import itertools

import numpy as np
import pandas as pd
import pytest

from analysis import flows, routes
from analysis.disclosure import WITHHELD

COLUMNS = ["year", "origin", "destination", "indicator", "sex", "age", "value_low",
           "value_high", "censored", "source"]


def case_flows(rows, source="template_cases"):
    return pd.DataFrame([(y, o, d, "detected_victims", "total", "total", v, v, False, source)
                         for y, o, d, v in rows], columns=COLUMNS)


def feasible(shown: dict, groups: dict, true: dict, bound: int):
    """Brute force: every whole-number table of the cells consistent with what is shown.

    The oracle knows only which keys the plan shows; it rebuilds each shown number from the
    true cells and enumerates all tables that reproduce every one of them.
    """
    cells = list(true)
    grids = np.array(list(itertools.product(range(bound + 1), repeat=len(cells))))
    ok = np.ones(len(grids), dtype=bool)
    for key, members in groups.items():
        if shown.get(key):
            cols = [cells.index(c) for c in members]
            ok &= grids[:, cols].sum(axis=1) == sum(true[c] for c in members)
    return grids[ok], cells


JAPAN = {("PHL", "JPN", 2017): 20, ("PHL", "JPN", 2018): 5, ("PHL", "JPN", 2019): 30}


def test_japan_20_5_30_the_hidden_year_cannot_be_recovered_from_what_is_shown():
    se = case_flows([(y, o, d, v) for (o, d, y), v in JAPAN.items()])
    periods = flows.periods(se.year, 3)  # one year per period: the period maps show years
    shown = routes.plan(se, "case", periods)
    f = routes.findings(se, "case", shown)
    every = list(JAPAN)
    groups = {("pair", "PHL", "JPN"): every, ("dest", "JPN"): every,
              ("mix", "Southeast Asia -> Japan", "PHL"): every,
              ("mix_total", "Southeast Asia -> Japan"): every, ("text", "total"): every,
              ("text", "japan"): every}
    for (o, d, y) in JAPAN:
        groups[("series", "Southeast Asia -> Japan", y)] = [(o, d, y)]
        groups[("period", str(y), o, d)] = [(o, d, y)]
    tables, cells = feasible(shown, groups, JAPAN, 55)
    hidden = tables[:, cells.index(("PHL", "JPN", 2018))]
    low, high = hidden.min(), hidden.max()
    assert high >= 11 and (low == 0 or high - low >= 11), (low, high)
    # The text still says 55 (the first thing shown wins) and the chart hides 2019 too.
    assert f["japan_text"] == "55" and shown[("pair", "PHL", "JPN")]
    assert not shown[("series", "Southeast Asia -> Japan", 2019)]
    assert not shown[("period", "2019", "PHL", "JPN")]


def test_the_old_rule_would_have_shown_20_and_30_beside_55():
    se = case_flows([(y, o, d, v) for (o, d, y), v in JAPAN.items()])
    series, _ = routes.route_series(se, flows.reporting_universe(se))
    old_rule = series[(series.value_low >= 11)]  # what protect_series showed before
    assert old_rule.value_low.tolist() == [20, 30]
    assert 55 - 20 - 30 == 5  # ...and the text's total gave the hidden year away


def test_a_ranking_of_suppressed_destinations_is_not_printed():
    se = case_flows([(2019, "PHL", "JPN", 8), (2019, "PHL", "KOR", 5), (2019, "VNM", "THA", 3)])
    shown = routes.plan(se, "case", flows.periods(se.year, 3))
    f = routes.findings(se, "case", shown)
    text = "\n".join(routes.summary(f))
    assert {"japan_rank", "top_destination", "japan"} <= set(f["withheld"])
    assert "ranking" not in text and "largest destination" not in text
    assert f["japan_text"] == WITHHELD and "Japan detected not shown (small groups)" in text
    for d in ("JPN", "KOR", "THA"):
        assert not shown[("dest", d)]
    # The same data as published aggregates: nothing is checked, everything is stated.
    agg = routes.findings(se.assign(source="glotip"), "aggregate")
    assert agg["japan_rank"] == 1 and agg["top_destination"] == "JPN"


def test_case_sentences_never_state_a_number_under_k():
    se = case_flows([(2016, "PHL", "JPN", 12), (2017, "PHL", "JPN", 4), (2016, "VNM", "GBR", 9),
                     (2017, "VNM", "DEU", 30), (2018, "THA", "DEU", 2)])
    shown = routes.plan(se, "case", flows.periods(se.year, 2))
    f = routes.findings(se, "case", shown)
    numbers = [int(n) for line in routes.summary(f) for n in
               __import__("re").findall(r"\b\d+\b", line) if int(n) < 1900]
    assert numbers and all(n >= 11 for n in numbers if n not in (f["n_destinations"],
                                                                 f["europe_reporters"]))


def test_case_findings_need_the_plan():
    se = case_flows([(2019, "PHL", "JPN", 20)])
    with pytest.raises(ValueError, match="plan"):
        routes.findings(se, "case")
    assert routes.plan(se.assign(source="glotip"), "aggregate", [(2019, 2019)]) is None
