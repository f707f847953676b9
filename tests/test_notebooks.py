"""Report notebooks: committed without outputs, parameterised, and executed end to end."""

import io

import nbformat
import pytest
from conftest import run_report

from analysis import build, paths

NOTEBOOKS = sorted(paths.NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_has_no_outputs(nb):
    book = nbformat.read(nb, as_version=4)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, nb.name


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


def test_a_failing_notebook_names_the_cell_and_error(tmp_path, monkeypatch):
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
    monkeypatch.setattr(paths, "NOTEBOOKS", bad)
    log = io.StringIO()
    assert build.run(only=["99"], out=tmp_path / "out", timeout=120, log=log) == 1
    # Cell numbers count papermill's injected-parameters cell, as the executed copy shows.
    assert ("FAILED 99-broken.ipynb: cell 4 (\"raise ValueError('stale sentence')\"): "
            "ValueError: stale sentence") in log.getvalue()
