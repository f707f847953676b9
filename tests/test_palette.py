"""Colour-blind-safe palette: CIEDE2000 against Sharma's published pairs, CVD separations."""

import pytest

from analysis import countries
from analysis.figures import palette

# Sharma, Wu & Dalal (2005), Table 1: L*a*b* pairs with their published CIEDE2000 (a subset
# of the 34 pairs covering the hue-angle edge cases, the neutral axis and near-black).
SHARMA = [
    ((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
    ((50, 3.1571, -77.2803), (50, 0, -82.7485), 2.8615),
    ((50, 2.8361, -74.0200), (50, 0, -82.7485), 3.4412),
    ((50, -1.3802, -84.2814), (50, 0, -82.7485), 1.0000),
    ((50, 0, 0), (50, -1, 2), 2.3669),
    ((50, 2.49, -0.001), (50, -2.49, 0.0009), 7.1792),
    ((50, 2.49, -0.001), (50, -2.49, 0.0011), 7.2195),
    ((50, -0.001, 2.49), (50, 0.0009, -2.49), 4.8045),
    ((50, 2.5, 0), (50, 0, -2.5), 4.3065),
    ((50, 2.5, 0), (73, 25, -18), 27.1492),
    ((50, 2.5, 0), (61, -5, 29), 22.8977),
    ((50, 2.5, 0), (56, -27, -3), 31.9030),
    ((50, 2.5, 0), (58, 24, 15), 19.4535),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((63.0109, -31.0961, -5.8663), (62.8187, -29.7946, -4.0864), 1.2630),
    ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
    ((90.8027, -2.0831, 1.4410), (91.1528, -1.6435, 0.0447), 1.4441),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]


@pytest.mark.parametrize(("lab1", "lab2", "published"), SHARMA)
def test_ciede2000_matches_sharma_published_pairs(lab1, lab2, published):
    assert palette.ciede2000(lab1, lab2) == pytest.approx(published, abs=5e-5)
    assert palette.ciede2000(lab2, lab1) == pytest.approx(published, abs=5e-5)


def test_ciede2000_is_zero_for_identical_colours():
    assert palette.ciede2000((52, 10, -30), (52, 10, -30)) == 0.0


def test_group_names_match_the_destination_groups():
    assert set(palette.GROUP_COLOURS) == {*countries.DESTINATION_GROUPS, "Other"}
    assert set(palette.GROUP_STYLES) == set(palette.GROUP_COLOURS)


def test_every_group_pair_stays_apart_under_three_simulated_cvds():
    """Threshold: CIEDE2000 >= 10 under deuteranopia, protanopia and tritanopia."""
    assert palette.THRESHOLD == 10.0
    assert palette.distinguishable(palette.GROUP_COLOURS.values()) == []
    assert palette.distinguishable(palette.ORIGIN_CYCLE) == []


def test_the_old_colours_fail_where_the_issue_says():
    """Europe blue against Gulf purple (old colours) collapses for protanopes: the check bites."""
    failing = palette.distinguishable(["#1f5fa8", "#8e44ad"])
    visions = {f[2] for f in failing}
    assert {"deuteranomaly", "protanomaly"} <= visions
    assert min(f[3] for f in failing) < 5


def test_distinguishable_flags_a_pair_of_near_identical_colours():
    failing = palette.distinguishable(["#0072B2", "#0073B4"])
    assert len(failing) == 3 and all(f[3] < 1 for f in failing)


def test_each_group_has_a_distinct_dash_and_marker():
    dashes = [str(d) for d, _ in palette.GROUP_STYLES.values()]
    markers = [m for _, m in palette.GROUP_STYLES.values()]
    assert len(set(dashes)) == len(dashes)
    assert len(set(markers)) == len(markers)


def test_dash_patterns_are_valid_matplotlib_linestyles():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    for group, (dash, marker) in palette.GROUP_STYLES.items():
        ax.plot([0, 1], [0, 1], linestyle=dash, marker=marker,
                color=palette.GROUP_COLOURS[group])
    assert len(ax.lines) == len(palette.GROUP_STYLES)
    plt.close(fig)


def test_origin_colours_cycle_in_order():
    got = palette.origin_colours(["PHL", "THA", "VNM", "IDN", "KHM", "MMR", "LAO", "MYS"])
    assert got["PHL"] == palette.OKABE_ITO["blue"]
    assert got["MYS"] == got["PHL"]  # the eighth repeats the first
    assert len(set(got.values())) == 7
