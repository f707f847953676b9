"""Route figures read source texts from the registry, name their source, colour by ISO3 group."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis import routes  # noqa: E402
from analysis.errors import InputError  # noqa: E402
from analysis.figures import GROUP_COLOURS, GROUP_STYLES  # noqa: E402
from analysis.figures import routes as route_figures  # noqa: E402
from analysis.sources import registry  # noqa: E402


def _series(route="Route A", dests=("JPN",)):
    series = pd.DataFrame({"route": route, "group": routes._group(dests), "year": [2010, 2011],
                           "value_low": [12, 15], "value_high": [12, 15],
                           "censored": False})
    reporters = pd.DataFrame({"route": route, "year": [2010, 2011], "n": [1, 1]})
    return series, reporters


def _texts(fig):
    return " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


@pytest.mark.parametrize("source", ["glotip", "ctdc", "template_counts", "template_cases"])
def test_every_route_figure_names_its_source_and_its_caveat(source):
    record = registry.get(source)
    series, reporters = _series()
    mix = pd.DataFrame({"route": "Route A", "origin": ["PHL", "VNM"], "value_low": [20, 30],
                        "value_high": [20, 30], "censored": False, "route_total": 50.0})
    dest = pd.DataFrame({"destination": ["JPN", "GBR"], "value_low": [40, 30],
                         "value_high": [40, 30]})
    figs = [route_figures.routes_over_time(series, reporters, source),
            route_figures.origin_mix(mix, source),
            route_figures.top_destinations(dest, source)]
    for fig in figs:
        text = _texts(fig)
        assert record.note in text and record.unit in text
        plt.close(fig)
    assert " ".join(record.caveat.split()) in " ".join(_texts(figs[0]).split())


def test_own_counts_are_not_told_they_were_suppressed_at_11():
    # The old caveat dict had no entry for template_counts and fell back to "k = 11".
    assert "11" not in registry.get("template_counts").caveat
    fig = route_figures.routes_over_time(*_series(), "template_counts")
    assert "k = 11" not in _texts(fig) and "under 5" in " ".join(_texts(fig).split())
    plt.close(fig)


def test_an_unregistered_source_is_refused():
    with pytest.raises(InputError, match="unknown source 'mine'"):
        route_figures.routes_over_time(*_series(), "mine")


def test_route_colour_follows_iso3_membership_not_the_route_name():
    for dests, group in ((("JPN",), "Japan"), (("DEU", "GBR"), "Europe (EU27, UK, EFTA)")):
        fig = route_figures.routes_over_time(*_series("Route A", dests), "glotip")
        line = fig.axes[0].lines[0]
        assert matplotlib.colors.to_hex(line.get_color()) == GROUP_COLOURS[group].lower()
        # and the group's own dash and marker, so the route does not rely on colour alone
        dash, marker = GROUP_STYLES[group]
        assert line.get_marker() == marker
        assert line.get_linestyle() == ("-" if dash == "-" else "--")
        plt.close(fig)


def test_case_map_never_prints_anything_about_flows_not_drawn():
    pairs = pd.DataFrame({"origin": ["PHL", "VNM"], "destination": ["JPN", "GBR"],
                          "value_low": [40, 3], "value_high": [40, 3]})
    fig, summary = route_figures.flow_map(pairs, "t", "ctdc")
    assert summary == {"drawn": 1}
    assert "smaller flows not drawn" in _texts(fig)
    plt.close(fig)
    fig, summary = route_figures.flow_map(pairs, "t", "glotip")
    assert summary == {"drawn": 1, "not_drawn": 1, "not_drawn_low": 3, "not_drawn_high": 3}
    plt.close(fig)


def test_origin_mix_with_every_route_total_withheld_still_draws():
    mix = pd.DataFrame({"route": "Route A", "origin": ["PHL"], "value_low": [20],
                        "value_high": [20], "censored": False, "route_total": float("nan")})
    fig = route_figures.origin_mix(mix, "ctdc")
    assert "route total suppressed (small counts)" in _texts(fig)
    plt.close(fig)
