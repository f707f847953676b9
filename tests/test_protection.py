"""Protection: as-of at interval edges, index arithmetic, sensitivity, regions, the notebook."""

import datetime as dt

import nbformat
import numpy as np
import pandas as pd
import pytest
from conftest import run_report

from analysis import countries, protection
from analysis.sources import threep

CODEBOOK = protection.load_codebook()
CODING = protection.load_coding(codebook=CODEBOOK)


def _coding(rows):
    """A small parsed coding table from (iso3, provision, from, to, score, confidence) rows."""
    frame = pd.DataFrame(rows, columns=["iso3", "provision", "valid_from", "valid_to", "score",
                                        "confidence"])
    frame["valid_from"] = pd.to_datetime(frame["valid_from"])
    frame["valid_to"] = pd.to_datetime(frame["valid_to"])
    return frame


EDGE = _coding([("JPN", "reflection_period", "2000-01-01", "2005-07-12", 0, "low"),
                ("JPN", "reflection_period", "2005-07-12", "2006-01-01", 1, "medium"),
                ("JPN", "reflection_period", "2006-01-01", None, 2, "high")])


# --- as of a date ------------------------------------------------------------------------

def test_a_year_means_31_december():
    assert protection.reference_date(2004) == pd.Timestamp("2004-12-31")
    assert protection.reference_date(np.int64(2004)) == pd.Timestamp("2004-12-31")
    assert protection.reference_date(dt.date(2005, 7, 12)) == pd.Timestamp("2005-07-12")
    assert protection.reference_date(pd.Timestamp("2005-07-12 15:00")) \
        == pd.Timestamp("2005-07-12")


@pytest.mark.parametrize("when", ["2019", "2019-12-31", 2019.0, np.float64(2019), True, None,
                                  pd.NaT])
def test_anything_but_a_year_or_a_date_is_refused_with_what_to_pass(when):
    # "2019" used to mean 1 January and 2019.0 a 1970 timestamp
    with pytest.raises(TypeError, match="integer year .* or a date"):
        protection.reference_date(when)


def test_a_year_and_its_31_december_give_the_same_state():
    # On the old code as_of(c, 2006) and as_of(c, "2006") differed in 31 cells.
    by_year = protection.as_of(CODING, 2006)
    assert by_year.equals(protection.as_of(CODING, pd.Timestamp("2006-12-31")))
    assert not by_year.equals(protection.as_of(CODING, pd.Timestamp("2006-01-01")))
    with pytest.raises(TypeError):
        protection.as_of(CODING, "2006")


@pytest.mark.parametrize("when, score", [
    (pd.Timestamp("2000-01-01"), 0),   # first day of the coding: valid_from inclusive
    (pd.Timestamp("2005-07-11"), 0),   # day before the change
    (pd.Timestamp("2005-07-12"), 1),   # valid_to exclusive: the new interval applies that day
    (2004, 0), (2005, 1),              # a year is read on 31 December
    (dt.date(2005, 12, 31), 1), (dt.date(2006, 1, 1), 2),
    (2030, 2),                         # open end
])
def test_as_of_at_interval_edges(when, score):
    assert protection.as_of(EDGE, when).at["JPN", "reflection_period"] == score


def test_as_of_before_the_coding_starts_is_empty():
    assert protection.as_of(EDGE, pd.Timestamp("1999-12-31")).empty


def test_as_of_reads_confidence_too():
    assert protection.as_of(EDGE, 2005, value="confidence").at["JPN", "reflection_period"] \
        == "medium"


def test_as_of_on_the_real_coding_at_japans_2005_amendment():
    # Act No. 66 of 2005 in force 12 July 2005: Japan's coding changes on that day.
    before = protection.as_of(CODING, pd.Timestamp("2005-07-11")).loc["JPN"]
    on = protection.as_of(CODING, pd.Timestamp("2005-07-12")).loc["JPN"]
    changed = CODING[(CODING.iso3 == "JPN") & (CODING.valid_from == "2005-07-12")].provision
    assert len(changed) > 0
    for prov in changed:
        prev = CODING[(CODING.iso3 == "JPN") & (CODING.provision == prov)
                      & (CODING.valid_to == "2005-07-12")].score.item()
        assert before[prov] == prev
        new = CODING[(CODING.iso3 == "JPN") & (CODING.provision == prov)
                     & (CODING.valid_from == "2005-07-12")].score.item()
        assert on[prov] == new


