"""The one writing path: check first, write atomically as 0644, never record an unchecked save."""

import json
import stat

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis import disclosure, export, provenance  # noqa: E402
from analysis.errors import InputError  # noqa: E402
from analysis.figures import use_style  # noqa: E402

ROUTES = pd.DataFrame({"JPN": [40, 3, 25], "DEU": [12, 30, 0], "THA": [50, 14, 8]},
                      index=pd.Index(["PHL", "VNM", "KHM"], name="origin"))


def _figure():
    use_style()
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([2007, 2008, 2009], [3, 9, 4], label="x")
    ax.set_title("test")
    return fig


def _modes(folder):
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}


def test_save_writes_three_formats_and_a_sidecar(tmp_path):
    data_file = tmp_path / "in.csv"
    data_file.write_text("a\n1\n")
    paths = export.save(_figure(), "fig", inputs=[data_file], params={"year": 2019},
                        out_dir=tmp_path / "out", kind="covariate", notes="detections")
    assert [p.suffix for p in paths] == [".pdf", ".svg", ".png", ".json"]
    side = json.loads(paths[-1].read_text())
    assert side["inputs"]["in.csv"] == provenance.sha256(data_file)
    assert side["parameters"] == {"year": 2019}
    assert side["files"] == {p.suffix[1:]: provenance.sha256(p) for p in paths[:3]}
    assert side["disclosure"] == {"kind": "covariate", "threshold": 0, "override": False,
                                  "checked": True, "cells": 0, "small_cells": 0}


def test_every_file_is_0644_and_no_temporary_file_is_left(tmp_path):
    export.save(_figure(), "fig", out_dir=tmp_path, kind="case",
                data=disclosure.suppress(ROUTES, 11), count=None)
    export.export_table(disclosure.suppress(ROUTES, 11), "table", "case", out_dir=tmp_path)
    modes = _modes(tmp_path)
    assert sorted(modes) == ["fig.json", "fig.pdf", "fig.png", "fig.svg", "table.csv",
                             "table.json"]
    assert set(modes.values()) == {0o644}


class _BrokenSvg:
    """A real figure whose SVG output fails half way (a full disk, a bad glyph)."""

    def __init__(self, fig):
        self.fig = fig

    def savefig(self, path, format, **kw):
        if format == "svg":
            path.write_text("<svg half")
            raise OSError("disk full")
        self.fig.savefig(path, format=format, **kw)


def test_a_failed_save_leaves_the_previous_files_untouched(tmp_path):
    first = export.save(_figure(), "fig", out_dir=tmp_path, kind="covariate")
    before = {p.name: p.read_bytes() for p in first}
    with pytest.raises(OSError, match="disk full"):
        export.save(_BrokenSvg(_figure()), "fig", out_dir=tmp_path, kind="covariate",
                    params={"new": True})
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_pdf_embeds_truetype_not_type3(tmp_path):
    pdf = export.save(_figure(), "f", out_dir=tmp_path, kind="covariate")[0].read_bytes()
    assert b"/Subtype /TrueType" in pdf or b"/CIDFontType2" in pdf
    assert b"/Subtype /Type3" not in pdf


def test_same_inputs_give_the_same_files(tmp_path):
    a = export.save(_figure(), "f", out_dir=tmp_path / "a", kind="covariate")
    b = export.save(_figure(), "f", out_dir=tmp_path / "b", kind="covariate")
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.name


def test_case_data_with_a_small_cell_is_refused_and_nothing_written(tmp_path):
    shown = pd.DataFrame({"value_low": [40, 7]})
    with pytest.raises(disclosure.DisclosureError, match="below 11"):
        export.save(_figure(), "f", data=shown, kind="case", out_dir=tmp_path)
    assert not list(tmp_path.glob("*"))


@pytest.mark.parametrize("kwargs,problem", [
    ({"kind": "survey", "data": pd.DataFrame({"value_low": [40]})}, "unknown source kind"),
    ({"kind": "case", "data": pd.DataFrame({"n": [40]})}, "no count column 'value_low'"),
    ({"kind": "aggregate"}, "no data given to check"),
])
def test_an_export_that_cannot_be_checked_is_refused(tmp_path, kwargs, problem):
    with pytest.raises(InputError, match=problem):
        export.save(_figure(), "f", out_dir=tmp_path, **kwargs)
    if "data" in kwargs:  # a table export always has its table
        with pytest.raises(InputError, match=problem):
            export.export_table(kwargs["data"], "t", kwargs["kind"], count="value_low",
                                out_dir=tmp_path)
    assert not list(tmp_path.iterdir())


def test_a_source_id_picks_its_registered_threshold(tmp_path):
    shown = pd.DataFrame({"value_low": [40, 7]})
    side = export.save(_figure(), "f", data=shown, kind="glotip", out_dir=tmp_path)[-1]
    assert json.loads(side.read_text())["disclosure"]["threshold"] == 5
    with pytest.raises(disclosure.DisclosureError, match="below 11"):
        export.save(_figure(), "g", data=shown, kind="template_cases", out_dir=tmp_path)


