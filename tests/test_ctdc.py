import csv

import pandas as pd
import pytest

from analysis import paths
from analysis.errors import InputError
from analysis.sources import ctdc

FIXTURE = paths.ROOT / "tests" / "fixtures" / "ctdc_small.csv"
SAMPLE = paths.shared_file("ctdc", "ctdc_global_2020_subset_sample2000.csv")
#: Columns of the full-width CTDC release (about 60), besides the 7 of the subset.
FULL_EXTRA = [
    "Datasource", "majorityStatus", "majorityStatusAtExploit", "majorityEntry",
    "meansOfControlDebtBondage", "meansOfControlTakesEarnings",
    "meansOfControlRestrictsFinancialAccess", "meansOfControlThreats",
    "meansOfControlPsychologicalAbuse", "meansOfControlPhysicalAbuse",
    "meansOfControlSexualAbuse", "meansOfControlFalsePromises",
    "meansOfControlPsychoactiveSubstances",
    "meansOfControlRestrictsMovement", "meansOfControlRestrictsMedicalCare",
    "meansOfControlExcessiveWorkingHours", "meansOfControlUsesChildren",
    "meansOfControlThreatOfLawEnforcement", "meansOfControlWithholdsNecessities",
    "meansOfControlWithholdsDocuments", "meansOfControlOther", "meansOfControlNotSpecified",
    "meansOfControlConcatenated", "isForcedMarriage", "isForcedMilitary", "isOtherExploit",
    "isSexAndLabour", "isAbduction", "typeOfLabourAgriculture", "typeOfLabourAquafarming",
    "typeOfLabourBegging", "typeOfLabourConstruction", "typeOfLabourDomesticWork",
    "typeOfLabourHospitality", "typeOfLabourIllicitActivities", "typeOfLabourManufacturing",
    "typeOfLabourMiningOrDrilling", "typeOfLabourPeddling", "typeOfLabourTransportation",
    "typeOfLabourOther", "typeOfLabourNotSpecified", "typeOfLabourConcatenated",
    "typeOfSexProstitution", "typeOfSexPornography", "typeOfSexRemoteInteractiveServices",
    "typeOfSexPrivateSexualServices", "typeOfSexConcatenated", "isOrganRemoval",
    "recruiterRelationIntimatePartner", "recruiterRelationFriend", "recruiterRelationFamily",
    "recruiterRelationOther", "recruiterRelationUnknown",
]


def totals(result):
    f = result.flows
    f = f[(f.sex == "total") & (f.age == "total")]
    return {(r.year, r.origin, r.destination): r.value_low for r in f.itertuples()}


EXPECTED = {(2016, "PHL", "JPN"): 15, (2017, "VNM", "JPN"): 4, (2017, "THA", "MYS"): 5,
            (2018, "KHM", "THA"): 4, (2018, "MMR", "THA"): 2, (2018, "UKR", "GBR"): 1,
            (2018, "XKX", "DEU"): 1, (2018, "NAM", "ZAF"): 1}


def test_fixture_counts_per_route():
    result = ctdc.read(FIXTURE)
    assert totals(result) == EXPECTED
    assert result.meta["rows_read"] == 40 and result.meta["release"] == "7-column subset"
    assert set(result.flows.source) == {"ctdc"}
    assert set(result.flows.indicator) == {"detected_victims"}


def test_missing_codes_are_quarantined_with_reasons_never_dropped():
    q = ctdc.read(FIXTURE).quarantine
    assert q.groupby("reason").size().to_dict() == {
        "citizenship missing or unknown": 3, "country of exploitation missing or unknown": 4}
    assert sorted(q.raw_value) == ["-99", "-99", "-99", "-99", "-99", "0", "0"]
    assert q[q.raw_value == "-99"].detail.str.contains("missing").all()
    assert list(q.row) == sorted(q.row)  # file order, spreadsheet-style row numbers


def test_codes_needing_review_go_through_the_mapping_file():
    t = totals(ctdc.read(FIXTURE))
    assert t[(2018, "UKR", "GBR")] == 1  # 'UK' is not ISO2 (GB): the mapping says GBR
    assert t[(2018, "XKX", "DEU")] == 1  # Kosovo's user-assigned 'XK'
    assert t[(2018, "NAM", "ZAF")] == 1  # Namibia's 'NA' is not a missing value


