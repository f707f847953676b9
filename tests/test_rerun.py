"""Rerunning the report notebooks on newly ingested data, with no code change."""

import io
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from openpyxl import load_workbook

from analysis import build, flows, ingest
from analysis.sources import glotip

FIXTURES = Path(__file__).parent / "fixtures"


def _outputs_text(notebook: Path) -> str:
    book = nbformat.read(notebook, as_version=4)
    parts = []
    for cell in book.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            parts.append(str(data.get("text/markdown", "")) + str(data.get("text/plain", "")))
            parts.append(str(out.get("text", "")))
    return "\n".join(parts)


@pytest.mark.notebooks
def test_routes_notebook_reruns_on_case_records_with_small_cells_suppressed(tmp_path):
    data = tmp_path / "data"
    ingest.ingest("ctdc", FIXTURES / "ctdc_small.csv", data)
    log = io.StringIO()
    assert build.run(only=["01"], data_dir=data, out=tmp_path / "out", log=log) == 0, \
        log.getvalue()
    figs = tmp_path / "out" / "figures"
    for side in figs.glob("routes-*.json"):
        record = json.loads(side.read_text())["disclosure"]
        assert record["kind"] == "case" and record["threshold"] == 11, side.name
        assert record["override"] is False and record.get("small_cells", 0) == 0, side.name
    table = (figs / "routes-main-table.csv").read_text()
    lows = [int(line.split(",")[3]) for line in table.splitlines()[1:]]
    assert all(v >= 11 for v in lows)
    text = _outputs_text(tmp_path / "out" / "notebooks" / "01-routes.ipynb")
    assert "not shown for source `ctdc`" in text
    notes = json.loads((figs / "routes-map-all-years.json").read_text())["notes"]
    assert "registered" in notes.lower()


@pytest.mark.notebooks
def test_a_later_glotip_release_is_ingested_and_a_stale_sentence_stops_the_notebook(tmp_path):
    release = tmp_path / "data_glotip.xlsx"
    shutil.copy(FIXTURES / "glotip_small.xlsx", release)
    book = load_workbook(release)
    sheet = book["data_glotip_1"]
    year_col = [c.value for c in sheet[3]].index("Year") + 1
    for row in sheet.iter_rows(min_row=4):
        cell = row[year_col - 1]
        if str(cell.value).isdigit():  # the fixture also stores some years as text
            cell.value = int(cell.value) + 3  # the same rows, as a release for 2020-2022
    book.save(release)
    data = tmp_path / "data"
    ingest.ingest("glotip", release, data)
    before = glotip.read(FIXTURES / "glotip_small.xlsx").flows
    table = flows.load(data)
    assert sorted(table.year.unique()) == sorted(y + 3 for y in before.year.unique())
    assert table.year.max() == 2022
    log = io.StringIO()
    assert build.run(only=["01"], data_dir=data, out=tmp_path / "out", log=log) == 1
    # In this release Germany, not the UK, detects most Vietnamese victims in Europe:
    # the interpretation's check stops the notebook instead of printing a stale sentence.
    assert "text says the UK detects most Vietnamese victims in Europe" in log.getvalue()
    figs = tmp_path / "out" / "figures"
    side = json.loads((figs / "routes-map-all-years.json").read_text())
    assert side["parameters"]["source"] == "glotip"
    text = _outputs_text(tmp_path / "out" / "notebooks" / "01-routes.ipynb")
    first = flows.from_origins(table).year.min()  # cross-border, Southeast Asian origins
    assert f"Between {first} and 2022" in text
