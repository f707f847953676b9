"""Build: notebooks run in parallel, parameters passed (not environment), source announced."""

import io
import json

import nbformat
import pandas as pd
import pytest

from analysis import build, ingest, paths, provenance
from analysis.errors import InputError
from analysis.settings import Settings

# Each notebook marks that it started, then waits for the other's mark: run one after the
# other, the first waits in vain and fails; run together, both pass at once.
WAIT_FOR = """\
import json, os, time
from pathlib import Path
marks = Path(FIGURES_DIR).parent / "marks"
marks.mkdir(exist_ok=True)
(marks / "{me}").write_text("started")
deadline = time.time() + 45
while not (marks / "{other}").exists():
    assert time.time() < deadline, "the other notebook never started: not run in parallel"
    time.sleep(0.2)
seen = {{"DATA_DIR": DATA_DIR, "FIGURES_DIR": FIGURES_DIR,
        "SOURCE": globals().get("SOURCE", "(not passed)"),
        "env": sorted(k for k in os.environ if k.startswith("ANALYSIS_"))}}
(marks / "{me}.json").write_text(json.dumps(seen))
"""


def notebook(path, parameters: str, *cells: str) -> None:
    book = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    book.cells = [params, *(nbformat.v4.new_code_cell(c) for c in cells)]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                   "language": "python"}
    nbformat.write(book, path)


@pytest.fixture
def two_templates(tmp_path):
    """A data folder holding both template forms (13 case flows, 6 count flows)."""
    data = tmp_path / "data"
    ingest.ingest("template", paths.TEMPLATES / "template_counts.csv", data)
    ingest.ingest("template", paths.TEMPLATES / "template_cases.csv", data)
    return data


def test_the_source_shown_follows_the_notebooks_rule_and_names_the_others(two_templates):
    # Two template forms: the larger (13 case flows against 6 counts) is shown, the other named.
    shown, others = build.choose_source(Settings.from_params(two_templates))
    assert (shown, others) == ("template_cases", ["template_counts"])
    asked = Settings.from_params(two_templates, source="template_counts")
    assert build.choose_source(asked) == ("template_counts", ["template_cases"])
    assert build.choose_source(Settings.from_params(None)) == ("glotip", [])
    log = io.StringIO()
    build.announce_source(Settings.from_params(two_templates), log)
    assert log.getvalue() == (
        "source shown: template_cases (also in this data folder: template_counts; sources "
        "are never mixed in one figure; choose another with --source NAME)\n")


def test_the_build_rule_is_the_notebooks_rule(two_templates):
    from analysis import routes  # the notebooks call it as routes.pick_source

    table = pd.read_csv(two_templates / "flows.csv", keep_default_na=False)
    glotip = pd.concat([table, table.head(1).assign(source="glotip")])
    for frame in (table, glotip, table[table.source == "template_counts"]):
        folder = two_templates.parent / f"f{len(frame)}"
        folder.mkdir()
        frame.to_csv(folder / "flows.csv", index=False)
        provenance.write_record(folder / "flows.csv", {"title": "test copy"})
        assert build.choose_source(Settings.from_params(folder))[0] == \
            routes.pick_source(frame)


def test_a_source_not_in_the_folder_is_refused_before_any_notebook(two_templates, tmp_path):
    with pytest.raises(InputError, match="source 'glotip' is not in this data folder "
                                         r"\(present: template_cases, template_counts\)"):
        build.run(data_dir=two_templates, out=tmp_path / "out", source="glotip",
                  log=io.StringIO())
    with pytest.raises(InputError, match="unknown source 'nope'"):
        build.run(data_dir=two_templates, out=tmp_path / "out", source="nope",
                  log=io.StringIO())
    assert not (tmp_path / "out" / "notebooks").exists()


@pytest.mark.notebooks
def test_notebooks_run_in_parallel_with_parameters_not_environment(two_templates, tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    notebook(nbs / "01-a.ipynb", "DATA_DIR = None\nFIGURES_DIR = None\nSOURCE = None",
             WAIT_FOR.format(me="01", other="02"))
    notebook(nbs / "02-b.ipynb", "DATA_DIR = None\nFIGURES_DIR = None",
             WAIT_FOR.format(me="02", other="01"))
    log = io.StringIO()
    out = tmp_path / "out"
    assert build.run(data_dir=two_templates, out=out, folder=nbs, log=log, timeout=120) == 0, \
        log.getvalue()
    text = log.getvalue()
    assert "running 2 notebooks in parallel, 2 at a time (each in its own worker process " \
           "and kernel)" in text
    assert "source shown: template_cases (also in this data folder: template_counts" in text
    assert "[1/2] 01-a.ipynb done in" in text and "[2/2] 02-b.ipynb done in" in text
    seen_a = json.loads((out / "marks" / "01.json").read_text())
    seen_b = json.loads((out / "marks" / "02.json").read_text())
    assert seen_a == {"DATA_DIR": str(two_templates), "FIGURES_DIR": str(out / "figures"),
                      "SOURCE": "template_cases", "env": []}
    assert seen_b["SOURCE"] == "(not passed)" and seen_b["env"] == []  # 02 declares no SOURCE
    assert (out / "notebooks" / "01-a.kernel.log").exists()


@pytest.mark.notebooks
def test_a_failing_notebook_in_parallel_is_named_and_the_other_finishes(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    notebook(nbs / "01-fails.ipynb", "DATA_DIR = None\nFIGURES_DIR = None",
             "raise ValueError('stale sentence')")
    notebook(nbs / "02-fine.ipynb", "DATA_DIR = None\nFIGURES_DIR = None", "x = 1")
    log = io.StringIO()
    assert build.run(out=tmp_path / "out", folder=nbs, log=log, timeout=120) == 1
    text = log.getvalue()
    # Cell numbers count papermill's injected-parameters cell, as the executed copy shows.
    assert ("FAILED 01-fails.ipynb: cell 3 (\"raise ValueError('stale sentence')\"): "
            "ValueError: stale sentence") in text
    assert "[2/2] 02-fine.ipynb done in" in text
    assert "source shown" not in text  # neither notebook shows flows (no SOURCE parameter)


def test_an_unknown_preset_or_language_is_refused_before_any_notebook(tmp_path):
    from analysis.errors import InputError

    with pytest.raises(InputError, match="unknown preset 'poster'"):
        build.run(out=tmp_path, preset="poster")
    with pytest.raises(InputError, match="unknown language 'fr'"):
        build.run(out=tmp_path, lang="fr")
    assert not (tmp_path / "notebooks").exists()


@pytest.mark.notebooks
def test_preset_and_language_reach_only_the_notebooks_that_declare_them(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    show = ("import json, pathlib\n"
            "pathlib.Path(FIGURES_DIR, '{me}.json').write_text(json.dumps("
            "{{'PRESET': globals().get('PRESET', '-'), 'LANG': globals().get('LANG', '-')}}))")
    notebook(nbs / "01-a.ipynb", "DATA_DIR = None\nFIGURES_DIR = None\nPRESET = 'screen'\n"
             "LANG = 'en'", show.format(me="01"))
    notebook(nbs / "02-b.ipynb", "DATA_DIR = None\nFIGURES_DIR = None", show.format(me="02"))
    out = tmp_path / "out"
    assert build.run(out=out, folder=nbs, log=io.StringIO(), timeout=120, preset="double",
                     lang="ja") == 0
    assert json.loads((out / "figures" / "01.json").read_text()) == {"PRESET": "double",
                                                                     "LANG": "ja"}
    assert json.loads((out / "figures" / "02.json").read_text()) == {"PRESET": "-", "LANG": "-"}