def test_default_year_comes_from_the_coding_not_from_today():
    # The coders state the date the coding is complete up to; a year is read on
    # 31 December, so a coding complete up to 29 November 2026 speaks for 2025 at most.
    assert protection.coded_up_to() == pd.Timestamp("2026-11-29")
    assert protection.latest_year() == 2025
    assert protection.latest_year(dt.date(2026, 11, 29)) == 2025
    assert protection.latest_year(dt.date(2026, 12, 31)) == 2026
    ind = protection.indices(protection.as_of(CODING, protection.latest_year()), CODEBOOK)
    assert round(ind.at["EU", "overall"], 1) == 73.8     # the published EU floor


def test_coded_up_to_must_be_stated(tmp_path):
    from analysis.errors import InputError

    record = tmp_path / "provenance.json"
    record.write_text('{"coded": "2026-11-29"}')
    with pytest.raises(InputError, match="coded_up_to"):
        protection.coded_up_to(record)
    record.write_text('{"coded_up_to": "29/11/2026"}')
    with pytest.raises(InputError, match="not a date"):
        protection.coded_up_to(record)


def test_low_confidence_share():
    coding = _coding([("A", "p1", "2000-01-01", None, 0, "low"),
                      ("A", "p2", "2000-01-01", None, 0, "high"),
                      ("B", "p1", "2000-01-01", None, 0, "low"),
                      ("B", "p2", "2000-01-01", None, 0, "low")])
    assert protection.low_confidence_share(coding, 2010) == 0.75
    assert protection.low_confidence_share(coding, 2010, ["A"]) == 0.5


# --- weights and indices on a hand-computed case -------------------------------------------

BOOK = pd.DataFrame({"dimension": ["d1", "d1", "d1", "d2"],
                     "force": ["mandatory", "optional", "soft", "absent"]},
                    index=pd.Index(["p1", "p2", "p3", "p4"], name="id"))
BOOK["protocol_group"] = BOOK.force.map(protection.PROTOCOL_GROUPS)
BOOK.attrs["dimensions"] = ["d1", "d2"]
SCORES = pd.DataFrame({"p1": [2, 0], "p2": [1, 0], "p3": [0, 0], "p4": [2, 1]},
                      index=["A", "B"])


def test_weights():
    assert protection.weights(BOOK, "equal").tolist() == [0.25] * 4
    dim = protection.weights(BOOK, "dimension")
    assert dim.tolist() == pytest.approx([1 / 6, 1 / 6, 1 / 6, 1 / 2])
    assert protection.weights(BOOK, {"p1": 3, "p4": 1}).tolist() == [0.75, 0, 0, 0.25]
    with pytest.raises(ValueError, match="unknown provision"):
        protection.weights(BOOK, {"p9": 1})
    with pytest.raises(ValueError, match="unknown weighting"):
        protection.weights(BOOK, "by vibes")
    real = protection.weights(CODEBOOK, "dimension")
    assert real.groupby(CODEBOOK.dimension).sum().tolist() == pytest.approx([1 / 8] * 8)


def test_index_arithmetic_equal_weights():
    ind = protection.indices(SCORES, BOOK, "equal")
    # A: (2/2 + 1/2 + 0/2 + 2/2) / 4 = 0.625; B: (0 + 0 + 0 + 1/2) / 4 = 0.125
    assert ind.loc["A", "overall"] == 62.5 and ind.loc["B", "overall"] == 12.5
    assert ind.loc["A", "protocol_mandatory"] == 100.0          # p1
    assert ind.loc["A", "protocol_optional"] == 25.0            # p2 (optional) + p3 (soft)
    assert ind.loc["A", "beyond_protocol"] == 100.0             # p4
    assert ind.loc["B", "beyond_protocol"] == 50.0
    assert ind.loc["A", "d1"] == 50.0 and ind.loc["A", "d2"] == 100.0


