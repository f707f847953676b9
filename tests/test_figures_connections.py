"""Connection figures on small synthetic inputs: what is drawn, labelled and never summed."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

from analysis import connections  # noqa: E402
from analysis.figures import connections as figs  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def totals():
    rows = [("npa_police_victims", 2004, "calendar", 77, False),
            ("npa_police_victims", 2005, "calendar", 117, False),
            ("npa_police_victims", 2007, "calendar", 43, False),  # 2006 missing: a gap
            ("us_tip_report_identified", 2005, "calendar", 116, False),
            ("us_tip_report_identified", 2007, "calendar", 43, False),
            ("mhlw_womens_consulting_office_protected", 2008, "fiscal", 39, False),
            ("gov_council_total_protected", 2022, "calendar", 46, True)]
    return pd.DataFrame(rows, columns=["series", "year", "year_type", "count", "derived"])


def entertainer():
    return pd.DataFrame({"measure": ["new_entrants_entertainer_status"] * 3
                         + ["entertainer_visas_issued_mofa"],
                         "year": [2004, 2005, 2006, 2004],
                         "value": [82741.0, 47765.0, 8607.0, 85479.0],
                         "unit": ["persons"] * 3 + ["visas"]})


def labelled(ax):
    return {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}


def test_japan_official_one_line_per_series_never_summed():
    t = totals()
    fig = figs.japan_official(t, entertainer(), connections.events_table())
    top, bottom = fig.axes
    lines = labelled(top)
    assert len(lines) == t.series.nunique()
    for name, s in t.groupby("series"):
        label = figs.SERIES_LABELS[name] + (" (fiscal years)" if name.startswith("mhlw") else "")
        x, y = lines[label].get_xdata(), np.asarray(lines[label].get_ydata(), float)
        drawn = dict(zip(np.asarray(x)[~np.isnan(y)], y[~np.isnan(y)], strict=True))
        assert drawn == dict(zip(s.year, s["count"].astype(float), strict=True))
    npa = np.asarray(lines[figs.SERIES_LABELS["npa_police_victims"]].get_ydata(), float)
    years = list(lines[figs.SERIES_LABELS["npa_police_victims"]].get_xdata())
    assert np.isnan(npa[years.index(2006)])  # missing year not bridged
    # No drawn value is the sum of two series' values in a year (117 + 116 = 233).
    assert max(np.nanmax(np.asarray(ln.get_ydata(), float)) for ln in lines.values()) == 117
    styles = {(ln.get_marker(), str(ln.get_linestyle())) for ln in lines.values()}
    assert len(styles) == len(lines)
    legend = [t.get_text() for t in top.get_legend().get_texts()]
    assert "derived value" in legend and len(legend) == len(lines) + 1


def test_japan_official_entertainer_panel_and_events():
    events = connections.events_table()
    fig = figs.japan_official(totals(), entertainer(), events)
    top, bottom = fig.axes
    ent = labelled(bottom)
    assert len(ent) == 2 and all("[visas]" in k or "[persons]" in k for k in ent)
    mofa = next(ln for k, ln in ent.items() if "visas" in k)
    assert list(mofa.get_ydata()) == [85.479]  # thousands; its own marker, not joined
    for ax in (top, bottom):
        vlines = [ln for ln in ax.get_lines() if ln.get_label().startswith("_")
                  and len(set(ln.get_xdata())) == 1 and ln.get_linestyle() != "None"]
        assert sorted(v.get_xdata()[0] for v in vlines) == pytest.approx(sorted(events.x))
    numbers = [t.get_text() for t in top.texts]
    assert numbers == ["1", "2", "3", "4"]
    foot = fig.get_supxlabel().replace("\n", " ")
    assert "never added" in foot and "Protocol accepted" in foot and "year only" in foot


def shares():
    flows = pd.DataFrame({
        "origin": ["PHL", "PHL", "PHL", "PHL", "VNM", "VNM"],
        "destination": ["JPN", "GBR", "JPN", "USA", "GBR", "KOR"],
        "year": [2010, 2010, 2011, 2011, 2010, 2011],
        "value_low": [10, 1, 5, 20, 30, 6], "value_high": [10, 4, 5, 20, 30, 6]})
    return connections.route_shares(flows)


def test_route_shares_panels_lines_and_bands():
    s = shares()
    fig = figs.route_shares(s, origins=["PHL", "VNM"])
    panels = [ax for ax in fig.axes if ax.axison]
    # Philippines: 10 + (1-4) in 2010 and 5 + 20 in 2011; Vietnam: 30 + 6.
    assert [ax.get_title(loc="left") for ax in panels] == ["Philippines (n = 36-39)",
                                                           "Vietnam (n = 36)"]
    for ax in panels:
        assert list(labelled(ax)) == [connections.ROUTE_GROUPS[0], connections.ROUTE_GROUPS[1],
                                      connections.OTHER_GROUP]
        assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 3
    japan = labelled(panels[0])[connections.ROUTE_GROUPS[0]]
    assert list(np.asarray(japan.get_ydata(), float)) == pytest.approx([10 / 11, 5 / 25])
    legend_ax = [ax for ax in fig.axes if ax.get_legend() is not None]
    assert len(legend_ax) == 1 and not legend_ax[0].axison
    assert [t.get_text() for t in legend_ax[0].get_legend().get_texts()] == list(
        labelled(panels[0]))
    assert "detections, not prevalence" in fig.get_supxlabel().replace("\n", " ")


def test_event_study_reference_leads_and_bins():
    es = pd.DataFrame({"rel_year": [-3, -2, -1, 0, 1, 2],
                       "estimate": [0.1, -0.2, 0.0, 0.3, np.nan, 0.5],
                       "ci_low": [-0.2, -0.5, 0.0, 0.0, np.nan, 0.1],
                       "ci_high": [0.4, 0.1, 0.0, 0.6, np.nan, 0.9]})
    fig = figs.event_study(es, reference=-1, note="a null is no detectable effect >= MDE")
    ax = fig.axes[0]
    containers = {c.get_label(): c for c in ax.containers}
    leads = containers["leads (before the event)"][0]
    lags = containers["lags (event year and after)"][0]
    assert list(leads.get_xdata()) == [-3, -2] and list(lags.get_xdata()) == [0, 2]
    ref = labelled(ax)["reference year (-1, set to 0)"]
    assert list(ref.get_xdata()) == [-1] and ref.get_markerfacecolor() == "white"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["<=-3", "-2", "-1", "+0", "+1",
                                                            ">=+2"]


def test_gravity_forest_rows_and_specs():
    ladder = pd.DataFrame({"spec": ["o+d+t", "o+d+t", "ot+dt"],
                           "term": ["ln_stock", "protection", "ln_stock"],
                           "estimate": [0.5, -0.1, 0.4], "ci_low": [0.3, -0.3, 0.1],
                           "ci_high": [0.7, 0.1, 0.7], "n_obs": [900, 900, 700]})
    fig = figs.gravity_forest(ladder, labels={"ln_stock": "migrant stock (log)"})
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["migrant stock (log)", "protection"]
    assert len(ax.containers) == 2
    xs = sorted(float(x) for c in ax.containers for x in c[0].get_xdata())
    assert xs == pytest.approx([-0.1, 0.4, 0.5])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["o+d+t (n = 900)",
                                                                   "ot+dt (n = 700)"]


def test_power_curve_draws_power_target_and_mde():
    power = pd.DataFrame({"effect": [0.5, 0.1, 1.0], "power": [0.6, 0.1, 0.9]})
    fig = figs.power_curve(power, mde=1.0)
    lines = labelled(fig.axes[0])
    assert list(lines["power"].get_ydata()) == [0.1, 0.6, 0.9]
    mde = next(v for k, v in lines.items() if k.startswith("MDE = 1.00 (smallest simulated"))
    assert list(mde.get_xdata()) == [1.0, 1.0]
    assert list(lines["target power 80%"].get_ydata()) == [0.8, 0.8]
    assert "MDE" not in "".join(labelled(figs.power_curve(power, mde=None).axes[0]))


def test_out_of_sample_points_and_deviance_bars():
    pred = pd.DataFrame({"observed_low": [0, 1, 50], "observed_high": [0, 4, 50],
                         "predicted": [0.5, 3.0, 40.0], "naive": [1.0, 2.0, 60.0]})
    fig = figs.out_of_sample(pred, {"model": 12.5, "naive last-3-years mean": 30.0}, 2015,
                             (2016, 2019))
    scatter_ax, bar_ax = fig.axes
    model = scatter_ax.containers[0]
    assert list(model[0].get_ydata()) == [0.5, 3.0, 40.0]
    segs = model[2][0].get_segments()  # horizontal whiskers: the censored interval
    assert [tuple(s[:, 0]) for s in segs] == [(0, 0), (1, 4), (50, 50)]
    assert [p.get_width() for p in bar_ax.patches] == [12.5, 30.0]
    assert [t.get_text() for t in bar_ax.get_yticklabels()] == ["model",
                                                                "naive last-3-years mean"]
    assert scatter_ax.get_title(loc="left") == "Fit to 2015, predict 2016-2019"