def test_override_is_recorded_in_the_sidecar(tmp_path):
    shown = pd.DataFrame({"value_low": [40, 7]})
    side = export.save(_figure(), "f", data=shown, kind="case", allow_small_cells=True,
                       out_dir=tmp_path)[-1]
    record = json.loads(side.read_text())["disclosure"]
    assert record == {"kind": "case", "threshold": 11, "override": True, "checked": True,
                      "cells": 2, "small_cells": 1}


def test_aggregate_flows_keep_the_five_rule(tmp_path):
    with pytest.raises(disclosure.DisclosureError, match="below 5"):
        export.save(_figure(), "f", data=pd.DataFrame({"value_low": [3]}), kind="aggregate",
                    out_dir=tmp_path)


def test_export_table_refuses_a_small_case_cell_and_writes_nothing(tmp_path):
    with pytest.raises(disclosure.DisclosureError, match="cell \\(VNM, JPN\\) shows 3, below 11"):
        export.export_table(ROUTES, "routes", "case", out_dir=tmp_path)
    assert not list(tmp_path.iterdir())


def test_export_table_writes_suppressed_cells_and_a_sidecar(tmp_path):
    out = disclosure.suppress(ROUTES, k=11)
    csv_path, side = export.export_table(out, "routes", "case", out_dir=tmp_path,
                                         params={"years": "2016-2018"})
    lines = csv_path.read_text().splitlines()
    assert lines[0] == "origin,JPN,DEU,THA,Total"
    assert lines[2] == "VNM,suppressed,30,suppressed,47"
    record = json.loads(side.read_text())
    assert record["disclosure"] == {"kind": "case", "threshold": 11, "override": False,
                                    "checked": True, "cells": 12, "hidden_cells": 4,
                                    "small_cells": 0, "exposed_cells": 0,
                                    "suppressed_primary": 2, "suppressed_secondary": 2}
    assert record["files"]["csv"] == provenance.sha256(csv_path)
    assert record["parameters"] == {"years": "2016-2018"}


def test_export_table_refuses_a_table_that_gives_a_hidden_cell_away(tmp_path):
    out = disclosure.suppress(ROUTES, k=11)
    out.at["VNM", "THA"] = 14  # un-hide a complement: VNM/JPN = 47 - 30 - 14 = 3
    with pytest.raises(disclosure.DisclosureError, match="derivable: it equals 3"):
        export.export_table(out, "routes", "case", out_dir=tmp_path)
    assert not list(tmp_path.iterdir())


def test_override_of_a_table_is_explicit_and_recorded(tmp_path):
    _, side = export.export_table(ROUTES, "raw", "case", out_dir=tmp_path,
                                  allow_small_cells=True)
    record = json.loads(side.read_text())["disclosure"]
    assert record["override"] is True and record["small_cells"] == 2


def test_aggregate_flow_lines_keep_the_at_least_5_rule(tmp_path):
    flows = pd.DataFrame({"origin": ["PHL", "VNM", "THA"], "value_low": [7, 1, 5]})
    with pytest.raises(disclosure.DisclosureError, match="1 shown cell\\(s\\) below 5"):
        export.export_table(flows, "lines", "aggregate", count="value_low", out_dir=tmp_path,
                            index=False)
    ok = flows.assign(value_low=flows.value_low.where(flows.value_low >= 5))
    csv_path, _ = export.export_table(ok, "lines", "aggregate", count="value_low",
                                      out_dir=tmp_path, index=False)
    assert csv_path.read_text().splitlines()[1:] == ["PHL,7", "VNM,suppressed", "THA,5"]


def test_figure_from_a_case_table_goes_through_the_same_check(tmp_path):
    fig = _figure()
    with pytest.raises(disclosure.DisclosureError, match="below 11"):
        export.save(fig, "bars", data=ROUTES, kind="case", count=None, out_dir=tmp_path)
    assert not list(tmp_path.iterdir())
    paths = export.save(fig, "bars", data=disclosure.suppress(ROUTES, 11), kind="case",
                        count=None, out_dir=tmp_path)
    record = json.loads(paths[-1].read_text())["disclosure"]
    assert record["hidden_cells"] == 4 and record["checked"] is True
    plt.close(fig)


def test_write_text_is_atomic_and_0644(tmp_path):
    path = export.write_text(tmp_path / "a.txt", "one\n")
    assert path.read_text() == "one\n" and _modes(tmp_path) == {"a.txt": 0o644}
    assert np.isfinite(path.stat().st_size)


def test_a_source_id_is_recorded_as_its_kind_with_the_source_named():
    import pandas as pd

    from analysis import disclosure

    shown = pd.DataFrame({"value_low": [12, 40]})
    record = disclosure.check_export(shown, "ctdc")
    assert (record["kind"], record["source"], record["threshold"]) == ("case", "ctdc", 11)
    assert disclosure.check_export(shown, "case")["kind"] == "case"
