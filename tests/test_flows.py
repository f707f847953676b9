import pandas as pd
import pytest

from analysis import flows
from analysis.errors import InputError
from analysis.schemas import FLOWS, validate


@pytest.mark.parametrize("text,expected", [
    ("<5", (1, 4, True)), ("12", (12, 12, False)), ("1,156", (1156, 1156, False)),
    ("61,102,019", (61102019, 61102019, False)), (7, (7, 7, False)), (7.0, (7, 7, False)),
    (" <5 ", (1, 4, True)), ("0", (0, 0, False)),
])
def test_parse_count_values(text, expected):
    assert flows.parse_count(text) == expected


@pytest.mark.parametrize("text,reason", [
    ("-3", "negative"), ("abc", "not a count"), ("1,15", "not a count"), ("", "empty"),
    (None, "empty"), (2.5, "not a whole number"), ("<1", "censored below 1"),
])
def test_parse_count_reasons(text, reason):
    out = flows.parse_count(text)
    assert isinstance(out, str) and reason in out


def _table(rows):
    return pd.DataFrame(rows, columns=["year", "origin", "destination", "indicator", "sex",
                                       "age", "value_low", "value_high", "censored", "source"])


def test_censored_values_sum_as_intervals():
    t = _table([
        (2010, "PHL", "JPN", "detected_victims", "total", "total", 1, 4, True, "glotip"),
        (2011, "PHL", "JPN", "detected_victims", "total", "total", 10, 10, False, "glotip"),
        (2012, "PHL", "JPN", "detected_victims", "total", "total", 1, 4, True, "glotip"),
        (2010, "THA", "JPN", "detected_victims", "total", "total", 7, 7, False, "glotip"),
    ])
    out = flows.sum_bounds(t, ["origin"]).set_index("origin")
    assert (out.at["PHL", "value_low"], out.at["PHL", "value_high"]) == (12, 18)
    assert bool(out.at["PHL", "censored"]) and not bool(out.at["THA", "censored"])
    assert flows.format_interval(12, 18) == "12-18" and flows.format_interval(7, 7) == "7"


def test_schema_error_names_file_column_and_rule():
    t = _table([(2010, "Philippines", "JPN", "detected_victims", "total", "total", 1, 4, True,
                 "glotip")])
    with pytest.raises(InputError) as exc:
        validate(t, FLOWS, "flows.csv")
    msg = str(exc.value)
    assert "flows.csv" in msg and "origin" in msg and "str_matches" in msg and "fix:" in msg


def test_schema_rejects_low_above_high_and_repeated_keys():
    row = (2010, "PHL", "JPN", "detected_victims", "total", "total", 5, 3, False, "glotip")
    with pytest.raises(InputError, match="value_low <= value_high"):
        validate(_table([row]), FLOWS, "x.csv")
    ok = (2010, "PHL", "JPN", "detected_victims", "total", "total", 3, 3, False, "glotip")
    with pytest.raises(InputError, match="one row per key"):
        validate(_table([ok, ok]), FLOWS, "x.csv")


def test_periods_split_the_years_present():
    assert flows.periods([2007, 2019, 2012]) == [(2007, 2011), (2012, 2015), (2016, 2019)]
    assert flows.periods([2010]) == [(2010, 2010)]


def _flows(rows, source="glotip", indicator="detected_victims"):
    return _table([(y, o, d, indicator, "total", "total", v, v, False, source)
                   for y, o, d, v in rows])


def test_reporting_universe_counts_any_citizenship_row_not_only_the_origins_shown():
    t = pd.concat([
        _flows([(2010, "PHL", "JPN", 3), (2010, "JPN", "JPN", 20),  # nationals count too
                (2011, "ROU", "DEU", 0),  # a zero is a report
                (2011, "VNM", "GBR", 12), (2012, "NGA", "GBR", 4)]),
        _flows([(2012, "THA", "FRA", 2)], indicator="repatriated_victims"),  # not citizenship
        _flows([(2012, "PHL", "JPN", 15)], source="ctdc"),
    ], ignore_index=True)
    out = flows.reporting_universe(t)
    assert list(out.columns) == ["source", "destination", "year"]
    assert out.values.tolist() == [["ctdc", "JPN", 2012], ["glotip", "DEU", 2011],
                                   ["glotip", "GBR", 2011], ["glotip", "GBR", 2012],
                                   ["glotip", "JPN", 2010]]


def test_reporters_panel_counts_the_reporting_universe():
    from analysis import countries, routes

    t = _flows([(2010, "PHL", "DEU", 7), (2010, "ROU", "FRA", 9), (2010, "NGA", "ITA", 3),
                (2011, "VNM", "GBR", 12), (2011, "ROU", "GBR", 5), (2011, "ROU", "ESP", 1)])
    se = flows.from_origins(t, countries.SOUTHEAST_ASIA)
    _, reporters = routes.route_series(se, flows.reporting_universe(t))
    europe = reporters[reporters.route == "Southeast Asia -> Europe"].set_index("year").n
    # 2010: DEU, FRA, ITA reported citizenship data, only DEU had a Southeast Asian victim.
    assert europe.to_dict() == {2010: 3, 2011: 2}


def test_dead_code_is_gone():
    from analysis import routes

    assert not hasattr(flows, "with_group") and not hasattr(routes, "cross_border")


def test_load_needs_an_explicit_folder(tmp_path):
    with pytest.raises(TypeError):
        flows.load()  # no hidden default folder (no environment variables)
