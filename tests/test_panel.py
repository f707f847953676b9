"""Bilateral panel: reporting universe, true zeros, censored intervals, accounting, covariates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import panel
from analysis.errors import InputError

FIXTURE = Path(__file__).parent / "fixtures" / "panel_flows.csv"
PROCESSED = Path(__file__).parents[1] / "data" / "processed"


@pytest.fixture
def flows():
    return pd.read_csv(FIXTURE, keep_default_na=False)


def test_universe_is_the_reporting_destination_years(flows):
    built = panel.build(flows)
    got = set(map(tuple, built.universe[["destination", "year"]].to_numpy()))
    # GBR 2012 reported its own nationals only: it reported, so it is in the universe
    assert got == {("JPN", 2010), ("JPN", 2011), ("DEU", 2010), ("GBR", 2012)}


def test_true_zeros_and_censored_intervals(flows):
    data = panel.build(flows).data.set_index(["origin", "destination", "year"])
    # origins: PHL, THA, VNM (JPN only as domestic, which is set aside); no self-pairs
    # 4 destination-years x 3 origins (PHL, THA, VNM)
    assert len(data) == 4 * 3
    assert (data.xs(("GBR", 2012), level=["destination", "year"]).value_high == 0).all()
    assert tuple(data.loc[("VNM", "JPN", 2010), ["value_low", "value_high"]]) == (0, 0)
    assert tuple(data.loc[("PHL", "JPN", 2011), ["value_low", "value_high"]]) == (0, 0)
    row = data.loc[("THA", "JPN", 2010)]
    assert (row.value_low, row.value_high, bool(row.censored)) == (1, 4, True)
    assert tuple(data.loc[("PHL", "JPN", 2010), ["value_low", "value_high"]]) == (12, 12)
    assert data.loc[("THA", "DEU", 2010), "pair"] == "THA-DEU"


def test_every_count_is_accounted_for(flows):
    built = panel.build(flows)
    acc = panel.account(flows, built)
    assert (acc.loc["unaccounted"] == 0).all()
    assert tuple(acc.loc["in panel"]) == (5, 12 + 1 + 7 + 1 + 20, 12 + 4 + 7 + 4 + 20)
    assert acc.loc["indicator is not detected_victims", "rows"] == 2
    assert acc.loc["domestic (origin = destination; gravity needs two countries)",
                   "value_low"] == 30 + 6


def test_every_count_in_the_committed_flows_is_accounted_for():
    table = pd.read_csv(PROCESSED / "flows.csv", keep_default_na=False)
    acc = panel.account(table, panel.build(table))
    assert (acc.loc["unaccounted"] == 0).all()
    assert acc.loc["total (flows table)", "rows"] == len(table)


def test_destination_without_reporting_years_raises(flows):
    with pytest.raises(InputError, match="no reporting years: FRA"):
        panel.build(flows, destinations=["JPN", "FRA"])


def test_no_rows_raises(flows):
    with pytest.raises(InputError, match="no detected_victims rows from ctdc"):
        panel.build(flows, source="ctdc")


def _covariates():
    wdi = pd.DataFrame({"iso3": ["JPN", "PHL", "THA", "VNM", "DEU"] * 2 + ["GBR"],
                        "year": [2009] * 5 + [2010] * 5 + [2011],
                        "gdppc_ppp": [40000, 8000, 16000, 10000, 50000,
                                      41000, 8200, 16400, 10500, 51000, 45000],
                        "population": 1})
    geo = pd.DataFrame({"origin": ["PHL", "THA"], "destination": ["JPN", "JPN"],
                        "distance_km": [3000.0, 4600.0], "contiguous": [0, 0],
                        "common_language": [0, 0], "colonial_tie": [0, 0]})
    stock = pd.DataFrame({"origin": ["PHL", "PHL", "PHL", "THA", "VNM"],
                          "destination": ["JPN"] * 5, "year": [2005, 2010, 2015, 2005, 2010],
                          "stock": [100.0, 200.0, 300.0, 50.0, 9.0]})
    tip = pd.DataFrame({"iso3": ["JPN", "JPN", "DEU", "GBR"], "year": [2009, 2010, 2009, 2011],
                        "tier": [2.5, 2.0, 1.0, 1.0]})
    return {"wdi": wdi, "geodist": geo, "stock": stock, "tip": tip}


def test_covariates_are_joined_and_lagged(flows):
    data = panel.build(flows, _covariates()).data.set_index(["origin", "destination", "year"])
    # 2010 uses 2009 values; 2011 uses 2010 values
    assert data.loc[("PHL", "JPN", 2010), "ln_gdppc_ratio"] == pytest.approx(np.log(40000 / 8000))
    assert data.loc[("PHL", "JPN", 2011), "ln_gdppc_ratio"] == pytest.approx(np.log(41000 / 8200))
    assert data.loc[("THA", "JPN", 2010), "ln_dist"] == pytest.approx(np.log(4600))
    assert np.isnan(data.loc[("VNM", "JPN", 2010), "ln_dist"])  # pair not covered: unknown
    # 2009 stock = 4/5 of the way from 2005 to 2010
    assert data.loc[("PHL", "JPN", 2010), "ln_stock"] == pytest.approx(np.log1p(180.0))
    assert data.loc[("PHL", "JPN", 2011), "ln_stock"] == pytest.approx(np.log1p(200.0))
    # THA has 2005 but not 2010: never interpolated across a missing point
    assert np.isnan(data.loc[("THA", "JPN", 2010), "ln_stock"])
    assert data.loc[("PHL", "JPN", 2011), "tip_tier"] == 2.0
    assert data.loc[("PHL", "DEU", 2010), "tip_tier"] == 1.0
    # GBR 2012 uses GBR 2011, but the origins have no 2011 GDP: unknown, not an error
    assert np.isnan(data.loc[("PHL", "GBR", 2012), "ln_gdppc_ratio"])


def test_missing_covariate_year_raises(flows):
    cov = _covariates()
    cov["tip"] = cov["tip"][cov["tip"].year == 2009]
    with pytest.raises(InputError, match="no values for year.s. 2010") as info:
        panel.build(flows, {"tip": cov["tip"]})
    assert info.value.file == "tip_tiers.csv" and info.value.column == "year"


def test_unmatched_code_raises(flows):
    wdi = _covariates()["wdi"]
    wdi.loc[2, "iso3"] = "Thailand"
    with pytest.raises(InputError, match="not ISO3") as info:
        panel.build(flows, {"wdi": wdi})
    assert info.value.row == 4 and info.value.column == "iso3"


def test_stock_beyond_the_published_points_raises(flows):
    stock = _covariates()["stock"]
    with pytest.raises(InputError, match=r"year\(s\) 2011,") as info:
        panel.build(flows, {"stock": stock[stock.year <= 2010]})
    assert info.value.file == "migrant_stock.csv"


def test_missing_column_raises(flows):
    with pytest.raises(InputError, match="missing column"):
        panel.build(flows, {"geodist": _covariates()["geodist"].drop(columns="contiguous")})


def test_annual_stock_hand_computed():
    table = pd.DataFrame({"origin": ["A", "A", "A"], "destination": ["B"] * 3,
                          "year": [1990, 1995, 2005], "stock": [10.0, 20.0, 40.0]})
    got = panel.annual_stock(table, [1992, 1995, 1999])
    got = got.set_index("year").stock
    assert got[1992] == pytest.approx(14.0) and got[1995] == pytest.approx(20.0)
    # 1999 lies between 1995 and 2000, and 2000 is missing: never interpolated across it
    assert 1999 not in got.index
