"""Japan's official victim counts (series never mixed) and Entertainer entries: anchors, layout.

The fixtures in tests/fixtures/japan_official are byte-exact record subsets (CRLF line ends,
quoted sources with commas and Japanese text) of the two compiled files: NPA 2005 and 2018,
the NPA cumulative 2001-2013 rows, Council 2018, US TIP 2005 and 2018, MHLW fiscal 2012 and
its cumulative 2005-2012 row; Entertainer rows for the Philippines, 2002 and 1993.
"""

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import require

from analysis import paths, provenance
from analysis.errors import InputError
from analysis.sources import japan_official as jo

FIXTURES = Path(__file__).parent / "fixtures" / "japan_official"
VICTIMS = FIXTURES / jo.VICTIMS_FILE
ENTERTAINER = FIXTURES / jo.ENTERTAINER_FILE
#: MOJ's Filipino new entrants with status "Entertainer" (SOURCE.md anchors).
ANCHORS = {2004: 82741, 2005: 47765, 2006: 8607}


def _raw(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _anchors(table):
    rows = table[(table.measure == "new_entrants_entertainer_status")
                 & (table.nationality_iso3 == "PHL")]
    return dict(zip(rows.year, rows.value, strict=True))


def test_fixture_layout_is_the_published_one():
    data = VICTIMS.read_bytes()
    assert data.count(b"\r\n") == len(_raw(VICTIMS)) + 1 and data.startswith(b"series,")


def test_victims_fixture_reads_every_row_and_flags_cumulative_rows():
    table, q = jo.read(VICTIMS)
    assert q.empty and len(table) == len(_raw(VICTIMS)) == 24          # conservation
    cum = table[table.cumulative].set_index(["series", "nationality_iso3"])
    assert cum.loc[("npa_police_victims", "THA"), "count"] == 223
    assert cum.loc[("npa_police_victims", "PHL"), ["period_start", "year"]].tolist() == [2001,
                                                                                         2013]
    assert cum.loc[("mhlw_womens_consulting_office_protected", "ALL"), "count"] == 323
    fiscal = table[table.series == "mhlw_womens_consulting_office_protected"]
    assert set(fiscal.year_type) == {"fiscal"}
    assert table.loc[table.nationality_iso3 == "TWN", "count"].tolist() == [4]
    assert table.source.str.len().min() > 20


def test_series_returns_one_series_and_refuses_to_mix():
    table, _ = jo.read(FIXTURES)
    npa = jo.series(table, "npa_police_victims")
    assert set(npa.series) == {"npa_police_victims"} and not npa.cumulative.any()
    totals = npa[npa.nationality_iso3 == "ALL"].set_index("year")["count"]
    assert totals.to_dict() == {2005: 117, 2018: 25}
    # The known conflicts stay as reported, each in its own series.
    tip = jo.series(table, ["us_tip_report_identified"]).set_index("year")["count"]
    assert tip[2005] == 116
    council = jo.series(table, "gov_council_total_protected")
    assert council.set_index(["year", "nationality_iso3"]).loc[(2018, "ALL"), "count"] == 27
    cum = jo.series(table, "npa_police_victims", cumulative=True)
    assert sorted(cum["count"]) == [174, 223]
    with pytest.raises(InputError, match="mixes 2 series") as err:
        jo.series(table, ["npa_police_victims", "us_tip_report_identified"])
    assert err.value.column == "series"
    with pytest.raises(InputError, match="unknown series"):
        jo.series(table, "police")
    with pytest.raises(InputError, match="column") as err:
        jo.series(table.drop(columns="cumulative"), "npa_police_victims")
    assert err.value.column == "cumulative"


def test_series_refuses_a_series_that_mixes_calendar_and_fiscal_years():
    table, _ = jo.read(VICTIMS)
    table.loc[table.series == "npa_police_victims", "year_type"] = "fiscal"
    table.loc[table.index[0], "year_type"] = "calendar"
    with pytest.raises(InputError, match="calendar and fiscal"):
        jo.series(table, "npa_police_victims")


def test_entertainer_anchors_and_month_range_rows():
    table, q = jo.read(ENTERTAINER)
    assert q.empty and len(table) == len(_raw(ENTERTAINER))
    assert _anchors(table) == ANCHORS
    poea = table[table.partial_year].set_index("period")
    assert poea.loc["2004-01..07", "year"] == 2004 and poea.loc["2004-01..07", "value"] == 37958
    assert not table.loc[table.period == "2004", "partial_year"].any()
    share = table[table.unit == "percent"]
    assert share.value.tolist() == [2.5] and share.year.tolist() == [1993]
    # The MOFA visas of 2004 are another measure, never the MOJ anchor.
    visas = table[table.measure == "entertainer_visas_issued_mofa"]
    assert visas.value.tolist() == [85479] and visas.unit.tolist() == ["visas"]


def test_bad_rows_are_quarantined_and_a_bad_header_raises(tmp_path):
    text = VICTIMS.read_bytes().decode("utf-8")
    path = tmp_path / jo.VICTIMS_FILE
    path.write_bytes(text.replace("calendar,EST,Estonia,1,", "calendar,XYZ,Nowhere,1,")
                     .replace("2018,2018,calendar,PHL,Philippines,4,",
                              "2018,2018,calendar,PHL,Philippines,four,").encode())
    table, q = jo.read(path)
    assert len(table) + len(q) == 24 and len(q) == 2
    by_col = q.set_index("column")
    assert by_col.loc["nationality_iso3", "raw_value"] == "XYZ"
    assert "neither ALL nor an ISO3" in by_col.loc["nationality_iso3", "reason"]
    assert by_col.loc["count", "row"] == 16 and "whole number" in by_col.loc["count", "reason"]
    path.write_bytes(text.replace(",count,", ",n,", 1).encode())
    with pytest.raises(InputError) as err:
        jo.read(path)
    assert (err.value.row, err.value.column) == (1, "count")
    with pytest.raises(InputError) as err:
        jo.read(Path(__file__).parent / "fixtures" / "cepii_small.csv")
    assert err.value.row == 1 and "neither the victims layout" in err.value.problem
    with pytest.raises(InputError, match="not the Entertainer layout"):
        jo.read_entertainer(VICTIMS)


def test_regenerate_writes_both_tables_or_neither(tmp_path):
    out = tmp_path / "out"
    names = [p.name for p in jo.regenerate(FIXTURES, out)]
    assert names == ["japan_victims.csv", "japan_victims.csv.provenance.json",
                     "japan_entertainer.csv", "japan_entertainer.csv.provenance.json"]
    assert len(jo.load(out)) == 24 and _anchors(jo.load_entertainer(out)) == ANCHORS
    record = provenance.read_record(out / "japan_victims.csv")
    assert record["inputs"][0]["sha256"] == provenance.sha256(VICTIMS)
    assert not (out / "japan_victims_report.md").exists()             # nothing quarantined
    before = (out / "japan_victims.csv").read_bytes()
    src = tmp_path / "src"
    shutil.copytree(FIXTURES, src)
    (src / jo.ENTERTAINER_FILE).write_text("something,else\n1,2\n")
    with pytest.raises(InputError):
        jo.regenerate(src, out)
    assert (out / "japan_victims.csv").read_bytes() == before


def test_committed_tables_load_with_the_anchors():
    victims = jo.load()
    assert set(victims.series) == set(jo.SERIES)
    assert jo.series(victims, "npa_police_victims").query("nationality_iso3 == 'ALL'") \
        .set_index("year").loc[2005, "count"] == 117
    assert _anchors(jo.load_entertainer()) == ANCHORS


@pytest.mark.shared
def test_full_files_every_row_used_and_anchors():
    folder = require(paths.shared_file(*jo.SHARED_DIR))
    table, q = jo.read(folder)
    assert q.empty and len(table) == len(_raw(folder / jo.VICTIMS_FILE)) == 146
    assert int(table.cumulative.sum()) == sum(r["period_start"] != r["period_end"]
                                              for r in _raw(folder / jo.VICTIMS_FILE))
    ent, q2 = jo.read_entertainer(folder)
    assert q2.empty and len(ent) == 15 and _anchors(ent) == ANCHORS
    npa = jo.series(table, "npa_police_victims")
    assert sorted(npa.year.unique()) == [y for y in range(2002, 2020) if y != 2014]
    pd.testing.assert_frame_equal(jo.load(), table, check_dtype=False)
