"""Readers for the 3P index and the TIP tiers: fixtures in the published layouts, full files."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import require

from analysis import paths, provenance
from analysis.errors import InputError
from analysis.sources import threep, tip

FIXTURES = Path(__file__).parent / "fixtures"
THREEP_SMALL = FIXTURES / "threep_small.csv"
TIP_SMALL = FIXTURES / "tip_small.csv"
THREEP_FULL = paths.shared_file(*threep.SHARED_FILE)
TIP_FULL_DIR = paths.shared_file(*tip.SHARED_DIR)


# --- 3P on the fixture ---------------------------------------------------------------------

def test_threep_fixture_reads_with_the_comma_name_and_missing_codes():
    res = threep.read(THREEP_SMALL)
    t = res.table.set_index(["iso3", "year"])
    assert sorted(res.table.iso3.unique()) == ["COD", "JPN", "SRB", "XKX"]
    assert t.loc[("COD", 2013), "raw_name"] == "Congo, DemRep (Zaire)"   # comma kept whole
    assert t.loc[("COD", 2013), "protection"] == 3 and t.loc[("COD", 2013), "tier"] == 3.0
    assert t.loc[("SRB", 2005), "p"] == 11                               # file iso is NA
    assert t.loc[("JPN", 2004), "tier"] == 2.5                           # 2.5 = watch list
    assert t.loc[("JPN", 2005), "protection"] == 4
    assert np.isnan(t.loc[("XKX", 2004), "tier"]) and t.loc[("XKX", 2004), "protection"] == 3
    assert t.loc[("XKX", 2003), "protection"] is None or \
        str(t.loc[("XKX", 2003), "protection"]) == "<NA>"                # 'NA' -> missing
    assert len(res.table) == 16 and res.meta["rows_without_any_value"] == 4  # 1999 rows
    assert res.quarantine.empty and res.review.empty
    assert res.meta["sum_check"] == "p = sum of the three pillars in 14 of 14 rows"


def _edited(tmp_path, name, text_from, text_to, source=THREEP_SMALL):
    path = tmp_path / name
    text = source.read_text()
    assert text_from in text
    path.write_text(text.replace(text_from, text_to))
    return path


def test_threep_bad_values_are_quarantined_and_unmatched_names_reported(tmp_path):
    path = _edited(tmp_path, "3p.csv", '"Japan",2013,740,2,10,4,3,3,',
                   '"Japan",2013,740,4,10,4,3,7,')
    path = _edited(tmp_path, "3p.csv", '"Serbia",2013,1003,', '"Atlantis",2013,1003,',
                   source=path)
    res = threep.read(path)
    q = res.quarantine.set_index("column")
    assert q.loc["protection", "row"] == 11 and "1-5" in q.loc["protection", "reason"]
    assert "not matched" in q.loc["countryname", "reason"]
    assert q.loc["countryname", "raw_value"] == "Atlantis"
    assert res.review.raw.tolist() == ["Atlantis"] and res.review.method.item() == "unmatched"
    assert len(res.table) == 14


def test_threep_missing_column_is_an_input_error(tmp_path):
    path = _edited(tmp_path, "3p.csv", '"protection"', '"protect"')
    with pytest.raises(InputError, match="required column"):
        threep.read(path)


def test_threep_regenerate_writes_table_provenance_and_report(tmp_path):
    res, written = threep.regenerate(THREEP_SMALL, tmp_path)
    table, record, report = written
    rec = provenance.verify(table)
    assert rec["inputs"][0]["sha256"] == provenance.sha256(THREEP_SMALL)
    assert rec["reader"].startswith("analysis.sources.threep ")
    assert "Cho" in rec["citation"] and rec["licence"]
    assert threep.load(table).equals(res.table)
    assert "rows quarantined: 0" in report.read_text()


# --- TIP on the fixture ---------------------------------------------------------------------

def test_tip_fixture_trailing_spaces_watchlist_na_and_comma_name():
    res = tip.read(TIP_SMALL)
    t = res.table.set_index(["iso3", "year"])
    assert len(res.table) == 20 and res.quarantine.empty and res.review.empty
    assert t.loc[("JPN", 2003), "tier_label"] == "Tier 2"                # 'Tier 2    '
    assert t.loc[("JPN", 2004), "tier"] == 2.5
    assert t.loc[("JPN", 2004), "tier_label"] == "Tier 2 Watch List"     # 'Watchlist    '
    assert t.loc[("COD", 2013), "tier"] == 3.0                           # 'Tier 3'
    assert t.loc[("COD", 2013), "raw_name"] == "Congo, the Democratic Republic of the"
    assert np.isnan(t.loc[("JPN", 1999), "tier"])                        # 'NA'
    assert t.loc[("JPN", 1999), "tier_label"] == "not ranked"
    assert t.loc[("XKX", 2013), "tier"] == 2.0                           # KOS -> XKX
    assert res.meta["not_ranked_rows"] == 8


def test_tip_later_year_in_the_same_layout_loads_without_code_change(tmp_path):
    shutil.copy(TIP_SMALL, tmp_path / "tip_tiers_1999-2015.csv")
    # Japan's tiers after 2015 (project reference): Tier 1 in 2018-2019, Tier 2 from 2020.
    (tmp_path / "tip_tiers_2016-2020.csv").write_text(
        '"countryname","iso","year","ccode","tier"\n'
        '"Japan","JPN",2018,740,"Tier 1    "\n"Japan","JPN",2019,740,"Tier 1    "\n'
        '"Japan","JPN",2020,740,"Tier 2    "\n')
    res = tip.read(tmp_path)
    jp = res.table[res.table.iso3 == "JPN"].set_index("year")
    assert jp.loc[2018, "tier"] == 1.0 and jp.loc[2020, "tier_label"] == "Tier 2"
    assert res.meta["report_years"] == "1999-2020"
    assert set(res.table.source_file) == {"tip_tiers_1999-2015.csv", "tip_tiers_2016-2020.csv"}


def test_tip_unknown_tier_and_conflicting_repeat_are_quarantined(tmp_path):
    path = _edited(tmp_path, "tip_tiers_x.csv", '"Japan","JPN",2013,740,"Tier 2    "',
                   '"Japan","JPN",2013,740,"Tier 4"\n"Japan","JPN",2005,740,"Tier 3"',
                   source=TIP_SMALL)
    res = tip.read(path)
    reasons = res.quarantine.reason.tolist()
    assert any("unknown tier text" in r for r in reasons)
    assert any("different values: first row kept" in r for r in reasons)
    jp = res.table[res.table.iso3 == "JPN"].set_index("year")
    assert jp.loc[2005, "tier"] == 2.0 and 2013 not in jp.index


def test_tip_tier_texts():
    import pandas as pd

    out = tip.normalise_tier(pd.Series(["Tier 1    ", " watch  list", "Tier 2 Watch List",
                                        "NA", "Special Case", "Tier 5"]))
    assert out.tier.tolist()[:3] == [1.0, 2.5, 2.5] and out.known.tolist()[-1] is False
    assert out.tier_label.tolist()[3:5] == ["not ranked", "not ranked"]


# --- full files in ../shared and the committed derived copies -------------------------------

@pytest.mark.shared
def test_full_threep_file_reads_completely():
    res = threep.read(require(THREEP_FULL))
    assert res.quarantine.empty and res.review.empty
    assert res.meta["rows_read"] == len(res.table) + res.meta["rows_without_any_value"]
    assert len(res.names) == 189 and res.names.iso3.nunique() == 189  # every name matched
    assert res.table.iso3.nunique() == 183  # six countries have no value in any year
    assert res.table.loc[res.table.protection.notna(), "year"].between(2000, 2014).all()


@pytest.mark.shared
def test_full_tip_files_read_completely():
    res = tip.read(require(TIP_FULL_DIR))
    assert res.quarantine.empty and res.review.empty
    assert res.meta["rows_read"] == len(res.table)
    jp = res.table[res.table.iso3 == "JPN"].set_index("year").tier
    assert jp[2004] == 2.5 and jp[2005] == 2.0    # Watch List 2004, Tier 2 after


@pytest.mark.shared
@pytest.mark.parametrize("module", [threep, tip], ids=["threep", "tip"])
def test_committed_derived_copies_match_a_regeneration(tmp_path, module):
    src = require(THREEP_FULL if module is threep else TIP_FULL_DIR)
    _, written = module.regenerate(src, tmp_path)
    committed = paths.PROCESSED / module.OUT_FILE
    assert written[0].read_bytes() == committed.read_bytes(), \
        f"rerun python -m analysis.sources.{module.__name__.rsplit('.', 1)[1]}"
    rec = provenance.verify(committed)
    assert rec["inputs"] == provenance.read_record(written[0])["inputs"]


def test_loaders_verify_the_provenance_checksum(tmp_path):
    for module in (threep, tip):
        committed = paths.PROCESSED / module.OUT_FILE
        table = module.load()
        assert len(table) > 2000
        copy = tmp_path / committed.name
        copy.write_text(committed.read_text().replace("JPN", "JPX", 1))
        shutil.copy(provenance.record_path(committed), provenance.record_path(copy))
        with pytest.raises(InputError, match="checksum"):
            module.load(copy)
