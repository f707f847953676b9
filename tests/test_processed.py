"""The committed data: checksums match provenance, schemas hold, reports are there."""

import json

import pandas as pd

from analysis import flows, paths, provenance


def test_committed_flows_match_their_provenance_and_schema():
    table = flows.load(paths.PROCESSED)
    record = provenance.read_record(paths.PROCESSED / flows.FLOWS_FILE)
    inp = record["inputs"]["glotip"]
    assert inp["input_file"] == "data_glotip_2003-2019.xlsx"
    assert len(inp["input_sha256"]) == 64 and inp["licence"] and inp["citation"]
    assert inp["rows_in_flows"] == int((table.source == "glotip").sum()) == 7750
    assert table.censored.sum() > 4000 and (table.value_low < table.value_high).sum() \
        == table.censored.sum()


def test_harmonisation_and_quarantine_reports_are_committed():
    for name in ("quarantine", "harmonisation", "duplicates", "conservation", "set_aside"):
        assert (paths.PROCESSED / f"glotip_{name}.csv").exists(), name
    cons = pd.read_csv(paths.PROCESSED / "glotip_conservation.csv")
    assert (cons.rows_read == cons.rows_used + cons.rows_quarantined + cons.rows_set_aside).all()
    assert "holds" in (paths.PROCESSED / "glotip_report.md").read_text()


def test_world_layer_has_a_provenance_record():
    data = paths.EXTERNAL / "ne_50m_countries.topojson.json"
    record = provenance.verify(data)
    assert "Natural Earth" in record["producer"] and "public domain" in record["licence"]
    assert json.loads(data.read_text())["type"] == "Topology"


def test_project_authored_folders_have_provenance_with_current_checksums():
    folders = (paths.MAPPINGS, paths.PROTECTION, paths.TEMPLATES, paths.PROTECTION / "practice",
               paths.PROTECTION / "second_coder", paths.PROTECTION / "recheck",
               paths.DATA / "policy")
    for folder in folders:
        record = provenance.verify_folder(folder)
        assert record["producer"] and record["method"] and record["files"], folder


def test_folder_provenance_catches_a_changed_or_unlisted_file(tmp_path):
    import pytest

    (tmp_path / "a.csv").write_text("raw,iso3\nX,XXX\n")
    provenance.write_folder_record(tmp_path, {"producer": "test", "method": "test"})
    provenance.verify_folder(tmp_path)
    (tmp_path / "a.csv").write_text("raw,iso3\nX,YYY\n")
    with pytest.raises(ValueError, match="changed"):
        provenance.verify_folder(tmp_path)
    provenance.write_folder_record(tmp_path, {"producer": "test", "method": "test"})
    (tmp_path / "b.csv").write_text("new\n")
    with pytest.raises(ValueError, match="without provenance"):
        provenance.verify_folder(tmp_path)
