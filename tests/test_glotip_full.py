"""The GLOTIP reader on the full 2003-2019 export (skipped without ../shared)."""

import pandas as pd
import pytest
from conftest import GLOTIP_FULL, require

from analysis import flows, paths
from analysis.sources import glotip


@pytest.fixture(scope="module")
def result():
    return glotip.read(require(GLOTIP_FULL))


def test_every_row_is_accounted_for(result):
    tot = result.conservation.sum(numeric_only=True)
    assert tot.rows_read == 38705
    for m in ("rows", "low", "high"):
        assert tot[f"{m}_read"] == tot[f"{m}_used"] + tot[f"{m}_quarantined"] + tot[
            f"{m}_set_aside"]
    assert (tot.rows_used, tot.rows_quarantined, tot.rows_set_aside) == (7752, 501, 30452)


def test_debris_and_misencoded_rows_are_quarantined_not_summed(result):
    q = result.quarantine
    counts = q.reason.value_counts()
    assert counts["questionnaire debris, not data"] == 10
    assert counts.filter(like="implausible count").sum() == 42
    assert set(q[q.reason.str.contains("implausible")].raw_value) >= {"61,102,019"}
    assert result.flows.value_high.max() < 100_000
    assert q.reason.str.contains("mis-encoded").sum() == 38


def test_known_route_totals(result):
    se = result.flows[(result.flows.indicator == "detected_victims")]
    phl_jpn = flows.sum_bounds(se[(se.origin == "PHL") & (se.destination == "JPN")], ["origin"])
    assert (phl_jpn.value_low.iloc[0], phl_jpn.value_high.iloc[0]) == (150, 156)
    assert not result.harmonisation.size, "every name is in the reviewed mapping"


def test_duplicates_are_reported_and_not_double_counted(result):
    d = result.duplicates
    assert set(d.action) == {"same value repeated: counted once",
                             "distinct groups of one country: summed"}
    slb = result.flows[(result.flows.origin == "SLB") & (result.flows.year == 2019)]
    assert slb.value_low.sum() == 8


def test_committed_flows_table_is_what_the_reader_derives(result):
    committed = flows.load(paths.PROCESSED)
    derived = result.flows.reset_index(drop=True)
    mine = committed[committed.source == "glotip"].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, derived, check_dtype=False)
