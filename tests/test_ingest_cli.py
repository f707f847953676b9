import json
import subprocess
import sys

import pandas as pd
import pytest

from analysis import cli, ingest, paths, provenance
from analysis.errors import InputError

FIX = paths.ROOT / "tests" / "fixtures"
CTDC = FIX / "ctdc_small.csv"
GLOTIP = FIX / "glotip_small.xlsx"


def snapshot(folder):
    """Checksum of every file under a folder (hidden staging folders included)."""
    return {str(p.relative_to(folder)): provenance.sha256(p)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_ingest_writes_flows_provenance_and_report(tmp_path, capsys):
    assert cli.main(["ingest", "ctdc", str(CTDC), "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "ctdc: 40 rows read, 33 used, 7 quarantined, 0 set aside" in out
    assert "4 x country of exploitation missing or unknown" in out
    assert "report: ctdc_report.md" in out
    flows = pd.read_csv(tmp_path / "flows.csv", keep_default_na=False)
    assert flows[(flows.sex == "total") & (flows.age == "total")].value_low.sum() == 33
    record = provenance.verify(tmp_path / "flows.csv")
    meta = record["inputs"]["ctdc"]
    assert meta["input_sha256"] == provenance.sha256(CTDC)
    assert meta["producer"].startswith("Counter Trafficking Data Collaborative")
    assert meta["rows_in_flows"] == len(flows)
    report = (tmp_path / "ctdc_report.md").read_text()
    assert "| read | 40 | 40-40 |" in report and "holds" in report
    assert "| citizenship missing or unknown | 3 | 35, 36, 40 |" in report
    quarantine = pd.read_csv(tmp_path / "ctdc_quarantine.csv", dtype=str, keep_default_na=False)
    assert len(quarantine) == 7 and set(quarantine.raw_value) == {"-99", "0"}


def test_sources_are_kept_side_by_side(tmp_path):
    ingest.ingest("glotip", GLOTIP, tmp_path)
    ingest.ingest("ctdc", CTDC, tmp_path)
    ingest.ingest("template", paths.TEMPLATES / "template_cases.csv", tmp_path)
    flows = pd.read_csv(tmp_path / "flows.csv", keep_default_na=False)
    assert flows.groupby("source").size().to_dict() == {"ctdc": 25, "glotip": 22,
                                                         "template_cases": 13}
    inputs = provenance.read_record(tmp_path / "flows.csv")["inputs"]
    assert set(inputs) == {"glotip", "ctdc", "template_cases"}


def test_bad_input_exits_2_naming_file_row_column_problem_fix(tmp_path):
    bad = tmp_path / "ctdc_bad.csv"
    bad.write_text(CTDC.read_text().replace("2017,Male,30--38,VN,1.0,0.0,JP\n",
                                            "2017,Male,30--38,VN,1.0,0.0,JP,extra\n", 1))
    run = subprocess.run([sys.executable, "-m", "analysis", "ingest", "ctdc", str(bad),
                          "--data-dir", str(tmp_path / "data")], capture_output=True, text=True)
    assert run.returncode == 2
    err = run.stderr
    assert err.startswith(f"error: {bad}, row 17:") and "different number of fields" in err
    assert "fix:" in err and "Traceback" not in err
    assert not (tmp_path / "data").exists()


def test_missing_column_message_names_row_and_column(tmp_path, capsys):
    bad = tmp_path / "renamed.csv"
    bad.write_text(CTDC.read_text().replace("CountryOfExploitation", "countryExploited", 1))
    assert cli.main(["ingest", "ctdc", str(bad), "--data-dir", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}, row 1, column 'CountryOfExploitation': required column(s) missing" in err
    assert "'countryExploited'" in err and "fix:" in err


def test_failed_ingest_leaves_the_data_dir_as_it_was(tmp_path):
    data = tmp_path / "data"
    ingest.ingest("glotip", GLOTIP, data)
    ingest.ingest("ctdc", CTDC, data)
    before = snapshot(data)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(CTDC.read_bytes().replace(b"Male,30--38", b"M\xe4le,30--38", 1))
    assert cli.main(["ingest", "ctdc", str(bad), "--data-dir", str(data)]) == 2
    assert snapshot(data) == before


def test_a_folder_in_the_way_rolls_the_commit_back(tmp_path):
    data = tmp_path / "data"
    ingest.ingest("glotip", GLOTIP, data)
    (data / "ctdc_report.md").mkdir()  # the last file to move in cannot replace a folder
    (data / "ctdc_report.md" / "keep.txt").write_text("x")
    before = snapshot(data)
    with pytest.raises(InputError, match="nothing was changed"):
        ingest.ingest("ctdc", CTDC, data)
    assert snapshot(data) == before  # flows.csv restored, no versions/ left behind
    assert not (data / "versions").exists()


def test_only_unusable_rows_refused_and_nothing_written(tmp_path):
    bad = tmp_path / "all_missing.csv"
    bad.write_text("yearOfRegistration,citizenship,CountryOfExploitation\n2016,-99,JP\n"
                   "2017,PH,-99\n")
    with pytest.raises(InputError) as err:
        ingest.ingest("ctdc", bad, tmp_path / "d")
    assert err.value.row == 2 and err.value.column == "citizenship"
    assert "no row could be used (2 read)" in err.value.problem
    assert "1 row(s): citizenship missing or unknown (first: row 2)" in err.value.examples
    assert not (tmp_path / "d").exists()


def test_second_ingest_keeps_the_previous_version(tmp_path):
    ingest.ingest("ctdc", CTDC, tmp_path)
    first = snapshot(tmp_path)
    smaller = tmp_path.parent / "ctdc_2.csv"
    smaller.write_text("\n".join(CTDC.read_text().splitlines()[:11]) + "\n")
    ingest.ingest("ctdc", smaller, tmp_path)
    versions = list((tmp_path / "versions").iterdir())
    assert len(versions) == 1
    kept = snapshot(versions[0])
    assert kept == {name: first[name] for name in kept}
    assert set(kept) == set(first)  # every file the second ingest replaced
    flows = pd.read_csv(tmp_path / "flows.csv", keep_default_na=False)
    assert flows[(flows.sex == "total") & (flows.age == "total")].value_low.sum() == 10
    record = json.loads((tmp_path / "flows.csv.provenance.json").read_text())
    assert record["inputs"]["ctdc"]["input_file"] == "ctdc_2.csv"


def test_provenance_verify_raises_input_errors_the_command_line_can_report(tmp_path):
    ingest.ingest("ctdc", CTDC, tmp_path)
    flows = tmp_path / "flows.csv"
    text = flows.read_text()
    flows.write_text(text.replace("VNM", "PHL", 1))
    with pytest.raises(InputError) as err:
        provenance.verify(flows)
    assert err.value.file == str(flows) and "differs from its provenance record" in \
        err.value.problem and "python -m analysis ingest" in err.value.fix
    flows.write_text(text)
    assert provenance.verify(flows)["inputs"]["ctdc"]["input_file"] == "ctdc_small.csv"
    provenance.record_path(flows).unlink()
    with pytest.raises(InputError, match="no provenance record"):
        provenance.verify(flows)
