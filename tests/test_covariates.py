"""Covariate readers (WDI, CEPII GeoDist, UN DESA migrant stock): fixtures, bad input, full files.

The fixtures are byte-exact record subsets of the published files (same preamble, BOM, CRLF
or LF line ends, quoting, and for WDI a metadata note that spans lines): WDI rows JPN, PHL,
MMR, CUB, XKX, CHI, AFE, WLD, INX; CEPII pairs among JPN, PHL, ROM, ZAR, TMP, YUG, MAC, BEN,
MMR; UN DESA pairs JPN<-PHL, VNM, XXX; AUS<-TLS; ITA<-BRN; IMN<-CHI; CHI<-FRA.
"""

import csv
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import require
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import countries, paths, provenance
from analysis.errors import InputError
from analysis.sources import cepii, undesa, wdi

FIXTURES = Path(__file__).parent / "fixtures"
WDI_SMALL = FIXTURES / "wdi_small"
GDP = WDI_SMALL / "API_NY.GDP.PCAP.PP.KD_DS2_en_csv_v2_20423.csv"
POP = WDI_SMALL / "API_SP.POP.TOTL_DS2_en_csv_v2_38144.csv"
CEPII_SMALL = FIXTURES / "cepii_small.csv"
UNDESA_SMALL = FIXTURES / "undesa_small.csv"


