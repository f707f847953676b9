"""Every reader: counts read = used + quarantined + set aside, per source and year."""

import pandas as pd
import pytest

from analysis import paths
from analysis.sources import ctdc, glotip, template

FIX = paths.ROOT / "tests" / "fixtures"


def _messy_counts(tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text(
        "year,origin,destination,count,sex\n"
        "2018,Viet Nam,JPN,12,total\n2018,VNM,JPN,12,total\n"      # repeat: counted once
        "2018,PHL,JPN,<5,total\n2018,PHL,JPN,3,female\n"            # censored + breakdown
        "2019,THA,DEU,-4,total\n2019,THA,DEU,abc,total\n"           # negative, not a count
        "2019,THA,DEU,\"1,156\",total\n2019,KHM,THA,250000,total\n"  # absurd
        "2019,Atlantis,JPN,6,total\n2040,MMR,THA,5,total\n"         # unmatched, future
        "2019,LAO,THA,5,total\n2019,LAO,THA,8,total\n")              # conflict
    return path


def _messy_cases(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text(
        "case_id,year,origin,destination,sex,age\n"
        "1,2018,VNM,JPN,female,16\n1,2018,VNM,JPN,female,16\n2,2018,PHL,JPN,male,adult\n"
        "3,-99,PHL,JPN,male,adult\n4,2019,Unknown,JPN,,\n5,2019,THA,Mars,,\n"
        "6,2019,THA,DEU,total,\n7,2019,THA,DEU,female,elderly\n8,2019,THA,DEU,,\n")
    return path


CASES = {
    "glotip": lambda tmp: glotip.read(FIX / "glotip_small.xlsx"),
    "ctdc": lambda tmp: ctdc.read(FIX / "ctdc_small.csv"),
    "template_counts": lambda tmp: template.read(_messy_counts(tmp)),
    "template_cases": lambda tmp: template.read(_messy_cases(tmp)),
}


def _check_balance(cons: pd.DataFrame):
    for measure in ("rows", "low", "high"):
        parts = sum(cons[f"{measure}_{o}"] for o in ("used", "quarantined", "set_aside"))
        assert (cons[f"{measure}_read"] == parts).all(), (measure, cons)


@pytest.mark.parametrize("source", list(CASES))
def test_read_equals_used_plus_quarantined_plus_set_aside(source, tmp_path):
    result = CASES[source](tmp_path)
    cons = result.conservation
    assert set(cons.source) == {source}
    _check_balance(cons)
    assert cons.rows_read.sum() == result.meta["rows_read"]
    assert cons.rows_quarantined.sum() == len(result.quarantine)


@pytest.mark.parametrize("source", list(CASES))
def test_used_counts_are_what_the_flows_hold(source, tmp_path):
    result = CASES[source](tmp_path)
    f = result.flows
    if source.endswith("cases") or source == "ctdc":  # totals rows are the complete count
        f = f[(f.sex == "total") & (f.age == "total")]
    used = f.groupby(f.year.astype(str))[["value_low", "value_high"]].sum()
    cons = result.conservation.set_index("year")
    cons = cons[cons.rows_used > 0]
    assert used.value_low.to_dict() == cons.low_used.to_dict()
    assert used.value_high.to_dict() == cons.high_used.to_dict()


def test_glotip_fixture_account_exactly():
    cons = glotip.read(FIX / "glotip_small.xlsx").conservation.set_index("year")
    assert cons.loc["2019", ["rows_read", "rows_used", "rows_quarantined",
                             "rows_set_aside"]].tolist() == [34, 14, 5, 15]
    # Censored values are carried as bounds: seven "<5" cells read in 2019 (1-4 each).
    assert (cons.at["2019", "high_read"] - cons.at["2019", "low_read"]) == 15
    assert cons.at["2019", "low_quarantined"] == 1 + 1094 + 61_102_019 + 6_122_019 + 8


def test_template_counts_account_exactly(tmp_path):
    result = template.read(_messy_counts(tmp_path))
    cons = result.conservation.set_index("year")
    assert cons.loc["2018", ["rows_read", "rows_used", "rows_quarantined"]].tolist() == [4, 3, 1]
    assert cons.loc["2018", ["low_used", "high_used"]].tolist() == [16, 19]
    assert cons.loc["2019", ["rows_read", "rows_used", "rows_quarantined"]].tolist() == [7, 1, 6]
    # The unparsable cells ("-4", "abc") count as 0 in the bounds, on both sides.
    assert cons.loc["2019", ["low_read", "low_quarantined"]].tolist() == [251_175, 250_019]
    assert cons.loc["2040", "rows_quarantined"] == 1


def test_template_cases_account_exactly(tmp_path):
    result = template.read(_messy_cases(tmp_path))
    reasons = result.quarantine.set_index("row").reason.to_dict()
    assert reasons == {
        3: "duplicate case_id: the case is counted once",
        5: "year missing ('-99')",
        6: "origin missing or unknown",
        7: "unmatched destination name: correct it or add it to data/mappings/template.csv",
        8: "a case has one sex, not 'total'",
        9: "unknown age label (allowed: total, adult, child, unknown, or an age in years)"}
    tot = result.conservation.sum(numeric_only=True)
    assert (tot.rows_read, tot.rows_used, tot.rows_quarantined) == (9, 3, 6)