def test_index_arithmetic_dimension_and_custom_weights():
    dim = protection.indices(SCORES, BOOK, "dimension")
    # A: 1/6 * 1 + 1/6 * 0.5 + 1/6 * 0 + 1/2 * 1 = 0.75
    assert dim.loc["A", "overall"] == pytest.approx(75.0)
    assert dim.loc["B", "overall"] == pytest.approx(25.0)
    custom = protection.indices(SCORES, BOOK, {"p1": 3, "p4": 1})
    assert custom.loc["A", "overall"] == pytest.approx(100.0)
    assert custom.loc["B", "overall"] == pytest.approx(12.5)    # 0.25 * 0.5
    assert np.isnan(custom.loc["A", "protocol_optional"])       # no weight on p2, p3


def test_index_is_missing_when_a_used_score_is_missing():
    gappy = SCORES.astype(float).copy()
    gappy.loc["B", "p2"] = np.nan
    ind = protection.indices(gappy, BOOK)
    assert np.isnan(ind.loc["B", "overall"]) and ind.loc["B", "beyond_protocol"] == 50.0


def test_real_equal_weight_index_is_the_mean_score_over_two():
    scores = protection.as_of(CODING, 2020)
    ind = protection.indices(scores, CODEBOOK)
    assert np.allclose(ind["overall"], scores.mean(axis=1) / 2 * 100)
    assert ind.to_numpy().min() >= 0 and ind.to_numpy().max() <= 100


def test_implementation_shares():
    shares = protection.implementation_shares(SCORES, BOOK)
    assert shares.loc["A"].tolist() == [0.0, 0.5, 0.5]
    assert shares.loc["B"].tolist() == [0.0, 0.0, 1.0]


# --- sensitivity --------------------------------------------------------------------------

def test_competition_ranks_share_the_best_rank():
    ranks = protection.competition_ranks(np.array([[3.0, 1.0], [1.0, 2.0], [3.0, 3.0]]))
    assert ranks[:, 0].tolist() == [1, 3, 1] and ranks[:, 1].tolist() == [3, 2, 1]