def _wdi_raw(path):
    """Independent parse of a WDI file with the csv module: {code: (file row, record)}."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        records = list(csv.reader(fh))
    header = records[4]
    return {r[1]: (i + 1, dict(zip(header, r, strict=False)))
            for i, r in enumerate(records) if i > 4}


def _copy(src_dir, tmp_path):
    dst = tmp_path / "wdi"
    shutil.copytree(src_dir, dst)
    return dst


# --- WDI --------------------------------------------------------------------------------------

def test_wdi_fixture_keeps_economies_and_quarantines_aggregates_with_reasons():
    table, q = wdi.read(WDI_SMALL)
    assert sorted(table.iso3.unique()) == ["CUB", "JPN", "MMR", "PHL", "XKX"]
    assert len(table) == 5 * 35 and table.year.min() == 1990 and table.year.max() == 2024
    raw_gdp, raw_pop = _wdi_raw(GDP), _wdi_raw(POP)
    t = table.set_index(["iso3", "year"])
    assert t.loc[("JPN", 2020), "gdppc_ppp"] == pytest.approx(float(raw_gdp["JPN"][1]["2020"]))
    assert t.loc[("PHL", 1990), "population"] == int(raw_pop["PHL"][1]["1990"])
    # Cuba has no GDP PPP value at all: missing, never 0; its population is complete.
    assert t.loc["CUB", "gdppc_ppp"].isna().all() and t.loc["CUB", "population"].notna().all()
    assert t.loc[("JPN", 2024), "gdppc_ppp"] > 0
    reasons = q.groupby("raw_value")["reason"].first()
    assert "aggregate" in reasons["AFE"] and "aggregate" in reasons["WLD"]
    assert "not in the Metadata_Country" in reasons["INX"]
    assert "not an ISO 3166-1" in reasons["CHI"]
    # Row numbers are the file's own (preamble and header counted).
    row_of = q[q.file == GDP.name].set_index("raw_value")["row"]
    assert row_of["WLD"] == raw_gdp["WLD"][0] and row_of["AFE"] == raw_gdp["AFE"][0]


def test_wdi_every_row_read_is_used_or_quarantined():
    result = wdi._derive(WDI_SMALL)
    for path, col in ((GDP, "gdppc_ppp"), (POP, "population")):
        n = len(_wdi_raw(path))
        used = result.meta[f"rows_used_{col}"]
        quarantined = int((result.quarantine.file == path.name).sum())
        assert result.meta[f"rows_read_{col}"] == n == 9
        assert used + quarantined == n and used == 5


def test_wdi_shifted_header_wrong_file_and_bad_value_raise_input_errors(tmp_path):
    folder = _copy(WDI_SMALL, tmp_path)
    text = GDP.read_bytes()
    # A preamble line removed: the header is no longer on row 5.
    (folder / GDP.name).write_bytes(text.replace(b"\r\n\r\n", b"\r\n", 1))
    with pytest.raises(InputError) as err:
        wdi.read(folder)
    assert err.value.row == 5 and err.value.column == "Country Name"
    # The population file under the GDP file's name: wrong indicator.
    (folder / GDP.name).write_bytes(POP.read_bytes())
    with pytest.raises(InputError) as err:
        wdi.read(folder)
    assert err.value.column == "Indicator Code" and "wrong file" in err.value.problem
    # A value that is not a number is refused, with its row and year.
    jpn_row, rec = _wdi_raw(GDP)["JPN"]
    (folder / GDP.name).write_bytes(text.replace(f'"{rec["2001"]}"'.encode(), b'"n/a"', 1))
    with pytest.raises(InputError) as err:
        wdi.read(folder)
    assert (err.value.row, err.value.column) == (jpn_row, "2001")
    (folder / GDP.name).unlink()
    with pytest.raises(InputError, match="expected one"):
        wdi.read(folder)


def test_wdi_regenerate_writes_table_record_report_and_loads_back(tmp_path):
    written = wdi.regenerate(WDI_SMALL, tmp_path)
    assert [p.name for p in written] == ["wdi.csv", "wdi.csv.provenance.json", "wdi_report.md"]
    record = provenance.verify(tmp_path / "wdi.csv")
    assert {i["file"]: i["sha256"] for i in record["inputs"]}[GDP.name] == provenance.sha256(GDP)
    assert record["rows"] == 175 and record["rows_quarantined"] == 8
    assert record["licence"] == "CC BY 4.0" and record["reader"].startswith("analysis.sources")
    loaded = wdi.load(tmp_path)
    table, _ = wdi.read(WDI_SMALL)
    pd.testing.assert_frame_equal(loaded.reset_index(drop=True), table, check_dtype=False)
    assert "World Bank aggregate" in (tmp_path / "wdi_report.md").read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert record["kind"] == "covariate" and record["url"].startswith("https://")
    assert record["regenerate"].startswith("python -m analysis derive wdi ")
    # A table changed after it was written no longer loads.
    with open(tmp_path / "wdi.csv", "a") as fh:
        fh.write("ZZZ,2000,1.0,1\n")
    with pytest.raises(InputError, match="checksum"):
        wdi.load(tmp_path)


def test_wdi_regenerate_on_bad_input_leaves_the_old_table_untouched(tmp_path):
    wdi.regenerate(WDI_SMALL, tmp_path)
    before = (tmp_path / "wdi.csv").read_bytes()
    folder = _copy(WDI_SMALL, tmp_path / "src")
    (folder / POP.name).write_bytes(POP.read_bytes().replace(b'"Country Code"', b'"Code"'))
    with pytest.raises(InputError):
        wdi.regenerate(folder, tmp_path)
    assert (tmp_path / "wdi.csv").read_bytes() == before
    provenance.verify(tmp_path / "wdi.csv")


def test_wdi_committed_copy_loads_and_matches_its_record():
    table = wdi.load()
    assert table.iso3.nunique() == 216 and len(table) == 216 * 35
    assert int(table.loc[table.year == 1990, "gdppc_ppp"].notna().sum()) == 185  # SOURCE.md
    assert int(table.loc[table.year == 2024, "gdppc_ppp"].notna().sum()) == 184  # SOURCE.md
    assert table.population.notna().all()


@pytest.mark.shared
def test_wdi_full_download_counts_match_the_source_notes():
    folder = require(paths.shared_file(*wdi.SHARED_DIR))
    result = wdi._derive(folder)
    t = result.table
    # SOURCE.md: 266 rows = 217 economies + 48 aggregates + INX; CHI is an economy but not ISO.
    assert result.meta["rows_read_gdppc_ppp"] == result.meta["rows_read_population"] == 266
    reasons = result.quarantine.groupby("reason").size()
    assert sorted(reasons.to_numpy().tolist()) == [2, 2, 96]  # CHI x2, INX x2, 48 aggr. x2
    by_year = t.groupby("year")["gdppc_ppp"].count()
    assert (by_year[1990], by_year[2020], by_year[2023], by_year[2024]) == (185, 199, 197, 184)
    committed = wdi.load()
    pd.testing.assert_frame_equal(committed, t, check_dtype=False)


# --- CEPII -----------------------------------------------------------------------------------

def _cepii_raw():
    with open(CEPII_SMALL, newline="") as fh:
        return list(csv.DictReader(fh))


def test_cepii_fixture_maps_old_codes_and_drops_yugoslavia_with_a_reason():
    table, q = cepii.read(CEPII_SMALL)
    codes = sorted(table.origin.unique())
    assert codes == ["BEN", "COD", "JPN", "MAC", "MMR", "PHL", "ROU", "TLS"]
    assert len(table) == 64 and len(q) == 17 == 2 * 9 - 1          # YUG as origin or dest
    assert set(q.raw_value) == {"YUG"} and q.reason.str.contains("Serbia and Montenegro").all()
    assert len(table) + len(q) == len(_cepii_raw())                 # conservation
    t = table.set_index(["origin", "destination"])
    raw = {(r["iso_o"], r["iso_d"]): r for r in _cepii_raw()}
    assert t.loc[("PHL", "JPN"), "distance_km"] == float(raw[("PHL", "JPN")]["dist"])
    assert t.loc[("ROU", "COD"), "distance_km"] == float(raw[("ROM", "ZAR")]["dist"])
    assert t.loc[("TLS", "PHL"), "distance_weighted_km"] == float(raw[("TMP", "PHL")]["distw"])
    assert math.isnan(t.loc[("MAC", "JPN"), "distance_weighted_km"])  # '.' -> missing, not 0
    assert t.loc[("MAC", "JPN"), "distance_km"] == 2939.847
    # Both directions as published, including the published asymmetry of smctry.
    assert set(t.index) == {(d, o) for o, d in t.index}
    assert t.loc[("BEN", "MMR"), "same_country"] == 1 and t.loc[("MMR", "BEN"), "same_country"] == 0
    assert t.loc[("ROU", "ROU"), "distance_km"] > 0                # internal distance, not 0


def test_cepii_crosswalk_rows_are_reviewed_and_valid():
    mapping = countries.load_mapping("cepii")
    assert set(mapping.raw) >= {"ROM", "ZAR", "TMP", "PAL", "YUG", "ANT"}
    assert (mapping.note.str.len() > 10).all()
    kept = mapping[mapping.kind == "country"]
    assert countries.convert(kept.iso3.tolist(), src="ISO3") == kept.iso3.tolist()
    assert set(mapping.loc[mapping.kind != "country", "iso3"]) == {""}


def test_cepii_unknown_code_is_quarantined_and_bad_values_raise(tmp_path):
    text = CEPII_SMALL.read_text()
    path = tmp_path / "dist_cepii.csv"
    path.write_text(text.replace("BEN,", "BEX,"))
    table, q = cepii.read(path)
    assert "BEN" not in set(table.origin) and "BEX" in set(q.raw_value)
    assert q[q.raw_value == "BEX"].reason.str.contains("not an ISO3 code").all()
    lines = text.splitlines(keepends=True)
    bad = lines[:3] + [lines[3].replace(",0,0,0,", ",2,0,0,", 1)] + lines[4:]
    path.write_text("".join(bad))
    with pytest.raises(InputError) as err:
        cepii.read(path)
    assert err.value.row == 4 and err.value.column in cepii.DUMMIES
    path.write_text(text.replace("2999.541,2999.541,", ".,2999.541,", 1))
    with pytest.raises(InputError) as err:
        cepii.read(path)
    assert err.value.column == "dist" and "positive distance" in err.value.problem
    path.write_text(text.replace("comlang_off", "comlang"))
    with pytest.raises(InputError) as err:
        cepii.read(path)
    assert (err.value.row, err.value.column) == (1, "comlang_off")


def test_cepii_regenerate_and_load(tmp_path):
    names = [p.name for p in cepii.regenerate(CEPII_SMALL, tmp_path)]
    assert names == ["geodist.csv", "geodist.csv.provenance.json", "geodist_report.md"]
    loaded = cepii.load(tmp_path)
    assert len(loaded) == 64 and loaded.distance_weighted_km.isna().sum() == 2 * 8 - 1  # MAC pairs
    assert "Serbia and Montenegro" in (tmp_path / "geodist_report.md").read_text()


def test_cepii_committed_copy_loads():
    table = cepii.load()
    assert len(table) == 222 * 222 and not {"SRB", "MNE", "YUG", "ROM"} & set(table.origin)
    assert {"ROU", "COD", "TLS", "PSE"} <= set(table.origin)


@pytest.mark.shared
def test_cepii_full_file_conservation_and_missing_weighted_distances():
    path = require(paths.shared_file(*cepii.SHARED_FILE))
    table, q = cepii.read(path)
    with open(path, newline="") as fh:
        raw = list(csv.DictReader(fh))
    assert len(raw) == 50176 == len(table) + len(q)
    dropped = {"YUG", "ANT"}
    kept_raw = [r for r in raw if r["iso_o"] not in dropped and r["iso_d"] not in dropped]
    assert len(table) == len(kept_raw) == 222 * 222
    assert table.distance_weighted_km.isna().sum() == sum(r["distw"] == "." for r in kept_raw)
    assert sum(r["distw"] == "." for r in raw) == 2215                      # SOURCE.md
    pd.testing.assert_frame_equal(cepii.load(), table, check_dtype=False)


# --- UN DESA ---------------------------------------------------------------------------------

def _undesa_raw():
    with open(UNDESA_SMALL, newline="") as fh:
        return list(csv.DictReader(fh))


def _raw_total(to, frm, year):
    return sum(int(r["v"]) for r in _undesa_raw()
               if (r["to"], r["from"], r["t"]) == (to, frm, str(year)))


def test_undesa_fixture_sums_sexes_and_quarantines_other_and_channel_islands():
    table, q = undesa.read(UNDESA_SMALL)
    t = table.set_index(["origin", "destination", "year"])
    # SOURCE.md: Japan's 2015 stocks from the Philippines and Viet Nam.
    assert t.loc[("PHL", "JPN", 2015), "stock"] == 229595
    assert t.loc[("VNM", "JPN", 2015), "stock"] == 146956
    assert t.loc[("PHL", "JPN", 2015), "stock_female"] == 127189
    assert not t.loc[("PHL", "JPN", 2015), "one_sex_only"]
    # Brunei -> Italy 1995: only a Female row; Male unknown (0 or not available), not 0.
    brn = t.loc[("BRN", "ITA", 1995)]
    assert brn["one_sex_only"] and brn["stock"] == 3 and pd.isna(brn["stock_male"])
    assert ("TLS", "AUS", 2000) not in t.index                      # absent stays absent
    assert set(q.raw_value) == {"XXX", "CHI"}
    assert q[q.raw_value == "XXX"].reason.str.contains("Other").all()
    assert "XXX" not in set(table.origin) and "CHI" not in set(table.destination)


def test_undesa_every_row_read_is_used_or_quarantined():
    table, q = undesa.read(UNDESA_SMALL)
    used = int((2 - table.one_sex_only.astype(int)).sum())   # rows behind each pair-year
    assert used + len(q) == len(_undesa_raw()) == 92
    assert table.stock.sum() + sum(int(r["v"]) for r in _undesa_raw()
                                   if r["from"] in {"XXX", "CHI"} or r["to"] == "CHI") \
        == sum(int(r["v"]) for r in _undesa_raw())


def test_annual_stock_hand_computed_case():
    table = pd.DataFrame({"origin": ["AAA"] * 3 + ["BBB"] * 2,
                          "destination": ["JPN"] * 5,
                          "year": [2000, 2005, 2015, 1990, 1995],
                          "stock": [100, 200, 400, 10, 20]})
    out = undesa.annual_stock(table, [1989, 1993, 2000, 2003, 2007, 2012, 2015, 2021])
    got = out.set_index(["origin", "year"])
    a = got.loc["AAA"]
    assert a.loc[2000, "stock"] == 100 and not a.loc[2000, "interpolated"]
    assert a.loc[2003, "stock"] == pytest.approx(160.0) and a.loc[2003, "interpolated"]
    assert np.isnan(a.loc[2007, "stock"])             # 2010 missing: no line from 2005 to 2015
    assert np.isnan(a.loc[2012, "stock"])
    assert a.loc[2015, "stock"] == 400
    assert np.isnan(a.loc[1989, "stock"]) and np.isnan(a.loc[2021, "stock"])  # no extrapolation
    assert np.isnan(a.loc[1993, "stock"])                     # AAA has no 1990/1995 points
    assert got.loc[("BBB", 1993), "stock"] == pytest.approx(16.0)
    assert not got.loc[("AAA", 2007), "interpolated"]
    assert len(out) == 2 * 8 and set(out.origin) == {"AAA", "BBB"}     # no invented pairs


def _brute_force(points: dict[int, int], year: int) -> float:
    """Oracle: walk the grid by hand; a value needs both published neighbours."""
    if year in points:
        return float(points[year])
    for lo in range(1990, 2020, 5):
        if lo < year < lo + 5:
            if lo in points and lo + 5 in points:
                return points[lo] + (year - lo) / 5 * (points[lo + 5] - points[lo])
            return math.nan
    return math.nan


@settings(max_examples=60, deadline=None, database=None)
@given(st.dictionaries(st.sampled_from(undesa.POINTS), st.integers(1, 10**7), min_size=1),
       st.lists(st.integers(1980, 2030), min_size=1, max_size=12, unique=True))
def test_annual_stock_matches_a_brute_force_walk_of_the_grid(points, years):
    table = pd.DataFrame({"origin": "PHL", "destination": "JPN", "year": list(points),
                          "stock": list(points.values())})
    got = undesa.annual_stock(table, years).set_index("year")["stock"]
    for year in years:
        want = _brute_force(points, year)
        assert (math.isnan(want) and math.isnan(got[year])) or got[year] == pytest.approx(want)


def test_annual_stock_on_the_fixture_follows_the_published_points():
    table, _ = undesa.read(UNDESA_SMALL)
    out = undesa.annual_stock(table, range(1990, 2021)).set_index(["origin", "destination",
                                                                   "year"])
    s2005, s2010 = _raw_total("AUS", "TLS", 2005), _raw_total("AUS", "TLS", 2010)
    assert (s2005, s2010) == (10709, 10580)
    assert out.loc[("TLS", "AUS", 2007), "stock"] == pytest.approx(s2005 + 2 / 5 * (s2010 - s2005))
    assert out.loc[("TLS", "AUS", 2007), "stock"] == pytest.approx(10657.4)
    assert out.loc[("TLS", "AUS", 1997), "stock"] != out.loc[("TLS", "AUS", 1997), "stock"]
    assert out.loc[("PHL", "JPN", 2015), "stock"] == 229595


def test_undesa_and_annual_stock_bad_input(tmp_path):
    path = tmp_path / "stocks.csv"
    path.write_text(UNDESA_SMALL.read_text().replace("to,from,t,sex,v", "to,from,t,sex,value"))
    with pytest.raises(InputError) as err:
        undesa.read(path)
    assert (err.value.row, err.value.column) == (1, "v")
    with pytest.raises(InputError):
        undesa.read(CEPII_SMALL)                                    # a wrong file
    with pytest.raises(InputError, match="whole numbers"):
        undesa.annual_stock(pd.DataFrame(columns=["origin", "destination", "year", "stock"]),
                            [2003.5])
    with pytest.raises(InputError) as err:
        undesa.annual_stock(pd.DataFrame({"origin": ["A"], "year": [2000]}), [2000])
    assert err.value.column == "destination"
    bad = UNDESA_SMALL.read_text().replace("JPN,PHL,1990,Male,25018", "JPN,PHL,1990,Male,-3")
    path.write_text(bad)
    table, q = undesa.read(path)
    assert q.set_index("row").loc[2, "reason"].startswith("not a positive whole number")
    assert table.set_index(["origin", "destination", "year"]).loc[("PHL", "JPN", 1990),
                                                                  "one_sex_only"]


def test_undesa_regenerate_and_committed_copy(tmp_path):
    names = [p.name for p in undesa.regenerate(UNDESA_SMALL, tmp_path)]
    assert names[:2] == ["migrant_stock.csv", "migrant_stock.csv.provenance.json"]
    assert len(undesa.load(tmp_path)) == len(undesa.read(UNDESA_SMALL)[0])
    committed = undesa.load()
    jpn = committed[(committed.destination == "JPN") & (committed.year == 2015)]
    assert jpn.set_index("origin").loc["THA", "stock"] == 45379       # SOURCE.md


@pytest.mark.shared
def test_undesa_japan_2015_equals_the_2019_revision_not_used_otherwise():
    path = require(paths.shared_file("undesa_migrant_stock",
                                     "UN_MigrantStockByOriginAndDestination_2019_clean.csv"))
    old = pd.read_csv(path)
    row = old[(old.Year == 2015) & (old.Dest == "Japan")].iloc[0]
    new = undesa.load().query("destination == 'JPN' and year == 2015").set_index("origin")
    for iso3, name in (("PHL", "Philippines"), ("VNM", "Viet Nam"), ("THA", "Thailand")):
        assert new.loc[iso3, "stock"] == int(row[name])


@pytest.mark.shared
def test_undesa_full_file_totals_match_the_source_notes():
    path = require(paths.shared_file(*undesa.SHARED_FILE))
    table, q = undesa.read(path)
    raw = pd.read_csv(path, keep_default_na=False)
    assert len(raw) == 150570
    used = int((2 - table.one_sex_only.astype(int)).sum())
    assert used + len(q) == len(raw)
    out = raw.loc[q.row.to_numpy() - 2]
    for year, millions in ((1990, 152.99), (2020, 280.60)):                 # SOURCE.md
        total = table.loc[table.year == year, "stock"].sum() + out.loc[out.t == year, "v"].sum()
        assert round(total / 1e6, 2) == millions
    pd.testing.assert_frame_equal(undesa.load(), table, check_dtype=False)
