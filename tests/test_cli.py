"""The command line: derive and build arguments, exit codes."""

import io
from pathlib import Path

import pandas as pd

from analysis import build, cli

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


def test_build_leaves_the_environment_as_it_found_it(tmp_path, monkeypatch):
    import os

    monkeypatch.delenv("ANALYSIS_DATA_DIR", raising=False)
    monkeypatch.delenv("ANALYSIS_FIGURES_DIR", raising=False)
    build.run(only=["no-such-notebook"], data_dir=tmp_path, out=tmp_path, log=io.StringIO())
    assert "ANALYSIS_DATA_DIR" not in os.environ and "ANALYSIS_FIGURES_DIR" not in os.environ


def test_build_on_a_folder_without_flows_exits_2_before_running(tmp_path, capsys):
    assert cli.main(["build", "--data-dir", str(tmp_path / "empty"), "--out",
                     str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "no flows.csv" in err and "python -m analysis ingest" in err
    assert not (tmp_path / "out").exists()
