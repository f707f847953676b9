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
