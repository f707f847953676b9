"""Report notebooks: committed without outputs, parameterised, and executed end to end."""

import io
import shutil
import subprocess

import nbformat
import pytest
from conftest import run_report

from analysis import build, paths

NOTEBOOKS = sorted(paths.NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


def outputs_left(nb) -> list[int]:
    """Return the numbers of the code cells that carry outputs or an execution count."""
    book = nbformat.read(nb, as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    return [i for i, c in enumerate(code, 1) if c.outputs or c.execution_count is not None]


def strip_message(nb, cells: list[int]) -> str:
    """Say which cells carry outputs and the command that removes them."""
    return (f"{nb.name}: code cell(s) {cells} carry outputs (saved from JupyterLab?); run "
            f"`.venv/bin/nbstripout notebooks/{nb.name}` (or `make strip`), then commit. "
            "`make test` installs nbstripout as a git filter so this cannot reach a commit.")


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_has_no_outputs(nb):
    cells = outputs_left(nb)
    assert not cells, strip_message(nb, cells)


def test_the_outputs_message_names_cells_and_the_command(tmp_path):
    book = nbformat.v4.new_notebook()
    ran = nbformat.v4.new_code_cell("1 + 1")
    ran.execution_count = 1
    ran.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"},
                                          execution_count=1)]
    book.cells = [nbformat.v4.new_code_cell("x = 1"), ran]
    nb = tmp_path / "02-protection.ipynb"
    nbformat.write(book, nb)
    cells = outputs_left(nb)
    assert cells == [2]
    assert ("code cell(s) [2] carry outputs" in strip_message(nb, cells)
            and "`.venv/bin/nbstripout notebooks/02-protection.ipynb`" in strip_message(nb, cells))


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_a_tagged_parameters_cell_first(nb):
    book = nbformat.read(nb, as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert "DATA_DIR" in code[0].source and "FIGURES_DIR" in code[0].source


@pytest.mark.notebooks
def test_routes_notebook_runs_end_to_end(tmp_path):
    sidecars, log = run_report("01", tmp_path, (
        "routes-map-all-years", "routes-map-periods", "routes-japan-europe-over-time",
        "routes-origin-mix", "routes-top-destinations"))
    for side in sidecars.values():
        assert "flows.csv" in side["inputs"] and side["parameters"]["source"] == "glotip"
    assert sidecars["routes-map-all-years"]["disclosure"]["small_cells"] == 0
    assert (tmp_path / "figures" / "routes-main-table.csv").exists()
    assert "[1/1] 01-routes.ipynb" in log


@pytest.mark.notebooks
def test_a_failing_notebook_names_the_cell_and_error(tmp_path):
    bad = tmp_path / "nb"
    bad.mkdir()
    book = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("DATA_DIR = None\nFIGURES_DIR = None")
    params.metadata["tags"] = ["parameters"]
    book.cells = [params, nbformat.v4.new_code_cell("x = 1"),
                  nbformat.v4.new_code_cell("raise ValueError('stale sentence')")]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                   "language": "python"}
    nbformat.write(book, bad / "99-broken.ipynb")
    log = io.StringIO()
    assert build.run(only=["99"], out=tmp_path / "out", timeout=120, log=log, folder=bad) == 1
    # Cell numbers count papermill's injected-parameters cell, as the executed copy shows.
    assert ("FAILED 99-broken.ipynb: cell 4 (\"raise ValueError('stale sentence')\"): "
            "ValueError: stale sentence") in log.getvalue()


def _make(*args, cwd=paths.ROOT):
    return subprocess.run(["make", *args], cwd=cwd, capture_output=True, text=True)


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_make_has_a_fast_loop_that_runs_no_notebook():
    run = _make("-n", "test-fast")
    assert run.returncode == 0, run.stderr
    assert '-m pytest -q -m "not notebooks"' in run.stdout


@pytest.mark.skipif(shutil.which("make") is None or shutil.which("git") is None,
                    reason="make or git not installed")
def test_the_environment_step_installs_nbstripout_only_in_a_git_repository(tmp_path):
    # The Makefile's own recipe lines, run in a scratch repository and in a plain folder.
    lines = (paths.ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if "git rev-parse --is-inside-work-tree" in ln)
    end = next(i for i in range(start, len(lines)) if lines[i].strip() == "fi")
    recipe = "\n".join(["VENV := " + str(paths.ROOT / ".venv"), "setup:", *lines[start:end + 1]])
    for name in ("repo", "plain"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Mk").write_text(recipe + "\n")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path / "repo", check=True)
    repo = _make("-f", "Mk", "setup", cwd=tmp_path / "repo")
    assert repo.returncode == 0 and "git filter installed" in repo.stdout, repo.stderr
    assert "nbstripout" in (tmp_path / "repo" / ".git" / "config").read_text()
    assert "*.ipynb filter=nbstripout" in (tmp_path / "repo" / ".git" / "info" /
                                           "attributes").read_text()
    plain = _make("-f", "Mk", "setup", cwd=tmp_path / "plain")
    assert plain.returncode == 0 and "not a git repository" in plain.stdout
    assert not (tmp_path / "plain" / ".git").exists()
