"""Notebook controls: callbacks give what the library gives, and never a small group."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis import countries, explore, flows, paths, protection, routes  # noqa: E402


@pytest.fixture(scope="module")
def table():
    return flows.load(paths.PROCESSED)


def _se(table, period=(2003, 2019)):
    se = flows.from_origins(table[table.source == "glotip"], countries.SOUTHEAST_ASIA)
    return se[(se.year >= period[0]) & (se.year <= period[1])]


def test_all_years_view_equals_the_static_map_pairs(table):
    view = explore.routes_view(table, explore.RoutesState("glotip", (2003, 2019)))
    pairs = flows.sum_bounds(_se(table), ["origin", "destination"])
    expected = pairs[pairs.value_low >= 5].reset_index(drop=True)
    pd.testing.assert_frame_equal(view.pairs, expected)
    assert len(view.pairs) == 85  # what routes-map-all-years draws
    assert view.record == {"kind": "aggregate", "source": "glotip", "threshold": 5,
                           "override": False, "checked": True, "cells": 85, "small_cells": 0}
    assert view.withheld == []


def test_a_period_view_equals_routes_period_pairs(table):
    view = explore.routes_view(table, explore.RoutesState("glotip", (2010, 2014)))
    pairs = routes.period_pairs(_se(table), [(2010, 2014)])["2010-2014"]
    expected = pairs[pairs.value_low >= 5].reset_index(drop=True)
    pd.testing.assert_frame_equal(view.pairs, expected)
    assert view.pairs.value_low.min() >= 5


def test_a_destination_group_view_is_the_subset(table):
    everything = explore.routes_view(table, explore.RoutesState("glotip", (2003, 2019)))
    japan = explore.routes_view(table, explore.RoutesState("glotip", (2003, 2019),
                                                           destinations="Japan"))
    assert set(japan.pairs.destination) == {"JPN"}
    pd.testing.assert_frame_equal(
        japan.pairs, everything.pairs[everything.pairs.destination == "JPN"]
        .reset_index(drop=True))


def test_series_equals_route_series(table):
    view = explore.routes_view(table, explore.RoutesState("glotip", (2003, 2019)))
    universe = flows.reporting_universe(table[table.source == "glotip"])
    series, _ = routes.route_series(_se(table), universe)
    assert view.series[["route", "year", "value_low", "value_high"]].astype(
        {"value_low": int}).equals(series[["route", "year", "value_low", "value_high"]])
    # GLOTIP's yearly sums may be small (censored at source): shown, with the override on record.
    assert view.series_record["override"] is True


def _case_flows() -> pd.DataFrame:
    rows = [  # (year, origin, destination, count): one small cell, VNM -> JPN 2019 = 3
        (2018, "PHL", "JPN", 20), (2019, "PHL", "JPN", 30), (2019, "VNM", "JPN", 3),
        (2018, "VNM", "GBR", 15), (2019, "VNM", "GBR", 40), (2019, "THA", "GBR", 12),
        (2019, "PHL", "GBR", 25),
    ]
    return pd.DataFrame({
        "year": [r[0] for r in rows], "origin": [r[1] for r in rows],
        "destination": [r[2] for r in rows], "indicator": "detected_victims",
        "sex": "total", "age": "total", "value_low": [r[3] for r in rows],
        "value_high": [r[3] for r in rows], "censored": False, "source": "template_cases"})


def test_case_records_never_show_the_small_cell_nor_let_it_be_derived():
    view = explore.routes_view(_case_flows(),
                               explore.RoutesState("template_cases", (2018, 2019)))
    assert view.kind == "case" and view.threshold == 11
    shown = view.pairs
    assert not ((shown.value_low > 0) & (shown.value_low < 11)).any()
    assert ("VNM", "JPN") not in set(zip(shown.origin, shown.destination, strict=True))
    # Hand-made attack: Japan 2019 (33) - (PHL->JPN over both years 50 - Japan 2018 20) = 3.
    japan = view.series[view.series.route == "Southeast Asia -> Japan"].set_index("year")
    pair_shown = ("PHL", "JPN") in set(zip(shown.origin, shown.destination, strict=True))
    years_shown = [not japan.at[y, "suppressed"] for y in (2018, 2019)]
    assert not (pair_shown and all(years_shown)), "VNM -> JPN 2019 = 3 could be derived"
    assert not ((japan.value_low > 0) & (japan.value_low < 11)).any()


def test_a_case_table_with_a_small_cell_is_withheld():
    small = pd.DataFrame({"origin": ["VNM", "PHL"], "destination": ["JPN", "JPN"],
                          "value_low": [3, 30], "value_high": [3, 30]})
    out, record, reasons = explore.checked(small, "template_cases")
    assert out.empty and record["withheld"] is True and record["threshold"] == 11
    assert reasons and "11" in reasons[0]
    # The same table from published aggregates (k = 5) is withheld too; at k = 5 a 30 alone passes.
    assert explore.checked(small, "glotip")[0].empty
    assert len(explore.checked(small[small.value_low >= 5], "glotip")[0]) == 1


def test_unknown_destination_group_is_an_input_error(table):
    from analysis.errors import InputError

    with pytest.raises(InputError, match="unknown destination group"):
        explore.routes_view(table, explore.RoutesState("glotip", (2003, 2019),
                                                       destinations="Mars"))


@pytest.fixture(scope="module")
def law():
    codebook = protection.load_codebook()
    return codebook, protection.load_coding(codebook=codebook)


def test_ranking_with_equal_dimensions_is_the_dimension_scheme(law):
    codebook, coding = law
    view = explore.ranking_view(2024, None, coding, codebook)
    scores = protection.as_of(coding, 2024)
    expected = protection.indices(scores, codebook, "dimension")["overall"]
    pd.testing.assert_series_equal(view["index"].sort_index(), expected.sort_index(),
                                   check_names=False)
    ones = {d: 1.0 for d in codebook.dimension.unique()}
    pd.testing.assert_frame_equal(explore.ranking_view(2024, ones, coding, codebook), view)
    assert view.attrs["disclosure"]["kind"] == "covariate"


def test_ranking_with_one_dimension_is_its_mean_score_hand_computed(law):
    codebook, coding = law
    dim = sorted(codebook.dimension.unique())[0]
    view = explore.ranking_view(2016, {dim: 2.0}, coding, codebook)
    scores = protection.as_of(coding, 2016)
    provs = codebook.index[codebook.dimension == dim]
    by_hand = scores[provs].astype(float).mean(axis=1) / 2 * 100
    assert np.allclose(view["index"].sort_index(), by_hand.sort_index())
    # Rank by hand: 1 + countries strictly above; the EU floor is not ranked.
    countries_only = by_hand.drop(index="EU")
    for iso3 in ("JPN", "DEU", "GBR"):
        assert view.at[iso3, "rank"] == 1 + int((countries_only > countries_only[iso3]).sum())
    assert np.isnan(view.at["EU", "rank"])
    assert list(view["index"]) == sorted(view["index"], reverse=True)


def test_ranking_controls_react_to_a_weight_change(capsys):
    box = explore.ranking_controls()
    year = box.children[0]
    year.value = year.value - 1  # fires the callback; an error would raise here
    sliders = box.children[2:-1]
    assert len(sliders) == protection.load_codebook().dimension.nunique()
    capsys.readouterr()
    for s in sliders:
        s.value = 0.0  # all zero: the callback explains instead of dividing by zero
    # Outside a kernel the Output widget passes prints through to stdout.
    assert "at least one dimension" in capsys.readouterr().out


def test_routes_controls_redraw_on_a_new_destination(table, capsys):
    import matplotlib.pyplot as plt

    box = explore.routes_controls(table)
    source_box = box.children[0]
    destinations = source_box.children[1]
    capsys.readouterr()
    destinations.value = "Japan"
    out = capsys.readouterr().out  # outside a kernel the Output widget prints through
    assert "JPN" in out and "GBR" not in out
    plt.close("all")
