"""Settings are passed explicitly: no environment variables, no module state, one error."""

import pytest

from analysis import cli, paths
from analysis.errors import InputError
from analysis.settings import Settings, check_data_dir
from analysis.sources import threep

SRC = paths.ROOT / "src" / "analysis"


def test_paths_no_longer_smuggles_folders_through_the_environment():
    for name in ("use", "data_dir", "figures_dir", "data_file"):
        assert not hasattr(paths, name), name
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        assert "ANALYSIS_DATA_DIR" not in text and "ANALYSIS_FIGURES_DIR" not in text, path


def test_a_relative_data_dir_in_a_notebook_is_taken_from_the_project_root(monkeypatch):
    monkeypatch.chdir(paths.NOTEBOOKS)  # where JupyterLab and papermill run a notebook
    cfg = Settings.from_params("data/processed", "reports/figures", "glotip")
    assert cfg.data_dir == paths.PROCESSED and cfg.figures_dir == paths.FIGURES
    assert cfg.source == "glotip"
    with pytest.raises(InputError) as err:
        Settings.from_params("mydata")  # the README's example, not ingested yet
    assert err.value.file == str(paths.ROOT / "mydata")
    assert err.value.problem == "this data folder does not exist"


def test_the_command_line_and_the_notebooks_give_the_same_message(tmp_path, capsys):
    (tmp_path / "mydata").mkdir()
    with pytest.raises(InputError) as err:
        Settings.from_params(tmp_path / "mydata")
    assert cli.main(["build", "--data-dir", str(tmp_path / "mydata")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {err.value}"
    assert err.value.problem == "no flows.csv in this data folder"
    with pytest.raises(InputError, match="no flows.csv"):
        check_data_dir(tmp_path / "mydata")


def test_derived_tables_load_from_the_folder_given_else_the_committed_copy(tmp_path):
    cfg = Settings(data_dir=tmp_path)
    assert cfg.data_file(threep.OUT_FILE) == paths.PROCESSED / threep.OUT_FILE
    assert len(threep.load(cfg.data_file(threep.OUT_FILE))) == len(threep.load())
