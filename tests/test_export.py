import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis import export  # noqa: E402
from analysis.figures import use_style  # noqa: E402


def _figure():
    use_style()
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([2007, 2008, 2009], [3, 9, 4], label="x")
    ax.set_title("test")
    return fig


def test_save_writes_three_formats_and_a_sidecar(tmp_path):
    data_file = tmp_path / "in.csv"
    data_file.write_text("a\n1\n")
    paths = export.save(_figure(), "fig", inputs=[data_file], params={"year": 2019},
                        out_dir=tmp_path / "out", notes="detections")
    assert [p.suffix for p in paths] == [".pdf", ".svg", ".png", ".json"]
    side = json.loads(paths[-1].read_text())
    assert side["inputs"]["in.csv"] == export.provenance.sha256(data_file)
    assert side["parameters"] == {"year": 2019}
    assert set(side["files"]) == {"pdf", "svg", "png"} and side["code_version"]


def test_pdf_embeds_truetype_not_type3(tmp_path):
    pdf = export.save(_figure(), "f", out_dir=tmp_path)[0].read_bytes()
    assert b"/Subtype /TrueType" in pdf or b"/CIDFontType2" in pdf
    assert b"/Subtype /Type3" not in pdf


def test_same_inputs_give_the_same_files(tmp_path):
    a = export.save(_figure(), "f", out_dir=tmp_path / "a")
    b = export.save(_figure(), "f", out_dir=tmp_path / "b")
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.name


def test_case_data_with_a_small_cell_is_refused_and_nothing_written(tmp_path):
    shown = pd.DataFrame({"value_low": [40, 7]})
    with pytest.raises(export.DisclosureError, match="below 11"):
        export.save(_figure(), "f", data=shown, kind="case", out_dir=tmp_path)
    assert not list(tmp_path.glob("*"))


def test_override_is_recorded_in_the_sidecar(tmp_path):
    shown = pd.DataFrame({"value_low": [40, 7]})
    side = export.save(_figure(), "f", data=shown, kind="case", allow_small_cells=True,
                       out_dir=tmp_path)[-1]
    record = json.loads(side.read_text())["disclosure"]
    assert record == {"kind": "case", "threshold": 11, "override": True, "checked": True,
                      "cells": 2, "small_cells": 1}


def test_aggregate_flows_keep_the_five_rule(tmp_path):
    with pytest.raises(export.DisclosureError, match="below 5"):
        export.save(_figure(), "f", data=pd.DataFrame({"value_low": [3]}), out_dir=tmp_path)
