import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

from analysis import disclosure, export  # noqa: E402

ROUTES = pd.DataFrame({"JPN": [40, 3, 25], "DEU": [12, 30, 0], "THA": [50, 14, 8]},
                      index=pd.Index(["PHL", "VNM", "KHM"], name="origin"))


def test_primary_and_secondary_suppression_values():
    out = disclosure.suppress(ROUTES, k=11)
    hidden = {(r, c) for r in out.index for c in out.columns if pd.isna(out.at[r, c])}
    # 3 and 8 are under 11; then VNM's and KHM's rows each need a second hidden cell
    # (14, then 25: the smallest positive), which also protects the JPN and THA columns.
    assert hidden == {("VNM", "JPN"), ("KHM", "THA"), ("VNM", "THA"), ("KHM", "JPN")}
    assert out.attrs | {} == {"k": 11, "margins": True, "total": "Total", "primary": 2,
                              "secondary": 2}
    assert out.loc["Total"].tolist() == [68, 42, 72, 182]
    assert out["Total"].tolist() == [102, 47, 33, 182]
    assert out.at["PHL", "JPN"] == 40 and out.at["KHM", "DEU"] == 0


def test_small_total_is_suppressed_and_protected():
    t = pd.DataFrame({"a": [20, 4], "b": [30, 5]}, index=["x", "y"])
    out = disclosure.suppress(t, k=11)
    # Row y's total (9) is itself under 11; so are 4 and 5; the column totals then need
    # protecting: their columns have two hidden cells each, which is enough.
    assert pd.isna(out.at["y", "Total"]) and pd.isna(out.at["y", "a"])
    assert disclosure.audit(out, 11) == []


def test_without_margins_only_primary():
    out = disclosure.suppress(ROUTES, k=11, margins=False)
    assert int(out.isna().sum().sum()) == 2 and "Total" not in out.index


def test_audit_finds_a_derivable_cell():
    out = disclosure.suppress(ROUTES, k=11)
    leaky = out.copy()
    leaky.attrs = dict(out.attrs)
    leaky.at["VNM", "THA"] = 14  # un-hide a complement: VNM/JPN = 47 - 30 - 14
    problems = disclosure.audit(leaky, 11)
    assert "row 'VNM' has one hidden cell, which its total gives away" in problems
    assert "column 'THA' has one hidden cell, which its total gives away" in problems


@settings(max_examples=60, deadline=None, database=None)
@given(arrays(np.int64, st.tuples(st.integers(1, 6), st.integers(1, 6)),
              elements=st.integers(0, 40)), st.sampled_from([5, 11]))
def test_suppressed_tables_never_disclose(values, k):
    table = pd.DataFrame(values)
    out = disclosure.suppress(table, k=k)
    assert disclosure.audit(out, k) == []
    shown = out.iloc[:-1, :-1].to_numpy(dtype=float, na_value=np.nan)
    mask = ~np.isnan(shown)
    assert (shown[mask] == values[mask]).all()  # what is shown is never altered


def test_export_table_refuses_a_small_case_cell_and_writes_nothing(tmp_path):
    with pytest.raises(export.DisclosureError, match="cell \\(VNM, JPN\\) shows 3, below 11"):
        disclosure.export_table(ROUTES, "routes", "case", out_dir=tmp_path)
    assert not list(tmp_path.iterdir())


def test_export_table_writes_suppressed_cells_and_a_sidecar(tmp_path):
    out = disclosure.suppress(ROUTES, k=11)
    csv_path, side = disclosure.export_table(out, "routes", "case", out_dir=tmp_path,
                                             params={"years": "2016-2018"})
    lines = csv_path.read_text().splitlines()
    assert lines[0] == "origin,JPN,DEU,THA,Total"
    assert lines[2] == "VNM,suppressed,30,suppressed,47"
    record = json.loads(side.read_text())
    assert record["disclosure"] == {"kind": "case", "threshold": 11, "override": False,
                                    "checked": True, "cells": 12, "hidden_cells": 4,
                                    "small_cells": 0, "derivable_cells": 0,
                                    "suppressed_primary": 2, "suppressed_secondary": 2}
    assert record["files"]["csv"] == export.provenance.sha256(csv_path)
    assert record["parameters"] == {"years": "2016-2018"}


def test_export_table_refuses_a_derivable_cell(tmp_path):
    out = disclosure.suppress(ROUTES, k=11)
    out.at["VNM", "THA"] = 14
    with pytest.raises(export.DisclosureError, match="gives away"):
        disclosure.export_table(out, "routes", "case", out_dir=tmp_path)


def test_override_is_explicit_and_recorded(tmp_path):
    _, side = disclosure.export_table(ROUTES, "raw", "case", out_dir=tmp_path,
                                      allow_small_cells=True)
    record = json.loads(side.read_text())["disclosure"]
    assert record["override"] is True and record["small_cells"] == 2


def test_aggregate_flow_lines_keep_the_at_least_5_rule(tmp_path):
    flows = pd.DataFrame({"origin": ["PHL", "VNM", "THA"], "value_low": [7, 1, 5]})
    with pytest.raises(export.DisclosureError, match="1 shown cell\\(s\\) below 5"):
        disclosure.export_table(flows, "lines", "aggregate", count="value_low",
                                out_dir=tmp_path, index=False)
    ok = flows.assign(value_low=flows.value_low.where(flows.value_low >= 5))
    csv_path, _ = disclosure.export_table(ok, "lines", "aggregate", count="value_low",
                                          out_dir=tmp_path, index=False)
    assert csv_path.read_text().splitlines()[2] == "VNM,suppressed"


def test_figure_from_a_case_table_goes_through_the_same_check(tmp_path):
    fig, ax = plt.subplots()
    ax.bar(range(3), [40, 3, 25])
    with pytest.raises(export.DisclosureError, match="below 11"):
        export.save(fig, "bars", data=ROUTES, kind="case", count=None, out_dir=tmp_path)
    assert not list(tmp_path.iterdir())
    paths = export.save(fig, "bars", data=disclosure.suppress(ROUTES), kind="case", count=None,
                        out_dir=tmp_path)
    record = json.loads(paths[-1].read_text())["disclosure"]
    assert record["hidden_cells"] == 4 and record["checked"] is True
    plt.close(fig)
