"""The command line: derive and build arguments, exit codes."""

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd

from analysis import build, cli, ingest, paths

FIXTURES = Path(__file__).parent / "fixtures"


def test_derive_threep_from_a_fixture_writes_table_and_provenance(tmp_path, capsys):
    assert cli.main(["derive", "threep", str(FIXTURES / "threep_small.csv"),
                     "--out", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "threep.csv")
    assert len(table) > 0 and (tmp_path / "threep.csv.provenance.json").exists()
    assert "threep:" in capsys.readouterr().out


def test_derive_with_a_missing_file_exits_2_with_a_message(tmp_path, capsys):
    assert cli.main(["derive", "tip", str(tmp_path / "nope.csv"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "nope.csv" in err and "fix:" in err
    assert not list(tmp_path.glob("*.csv"))


def test_build_with_no_matching_notebook_fails_clearly(tmp_path):
    log = io.StringIO()
    assert build.run(only=["no-such-notebook"], out=tmp_path, log=log) == 1
    assert "no notebook matches" in log.getvalue()


def test_build_on_a_folder_without_flows_exits_2_before_running(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert cli.main(["build", "--data-dir", str(tmp_path / "empty"), "--out",
                     str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "no flows.csv in this data folder" in err and "python -m analysis ingest" in err
    assert not (tmp_path / "out").exists()


def test_build_on_a_missing_folder_says_so(tmp_path, capsys):
    assert cli.main(["build", "--data-dir", str(tmp_path / "nope")]) == 2
    assert f"{tmp_path / 'nope'}: this data folder does not exist" in capsys.readouterr().err


def ingested(folder):
    ingest.ingest("template", paths.TEMPLATES / "template_counts.csv", folder)
    return folder


def test_build_refuses_an_unknown_or_absent_source_with_exit_2(tmp_path, capsys):
    data = ingested(tmp_path / "data")
    assert cli.main(["build", "--data-dir", str(data), "--source", "nope"]) == 2
    err = capsys.readouterr().err
    assert "unknown source 'nope'" in err and "glotip" in err and "Traceback" not in err
    assert cli.main(["build", "--data-dir", str(data), "--source", "ctdc"]) == 2
    err = capsys.readouterr().err
    assert "source 'ctdc' is not in this data folder (present: template_counts)" in err


def test_build_data_dir_is_taken_from_where_the_command_runs(tmp_path, capsys, monkeypatch):
    ingested(tmp_path / "mydata")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["build", "--data-dir", "mydata", "--source", "ctdc"]) == 2
    assert f"{tmp_path / 'mydata' / 'flows.csv'}: source 'ctdc'" in capsys.readouterr().err


def test_a_hand_edited_flows_table_exits_2_with_the_provenance_message(tmp_path, capsys):
    data = ingested(tmp_path / "data")
    flows = data / "flows.csv"
    flows.write_text(flows.read_text().replace("VNM", "PHL", 1))
    run = subprocess.run([sys.executable, "-m", "analysis", "build", "--data-dir", str(data),
                          "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith(f"error: {flows}: checksum ")
    assert "differs from its provenance record" in run.stderr and "fix:" in run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "out" / "notebooks").exists()


def test_the_source_option_and_the_jobs_option_are_documented():
    text = cli._parser()._subparsers._group_actions[0].choices["build"].format_help()
    assert "--source NAME" in text and "template_counts" in text and "--jobs" in text