def test_sensitivity_is_reproducible_from_the_seed():
    scores = protection.as_of(CODING, 2020).drop(index="EU")
    a = protection.sensitivity(scores, n_draws=500, seed=7)
    b = protection.sensitivity(scores, n_draws=500, seed=7)
    c = protection.sensitivity(scores, n_draws=500, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a["index_median"].equals(c.loc[a.index, "index_median"])
    assert ((a.rank_lo <= a.rank_median) & (a.rank_median <= a.rank_hi)).all()
    assert a.rank_lo.min() >= 1 and a.rank_hi.max() <= len(scores)


def test_sensitivity_dominance_and_ties():
    scores = pd.DataFrame({"p1": [2, 1, 1, 0], "p2": [2, 0, 0, 1], "p3": [2, 2, 2, 0]},
                          index=["best", "tie1", "tie2", "low"])
    sens = protection.sensitivity(scores, n_draws=1000, seed=1)
    assert sens.loc["best", ["rank_lo", "rank_hi"]].tolist() == [1, 1]   # dominates always
    assert sens.loc["tie1"].equals(sens.loc["tie2"])                     # identical profiles
    assert sens.loc["tie1", "rank_median"] == 2
    assert sens.loc["best", "index_lo"] == pytest.approx(100.0)


def test_sensitivity_refuses_gaps():
    with pytest.raises(ValueError, match="complete"):
        protection.sensitivity(pd.DataFrame({"p1": [2, np.nan]}, index=["a", "b"]))


# --- regions and timeline ------------------------------------------------------------------

def test_regions_follow_eu_membership():
    assert "GBR" in protection.regions(2019)["EU Member States"]
    assert protection.regions(2019)["Europe outside the EU"] == ("NOR", "CHE")
    assert protection.regions(2020)["Europe outside the EU"] == ("GBR", "NOR", "CHE")
    assert "HRV" not in protection.regions(2012)["EU Member States"]
    assert protection.region_of("JOR", 2020) == "Middle East"
    assert protection.region_of("KOR", 2020) == "East & Southeast Asia"


def test_aggregates():
    values = pd.Series({"JPN": 50.0, "EU": 70.0, "NOR": 40.0, "CHE": 60.0, "GBR": 80.0})
    agg = protection.aggregates(values, 2021)
    row = agg.loc["Europe outside the EU"]
    assert (row.n, row["median"], row["min"], row["max"]) == (3, 60.0, 40.0, 80.0)
    assert agg.loc["Japan", "median"] == 50.0 and agg.loc["Middle East", "n"] == 0
    assert protection.aggregates(values, 2019).loc["Europe outside the EU", "n"] == 2


def test_timeline_uses_each_years_membership():
    tl = protection.timeline(CODING, CODEBOOK, [2000, 2004, 2007, 2013, 2020])
    assert tl["EU n"].tolist() == [15, 25, 27, 28, 27]
    ind = protection.indices(protection.as_of(CODING, 2013), CODEBOOK)["overall"]
    assert tl.at[2013, "Japan"] == ind["JPN"] and tl.at[2013, "EU floor"] == ind["EU"]
    assert tl.at[2013, "EU median"] == ind.reindex(countries.eu_members(2013)).median()


# --- validity check against 3P ---------------------------------------------------------------

def test_compare_with_threep():
    pairs = protection.compare_threep(CODING, CODEBOOK, threep.load())
    assert pairs.year.between(2000, 2014).all() and "EU" not in set(pairs.iso3)
    assert not pairs.duplicated(["iso3", "year"]).any()
    rho, p, n = protection.spearman(pairs)
    assert n == len(pairs) > 300 and -1 <= rho <= 1
    jp = pairs[(pairs.iso3 == "JPN") & (pairs.year == 2005)]
    assert jp.threep_protection.item() == 4   # 3P's Japan 2005 protection score
    worst = protection.disagreements(pairs, CODING, n=3)
    assert len(worst) == 3 and worst.rank_gap.abs().is_monotonic_decreasing
    assert worst.share_partial.between(0, 1).all()


# --- the report notebook -----------------------------------------------------------------------

@pytest.mark.notebooks
def test_protection_notebook_runs_end_to_end(tmp_path):
    sidecars, _ = run_report("02", tmp_path, (
        "protection-heatmap", "protection-optional-gap", "protection-ranking",
        "protection-timeline", "protection-validity-3p", "protection-treaties",
        "protection-uncertainty", "protection-law-around-ratification"))
    for name, side in sidecars.items():
        assert side["parameters"]["seed"] == 20241 and side["disclosure"]["kind"] == "covariate"
        assert "coding.csv" in side["inputs"] or name == "protection-treaties"
    treaty = sidecars["protection-treaties"]
    assert "treaties.csv" in treaty["inputs"] and treaty["parameters"]["treaty_date"] \
        == "2025-12-31"                       # default: 31 December of the default year
    assert "treaties.csv" in sidecars["protection-timeline"]["inputs"]
    assert sidecars["protection-uncertainty"]["parameters"]["step_probability"]["low"] == 0.25
    side = sidecars["protection-validity-3p"]
    assert "threep.csv" in side["inputs"] and side["parameters"]["country_years"] > 300


def test_committed_protection_notebook_is_clean_and_parameterised():
    book = nbformat.read(protection.paths.NOTEBOOKS / "02-protection.ipynb", as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    for name in ("YEAR = None", "DATA_DIR = None", "FIGURES_DIR = None", "SEED = 20241",
                 "N_DRAWS = 10000", "TREATY_DATE = None", "resolved against the project root"):
        assert name in code[0].source
    # built after papermill's injected cell, so a passed DATA_DIR is the one used
    assert "cfg = Settings.from_params(DATA_DIR, FIGURES_DIR, require_flows=False)" \
        in code[1].source and "paths.use" not in "".join(c.source for c in code)
    assert all(c.outputs == [] and c.execution_count is None for c in code)
