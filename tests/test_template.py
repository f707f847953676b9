import pandas as pd
import pytest
from openpyxl import Workbook

from analysis import paths
from analysis.errors import InputError
from analysis.sources import template

TEMPLATES = paths.TEMPLATES
KEY = ["year", "origin", "destination", "indicator", "sex", "age"]


def as_dict(flows):
    return {tuple(r[k] for k in KEY): (r["value_low"], r["value_high"])
            for r in flows.to_dict("records")}


def write_xlsx(path, rows, sheet="data", above=()):
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for line in (*above, *rows):
        ws.append(list(line))
    wb.save(path)
    return path


def test_counts_example_values():
    result = template.read(TEMPLATES / "template_counts.csv")
    assert result.source == "template_counts"
    assert as_dict(result.flows) == {
        (2019, "VNM", "JPN", "detected_victims", "total", "total"): (27, 27),
        (2019, "PHL", "JPN", "detected_victims", "total", "total"): (1, 4),
        (2019, "THA", "DEU", "detected_victims", "total", "total"): (1156, 1156),
        (2019, "THA", "DEU", "detected_victims", "female", "total"): (812, 812),
        (2020, "KHM", "THA", "detected_victims", "total", "total"): (1156, 1156),
        (2020, "IDN", "MYS", "repatriated_victims", "total", "total"): (64, 64),
    }
    assert result.flows.censored.sum() == 1 and len(result.quarantine) == 0


@pytest.mark.parametrize("form", ["counts", "cases"])
def test_csv_and_xlsx_examples_agree(form):
    a = template.read(TEMPLATES / f"template_{form}.csv")
    b = template.read(TEMPLATES / f"template_{form}.xlsx")
    pd.testing.assert_frame_equal(a.flows, b.flows.assign(source=b.flows.source))
    assert a.source == b.source == f"template_{form}"


def test_cases_example_is_counted_per_route():
    f = template.read(TEMPLATES / "template_cases.csv").flows
    tot = f[(f.sex == "total") & (f.age == "total")]
    assert {(r.year, r.origin, r.destination): r.value_low for r in tot.itertuples()} == {
        (2019, "VNM", "JPN"): 2, (2019, "PHL", "JPN"): 1, (2020, "THA", "DEU"): 1,
        (2020, "MMR", "THA"): 1}
    vnm = f[(f.origin == "VNM") & (f.sex == "total")].set_index("age").value_low.to_dict()
    assert vnm == {"adult": 1, "child": 1, "total": 2}
    phl = f[(f.origin == "PHL") & (f.sex == "total")].set_index("age").value_low.to_dict()
    assert phl == {"adult": 1, "total": 1}  # age 34 in years -> adult
    assert set(f.source) == {"template_cases"}


def test_xlsx_with_notes_above_the_header_and_another_sheet_name(tmp_path):
    rows = [("year", "origin", "destination", "count"), (2019, "Viet Nam", "Japan", 12),
            (2019, "Filippino", "Japan", "<5")]
    path = write_xlsx(tmp_path / "mine.xlsx", rows, sheet="Sheet1",
                      above=[("My NGO's shelter records, 2019",), ()])
    result = template.read(path)
    assert result.meta["header_row"] == 3
    assert as_dict(result.flows) == {
        (2019, "VNM", "JPN", "detected_victims", "total", "total"): (12, 12),
        (2019, "PHL", "JPN", "detected_victims", "total", "total"): (1, 4)}
    assert result.quarantine.empty


def test_counts_duplicates_same_value_once_conflict_none(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("year,origin,destination,count\n2019,VNM,JPN,12\n2019,Viet Nam,JPN,12\n"
                    "2019,PHL,JPN,5\n2019,Philippines,JPN,7\n2019,THA,JPN,3\n")
    result = template.read(path)
    assert as_dict(result.flows) == {
        (2019, "VNM", "JPN", "detected_victims", "total", "total"): (12, 12),
        (2019, "THA", "JPN", "detected_victims", "total", "total"): (3, 3)}
    q = result.quarantine.set_index("row").reason.to_dict()
    assert q == {3: "duplicate key (same value repeated: counted once)",
                 4: "duplicate key with conflicting values: none used",
                 5: "duplicate key with conflicting values: none used"}
    d = result.duplicates
    assert list(d.action) == ["conflicting values: none used, correct the file",
                              "same value repeated: counted once"]
    assert list(d["values"]) == ["5 / 7", "12 / 12"] and list(d.rows) == ["4, 5", "2, 3"]


def test_cases_duplicate_case_id_is_counted_once(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("case_id,year,origin,destination,sex,age\nA1,2019,VNM,JPN,female,17\n"
                    "A1,2019,VNM,JPN,female,17\nA2,2019,VNM,JPN,F,adult\n,2019,VNM,JPN,,\n"
                    ",2019,VNM,JPN,,\n")
    result = template.read(path)
    f = result.flows
    assert f[(f.sex == "total") & (f.age == "total")].value_low.tolist() == [4]
    assert f[f.age == "total"].set_index("sex").value_low.to_dict() == {
        "female": 2, "total": 4, "unknown": 2}
    q = result.quarantine
    assert q[["row", "reason"]].values.tolist() == [
        [3, "duplicate case_id: the case is counted once"]]
    d = result.duplicates.iloc[0]
    assert (d.raw_names, d.rows, d["values"], d.action) == (
        "case_id A1", "2, 3", "2 rows", "same case_id repeated: counted once")


def test_unknown_name_is_quarantined_with_a_suggestion(tmp_path):
    path = tmp_path / "names.csv"
    path.write_text("year,origin,destination,count\n2019,Phillipines,Japan,12\n"
                    "2019,Atlantis,Japan,3\n2019,Unknown,Japan,9\n")
    result = template.read(path)
    q = result.quarantine.set_index("raw_value")
    assert q.loc["Phillipines", "reason"].startswith("unmatched origin name")
    assert "PHL" in q.loc["Phillipines", "detail"]
    assert q.loc["Atlantis", "detail"] == ""
    assert q.loc["Unknown", "reason"] == "origin missing or unknown"
    h = result.harmonisation.set_index("raw")
    assert h.loc["Phillipines", "method"] == "unmatched" and "PHL" in h.loc["Phillipines",
                                                                             "suggestion"]
    assert result.flows.empty


def test_wrong_file_type_is_refused(tmp_path):
    path = tmp_path / "data.json"
    path.write_text("{}")
    with pytest.raises(InputError, match="unsupported file type '.json'"):
        template.read(path)


def test_readme_documents_every_column_and_the_command():
    text = (TEMPLATES / "README.md").read_text()
    for word in [*template.COUNTS_REQUIRED, *template.OPTIONAL, "<5", "k = 11",
                 "python -m analysis ingest template", "detected_victims",
                 "repatriated_victims", "female", "child"]:
        assert word in text, word
