"""One source registry: ingest, provenance records, the command line and readers read it."""

import importlib.util
import json
from dataclasses import replace

import pytest

from analysis import cli, ingest, paths, provenance
from analysis.sources import glotip, registry, threep, values

FIX = paths.ROOT / "tests" / "fixtures"
SRC = paths.ROOT / "src" / "analysis"


def test_ingest_copies_the_registry_citation_into_the_provenance_record(tmp_path):
    ingest.ingest("ctdc", FIX / "ctdc_small.csv", tmp_path)
    ingest.ingest("template", paths.TEMPLATES / "template_counts.csv", tmp_path)
    inputs = provenance.read_record(tmp_path / "flows.csv")["inputs"]
    for sid in ("ctdc", "template_counts"):
        source = registry.get(sid)
        for name in ("producer", "title", "citation", "url", "licence", "unit", "caveat",
                     "kind"):
            assert inputs[sid][name] == getattr(source, name), (sid, name)
        assert inputs[sid]["reader"].startswith(source.reader + " ")
    # The report ends with the source's own caveat: registered cases are not detections.
    report = (tmp_path / "ctdc_report.md").read_text()
    assert report.rstrip().endswith(registry.get("ctdc").caveat)


def test_derived_tables_cite_their_source_from_the_registry(tmp_path):
    _, written = threep.regenerate(FIX / "threep_small.csv", tmp_path)
    record = json.loads(written[1].read_text())
    assert record["citation"] == registry.get("threep").citation
    assert record["licence"] == registry.get("threep").licence
    assert provenance.citation("tip")["producer"] == registry.get("tip").producer


def test_ingest_and_derive_choices_come_from_the_registry():
    args = cli._parser().parse_args(["ingest", "template", "x.csv"])
    assert args.source == "template"
    assert ingest.reader_names() == ["ctdc", "glotip", "template"]
    # derive: every registered reader module that re-derives a committed table.
    derived = set(cli._derive_names())
    assert {"threep", "tip"} <= derived and not derived & {"ctdc", "glotip", "template"}
    assert derived == {ingest.module_name(s) for s in registry.SOURCES.values()
                       if callable(s.read_function().__globals__.get("regenerate"))}
    assert cli._parser().parse_args(["derive", "tip"]).table == "tip"


def test_a_newly_registered_reader_is_ingestible_with_no_other_change(tmp_path, monkeypatch):
    module = tmp_path / "my_reader.py"
    module.write_text("from analysis.sources import ctdc\n\ndef read(path):\n"
                      "    return ctdc.read(path)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    mine = replace(registry.get("ctdc"), id="mine", reader="my_reader:read")
    monkeypatch.setitem(registry.SOURCES, "mine", mine)
    assert cli._parser().parse_args(["ingest", "my_reader", "f.csv"]).source == "my_reader"
    assert ingest.reader("my_reader").__module__ == "my_reader"
    with pytest.raises(SystemExit):
        cli._parser().parse_args(["ingest", "threep", "f.csv"])  # covariates are derived


def test_an_unknown_reader_name_is_an_input_error():
    with pytest.raises(ingest.InputError, match="no reader named 'nope'"):
        ingest.reader("nope")


def test_no_module_keeps_its_own_copy_of_source_facts():
    assert importlib.util.find_spec("analysis.sources.common") is None
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        assert "SOURCE_KIND" not in text, path
        if path.name != "registry.py":
            assert "UNODC dataUNODC terms of use" not in text, path


@pytest.mark.parametrize("text,reason", [
    ("2O18", "year is not a number: '2O18'"),
    ("-99", "year missing ('-99')"),
    ("2019.5", "year is not a whole number: '2019.5'"),
    ("1975", "year before 1990"),
])
def test_glotip_reads_years_with_the_shared_parser(text, reason, tmp_path):
    from openpyxl import load_workbook

    book = load_workbook(FIX / "glotip_small.xlsx")
    book["data_glotip_1"].cell(row=5, column=10, value=text)
    book.save(tmp_path / "g.xlsx")
    q = glotip.read(tmp_path / "g.xlsx").quarantine
    assert q.loc[q.row == 5, "reason"].tolist() == [reason]
    assert values.parse_years(__import__("pandas").Series([text]))[1].iloc[0] == reason
    assert not hasattr(glotip, "FIRST_YEAR") and glotip.MAX_PLAUSIBLE == values.MAX_PLAUSIBLE
