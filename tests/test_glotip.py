"""The GLOTIP reader on the small fixture in the portal's exact layout."""

from pathlib import Path

import pytest

from analysis.sources import glotip

FIXTURE = Path(__file__).parent / "fixtures" / "glotip_small.xlsx"


@pytest.fixture(scope="module")
def result():
    return glotip.read(FIXTURE)


def test_layout_facts_are_read(result):
    assert result.meta["sheet"] == "data_glotip_1"
    assert result.meta["header_row"] == 3
    assert result.meta["export_stamp"] == "14/04/2025"


def test_censored_and_separated_counts(result):
    f = result.flows.set_index(["year", "origin", "destination", "sex", "age"])
    assert tuple(f.loc[(2019, "PHL", "JPN", "total", "total"), ["value_low", "value_high"]]) \
        == (1, 4)
    assert bool(f.loc[(2019, "PHL", "JPN", "total", "total"), "censored"])
    assert f.loc[(2018, "VNM", "DEU", "total", "total"), "value_low"] == 1156


def test_spellings_become_countries_and_fallback_matches_are_reported(result):
    jpn = result.flows[(result.flows.destination == "JPN") & (result.flows.year == 2019)]
    assert set(jpn.origin) == {"PHL", "VNM", "THA", "MMR", "LAO"}
    report = result.harmonisation.set_index("raw")
    assert report.at["THAILANDE", "method"] == "converter"
    assert report.at["THAILANDE", "iso3"] == "THA"


def test_nationals_are_domestic_and_regions_are_quarantined(result):
    deu = result.flows[(result.flows.destination == "DEU") & (result.flows.origin == "DEU")]
    assert deu.value_low.tolist() == [210]
    reasons = result.quarantine.set_index("raw_value").reason
    assert reasons["Africa"] == "citizenship is not a single country (aggregate)"
    assert reasons["Unknown"] == "citizenship is not a single country (unknown)"


def test_debris_is_quarantined_and_never_summed(result):
    q = result.quarantine
    assert q.reason.str.contains("implausible|debris").sum() >= 2
    assert q.reason.str.contains("mis-encoded").sum() == 1
    assert result.flows.value_high.max() < 100_000


def test_sex_and_age_breakdowns_stay_separate_from_totals(result):
    mmr = result.flows[(result.flows.origin == "MMR") & (result.flows.destination == "THA")
                       & (result.flows.year == 2019)]
    assert set(zip(mmr.sex, mmr.age, strict=True)) == {("total", "total"), ("female", "total"),
                                                        ("total", "child")}


def test_a_clean_export_with_nothing_to_quarantine_reads(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "data_glotip_1"
    sheet.append(["UNODC"])
    sheet.append(["14/04/2025"])
    sheet.append(["Iso3_code", "Country", "Region", "Subregion", "Indicator", "Dimension",
                  "Category", "Sex", "Age", "Year", "Unit of measurement", "txtVALUE",
                  "Source"])
    sheet.append(["JPN", "Japan", "Asia", "Eastern Asia", "Detected trafficking victims",
                  "by citizenship", "Philippines", "Total", "Total", 2019, "Counts", "12",
                  "GLOTIP"])
    path = tmp_path / "clean.xlsx"
    book.save(path)
    result = glotip.read(path)
    assert len(result.quarantine) == 0 and result.flows.value_low.tolist() == [12]
    assert result.conservation.rows_used.sum() == 1