def test_breakdowns_never_double_count_the_totals():
    f = ctdc.read(FIXTURE).flows
    total = f[(f.sex == "total") & (f.age == "total")].value_low.sum()
    by_sex = f[(f.sex != "total") & (f.age == "total")].value_low.sum()
    by_age = f[(f.sex == "total") & (f.age != "total")].value_low.sum()
    assert total == by_sex == by_age == 33
    assert not ((f.sex != "total") & (f.age != "total")).any()
    phl = f[(f.origin == "PHL") & (f.sex == "total")].set_index("age").value_low.to_dict()
    assert phl == {"adult": 12, "child": 3, "total": 15}


def _write(path, header, rows):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def _fixture_rows():
    with open(FIXTURE, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def test_full_width_release_gives_the_same_flows(tmp_path):
    header, rows = _fixture_rows()
    # The full release interleaves the extra columns; put the 7 among them in another order.
    wide = FULL_EXTRA[:20] + header[::-1] + FULL_EXTRA[20:]
    pos = {c: i for i, c in enumerate(header)}
    out = [[r[pos[c]] if c in pos else "0" for c in wide] for r in rows]
    result = ctdc.read(_write(tmp_path / "full.csv", wide, out))
    assert len(wide) == 60
    assert result.meta["release"] == "full width (60 columns)"
    pd.testing.assert_frame_equal(result.flows, ctdc.read(FIXTURE).flows)


def test_renamed_columns_fail_naming_needed_and_found(tmp_path):
    header, rows = _fixture_rows()
    renamed = [{"citizenship": "nationality", "yearOfRegistration": "registrationYear"}
               .get(c, c) for c in header]
    with pytest.raises(InputError) as err:
        ctdc.read(_write(tmp_path / "ctdc_2024.csv", renamed, rows))
    msg = str(err.value)
    assert "required column(s) missing: ['yearOfRegistration', 'citizenship']" in msg
    assert "'nationality'" in msg and "'registrationYear'" in msg  # the columns found
    assert err.value.row == 1 and err.value.column == "yearOfRegistration"
    assert "fix:" in msg and "rename" in msg


def test_header_case_and_spaces_are_tolerated(tmp_path):
    header, rows = _fixture_rows()
    loose = [f" {c.upper()} " for c in header]
    assert totals(ctdc.read(_write(tmp_path / "loose.csv", loose, rows))) == EXPECTED


def test_without_gender_and_age_only_totals(tmp_path):
    header, rows = _fixture_rows()
    keep = [0, 3, 6]
    result = ctdc.read(_write(tmp_path / "three.csv", [header[i] for i in keep],
                              [[r[i] for i in keep] for r in rows]))
    assert set(result.flows.sex) == {"total"} and set(result.flows.age) == {"total"}
    assert totals(result) == EXPECTED


def test_unmatched_code_is_reported_with_its_rows(tmp_path):
    header, rows = _fixture_rows()
    rows[0][3] = "QQ"
    result = ctdc.read(_write(tmp_path / "qq.csv", header, rows))
    q = result.quarantine
    line = q[q.raw_value == "QQ"].iloc[0]
    assert line.reason == "unmatched citizenship code: add it to data/mappings/ctdc.csv"
    assert line.row == 2 and line.column == "citizenship"
    h = result.harmonisation
    assert h.to_dict("records")[0] | {"suggestion": ""} == {
        "column": "citizenship", "raw": "QQ", "method": "unmatched", "iso3": "", "n_rows": 1,
        "rows": "2", "suggestion": ""}
    assert totals(result)[(2016, "PHL", "JPN")] == 14


@pytest.mark.shared
@pytest.mark.skipif(not SAMPLE.exists(), reason=f"{SAMPLE} absent (fresh clone): skipped")
def test_shared_sample_every_row_accounted_for():
    result = ctdc.read(SAMPLE)
    tot = result.conservation.sum(numeric_only=True)
    assert (tot.rows_read, tot.rows_used, tot.rows_quarantined) == (2000, 1173, 827)
    f = result.flows
    assert f[(f.sex == "total") & (f.age == "total")].value_low.sum() == 1173
    assert len(result.quarantine) == 827
