"""Small-cell protection against an attacker who does arithmetic, checked by an independent LP."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from analysis import disclosure
from analysis.disclosure import Fact
from analysis.errors import InputError

ROUTES = pd.DataFrame({"JPN": [40, 3, 25], "DEU": [12, 30, 0], "THA": [50, 14, 8]},
                      index=pd.Index(["PHL", "VNM", "KHM"], name="origin"))
# The reviewer's table: the old rule (no line with exactly one hidden cell) published it
# like this, and the hidden 10 at (1, 1) follows from row 1 - column 0 - column 2 + row 3:
# (108-37-19) - 36 - (51-39) + (81-12-36-27) = 52 - 36 - 12 + 6 = 10.
REVIEWER = [[0, 19, 0, 29, 12], [31, 10, 11, 37, 19], [0, 3, 39, 38, 12], [5, 12, 1, 36, 27]]
N = np.nan
OLD_PUBLISHED = pd.DataFrame(
    [[0, N, 0, 29, N, 60], [N, N, N, 37, 19, 108], [0, N, 39, 38, N, 92],
     [N, 12, N, 36, 27, 81], [36, 44, 51, 140, 70, 341]],
    index=[0, 1, 2, 3, "Total"], columns=[0, 1, 2, 3, 4, "Total"])


def oracle_intervals(published: pd.DataFrame, only=None) -> dict:
    """Independent oracle: an LP over every cell (shown ones fixed by their bounds).

    Written separately from the library (which eliminates shown cells and builds its
    equations with numpy): here each row and column equation is spelled out by loops.
    """
    v = published.to_numpy(dtype=float, na_value=np.nan)
    nr, nc = v.shape
    n = nr * nc
    a_eq = []
    for r in range(nr):
        row = np.zeros(n)
        row[r * nc:r * nc + nc - 1] = 1
        row[r * nc + nc - 1] = -1
        a_eq.append(row)
    for c in range(nc):
        row = np.zeros(n)
        for r in range(nr - 1):
            row[r * nc + c] = 1
        row[(nr - 1) * nc + c] = -1
        a_eq.append(row)
    bounds = [(x, x) if not np.isnan(x) else (0, None) for x in v.ravel()]
    out = {}
    for r, c in zip(*np.where(np.isnan(v)), strict=True):
        if only is not None and not only[r, c]:
            continue
        ends = []
        for sign in (1, -1):
            cost = np.zeros(n)
            cost[r * nc + c] = sign
            res = linprog(cost, A_eq=np.array(a_eq), b_eq=np.zeros(len(a_eq)), bounds=bounds,
                          method="highs")
            assert res.status in (0, 3), res.message
            ends.append(math.inf if res.status == 3 else sign * res.fun)
        out[int(r), int(c)] = (round(ends[0], 6), ends[1] if math.isinf(ends[1])
                               else round(ends[1], 6))
    return out


def true_grid(values) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    rows = np.column_stack([v, v.sum(axis=1)])
    return np.vstack([rows, rows.sum(axis=0)])


def protected(values, out: pd.DataFrame, k: int) -> list:
    """Hidden primary cells (0 < true < k) whose oracle interval fails the requirement."""
    true = true_grid(values)
    bad = []
    for (r, c), (low, high) in oracle_intervals(out, (true > 0) & (true < k)).items():
        if not (high >= k and high > low
                                       and (low == 0 or high - low >= k)):
            bad.append(((r, c), true[r, c], low, high))
    return bad


def test_the_reviewers_hidden_10_was_derivable_and_now_is_not():
    assert oracle_intervals(OLD_PUBLISHED)[1, 1] == (10, 10)
    assert "hidden cell (1, 1) is derivable: it equals 10" in disclosure.audit(OLD_PUBLISHED, 11)
    out = disclosure.suppress(pd.DataFrame(REVIEWER), 11)
    assert protected(REVIEWER, out, 11) == []
    assert disclosure.audit(out, 11) == []


def test_primary_and_secondary_suppression_values():
    out = disclosure.suppress(ROUTES, k=11)
    hidden = {(r, c) for r in out.index for c in out.columns if pd.isna(out.at[r, c])}
    # 3 and 8 are under 11; the rectangle VNM/KHM x JPN/THA lets 3 and 8 move by up to 14
    # and 25 with every total fixed (hand check: VNM/JPN can be 0..17).
    assert hidden == {("VNM", "JPN"), ("KHM", "THA"), ("VNM", "THA"), ("KHM", "JPN")}
    assert out.attrs == {"k": 11, "primary": 2, "secondary": 2}
    assert out.loc["Total"].tolist() == [68, 42, 72, 182]
    assert out["Total"].tolist() == [102, 47, 33, 182]
    assert out.at["PHL", "JPN"] == 40 and out.at["KHM", "DEU"] == 0
    ranges = disclosure.cell_intervals(out).set_index(["row", "column"])
    assert tuple(ranges.loc[("VNM", "JPN")]) == (0, 17)  # 3 - 3 .. 3 + min(14, 25)


def test_small_total_is_suppressed_and_what_it_implies_is_protected():
    t = pd.DataFrame({"a": [20, 4], "b": [30, 5]}, index=["x", "y"])
    out = disclosure.suppress(t, k=11)
    assert pd.isna(out.at["y", "Total"]) and pd.isna(out.at["y", "a"])
    assert protected(t.to_numpy(), out, 11) == []
    assert disclosure.audit(out, 11) == []


def test_audit_finds_a_cell_proved_small_without_being_derivable():
    # One hidden cell per line is the classic leak; here two per line still prove 3 small.
    pub = pd.DataFrame([[N, N, 50], [N, N, 20], [9, 61, 70]], index=["a", "b", "Total"],
                       columns=["x", "y", "Total"])
    ranges = oracle_intervals(pub)
    assert ranges[0, 0] == (0, 9) and ranges[1, 0] == (0, 9)
    problems = disclosure.audit(pub, 11)
    assert "hidden cell (a, x) is provably below 11 (at most 9)" in problems


@pytest.mark.parametrize("low,high,expected", [
    (10, 10, "derivable"), (0, 9, "provably below"), (3, 12, "provably positive"),
    (0, 11, None), (3, 14, None), (11, 40, None), (0, 0, None), (0, math.inf, None),
])
def test_the_rule_on_intervals(low, high, expected):
    reason = disclosure.exposure(low, high, 11)
    assert (reason is None) if expected is None else expected in reason


@st.composite
def count_tables(draw):
    rows, cols = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    # Mostly small counts, so that most tables have small cells to protect.
    cell = st.one_of(st.integers(0, 12), st.integers(0, 60))
    return np.array(draw(st.lists(st.lists(cell, min_size=cols, max_size=cols),
                                  min_size=rows, max_size=rows)))


@settings(max_examples=2000, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(count_tables(), st.sampled_from([5, 11]))
def test_suppressed_tables_protect_every_small_cell_against_the_lp_oracle(values, k):
    out = disclosure.suppress(pd.DataFrame(values), k=k)
    assert protected(values, out, k) == []
    true = true_grid(values)
    shown = out.to_numpy(dtype=float)
    mask = ~np.isnan(shown)
    assert (shown[mask] == true[mask]).all()  # what is shown is the truth, totals included
    assert not ((shown[mask] > 0) & (shown[mask] < k)).any()
    assert out.attrs["primary"] == int(((true > 0) & (true < k)).sum())


def test_thirty_by_thirty_is_protected_in_reasonable_time():
    import time

    rng = np.random.default_rng(7)
    values = rng.integers(0, 40, (30, 30)) * (rng.random((30, 30)) < 0.6)
    start = time.perf_counter()
    out = disclosure.suppress(pd.DataFrame(values), 11)
    assert time.perf_counter() - start < 60
    assert protected(values, out, 11) == []


@pytest.mark.parametrize("table,problem", [
    (pd.DataFrame({"a": [1, -2]}), "not a non-negative whole count"),
    (pd.DataFrame({"a": [1.5, 2]}), "not a non-negative whole count"),
    (pd.DataFrame({"a": [1, None]}), "not a non-negative whole count"),
    (pd.DataFrame({"Total": [1, 2]}), "already has a 'Total'"),
    (pd.DataFrame(), "not a non-empty DataFrame"),
])
def test_bad_tables_raise_input_errors(table, problem):
    with pytest.raises(InputError, match=problem):
        disclosure.suppress(table, 11)


def test_unknown_kind_cannot_be_checked():
    with pytest.raises(InputError, match="unknown source kind 'survey'"):
        disclosure.threshold("survey")
    assert disclosure.threshold("case") == 11 and disclosure.threshold("glotip") == 5


# --- Facts stated beside a figure -------------------------------------------------------------

YEARS = pd.Series({2017: 20, 2018: 5, 2019: 30})


def test_a_stated_total_gives_away_the_hidden_year():
    shown = [Fact.total([2017], 20), Fact.total([2019], 30)]  # the chart hides 2018 (5)
    assert disclosure.check_facts(YEARS, 11, shown, {"2018": [2018]}) == []
    text = Fact.total([2017, 2018, 2019], 55, "Japan total")
    problems = disclosure.check_facts(YEARS, 11, [*shown, text], {"2018": [2018]})
    assert problems == ["2018: derivable: it equals 5"]


def test_a_ranking_of_suppressed_groups_is_a_disclosure():
    dests = pd.Series({"JPN": 8, "KOR": 5, "THA": 3})
    hidden = {d: [d] for d in dests.index}  # every destination total is suppressed
    total = Fact.total(dests.index, 16, "total")
    assert disclosure.check_facts(dests, 11, [total], hidden) == []
    rank = [Fact.at_least(["JPN"], [d]) for d in ("KOR", "THA")]
    problems = disclosure.check_facts(dests, 11, [total, *rank], hidden)
    # JPN >= KOR, JPN >= THA and a sum of 16 leave KOR at most 8 and THA at most 8.
    # JPN is then at least 6 (16 / 3, rounded up) and at most 16: positive, narrower than 11.
    assert problems == ["JPN: provably positive and within 6-16, narrower than 11",
                        "KOR: provably below 11 (at most 8)",
                        "THA: provably below 11 (at most 8)"]


def test_a_stated_small_group_is_a_problem_and_a_false_fact_is_a_bug():
    assert disclosure.check_facts(YEARS, 11, [Fact.total([2018], 5, "2018")], {}) == [
        "2018 states 5, below 11"]
    with pytest.raises(ValueError, match="not true"):
        disclosure.check_facts(YEARS, 11, [Fact.total([2018], 6)], {})
