"""No input makes the parsers fail with anything but the project's own InputError."""

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.errors import InputError
from analysis.flows import parse_count
from analysis.sources import ctdc, template
from analysis.sources.results import ReadResult
from analysis.sources.values import parse_values

# database=None: nothing is written into the working tree.
SETTINGS = settings(max_examples=30, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
CELL = st.one_of(
    st.sampled_from(["2016", "-99", "PH", "JP", "UK", "NA", "0", "", "<5", "1,156", "9--17",
                     "48+", "Female", "Male", "2099", "1.0", "\"", "\"a,b\"", "Viet Nam",
                     "61,102,019", "-3", "\ufffd", " "]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8))
CTDC_NAMES = ["yearOfRegistration", "gender", "ageBroad", "citizenship", "isForcedLabour",
              "CountryOfExploitation", "Datasource", "nationality", ""]
TEMPLATE_NAMES = ["year", "origin", "destination", "count", "case_id", "sex", "age",
                  "indicator", "notes", "Year", ""]


@settings(database=None, deadline=None)  # not a timing test: a loaded CI machine is slow
@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(),
                 st.from_regex(r"<\s*\d{1,3}|\d{1,3}(,\d{3}){0,3}|-\d+", fullmatch=True)))
def test_parse_count_returns_an_interval_or_a_reason(value):
    out = parse_count(value)
    if isinstance(out, tuple):
        low, high, censored = out
        # Only a published "<n" is censored; it may be one value ("<2" is exactly 1).
        assert 0 <= low <= high and (low < high) <= censored
        assert censored == (isinstance(value, str) and value.strip().startswith("<"))
    else:
        assert isinstance(out, str) and out


@settings(database=None, deadline=None)  # not a timing test: a loaded CI machine is slow
@given(st.lists(st.one_of(st.none(), st.text(max_size=12), st.integers(-10, 10 ** 9)),
                max_size=30))
def test_parse_values_never_crashes(values):
    out = parse_values(pd.Series(values, dtype=object))
    assert len(out) == len(values)
    assert ((out.problem == "") == out.value_low.notna()).all()


def _file_text(names, rows):
    return "\n".join([",".join(names), *(",".join(r) for r in rows)]) + "\n"


def _run(reader, data: bytes, suffix=".csv"):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        try:
            result = reader(path)
        except InputError as exc:
            assert exc.file == str(path) and exc.problem and exc.fix
            return None
    assert isinstance(result, ReadResult)
    tot = result.conservation.sum(numeric_only=True)
    if len(result.conservation):
        assert tot.rows_read == tot.rows_used + tot.rows_quarantined + tot.rows_set_aside
    return result


@SETTINGS
@given(st.lists(st.sampled_from(CTDC_NAMES), min_size=1, max_size=8),
       st.lists(st.lists(CELL, min_size=0, max_size=9), max_size=12))
def test_ctdc_reader_on_generated_text(names, rows):
    _run(ctdc.read, _file_text(names, rows).encode())


@SETTINGS
@given(st.permutations(CTDC_NAMES[:6]), st.lists(st.lists(CELL, min_size=6, max_size=6),
                                                  min_size=1, max_size=12))
def test_ctdc_reader_on_well_formed_headers(names, rows):
    result = _run(ctdc.read, _file_text(names, rows).encode())
    if result is not None:
        assert result.meta["rows_read"] == len(rows)


@SETTINGS
@given(st.binary(max_size=200))
def test_ctdc_reader_on_random_bytes(data):
    _run(ctdc.read, data)


@SETTINGS
@given(st.lists(st.sampled_from(TEMPLATE_NAMES), min_size=1, max_size=8),
       st.lists(st.lists(CELL, min_size=0, max_size=9), max_size=12))
def test_template_reader_on_generated_text(names, rows):
    _run(template.read, _file_text(names, rows).encode())


@SETTINGS
@given(st.sampled_from([["year", "origin", "destination", "count", "sex"],
                        ["case_id", "year", "origin", "destination", "sex", "age"]]),
       st.lists(st.lists(CELL, min_size=5, max_size=6), min_size=1, max_size=12))
def test_template_reader_on_both_forms(names, rows):
    rows = [r[:len(names)] + [""] * (len(names) - len(r)) for r in rows]
    result = _run(template.read, _file_text(names, rows).encode())
    if result is not None:
        assert result.meta["rows_read"] == len(rows)


@SETTINGS
@given(st.binary(max_size=200), st.sampled_from([".csv", ".xlsx"]))
def test_template_reader_on_random_bytes(data, suffix):
    _run(template.read, data, suffix)
