import pandas as pd
import pytest

from analysis import protection
from analysis.errors import InputError
from analysis.protection import practice

HEADER = "iso3,provision,year,direction,what_happened,count,source,locator,quote\n"


def _folder(tmp_path, body):
    folder = tmp_path / "practice"
    folder.mkdir()
    (folder / "part.csv").write_text(HEADER + body)
    return folder


def test_committed_practice_table_covers_japan_the_27_and_the_uk():
    table = practice.load(codebook=protection.load_codebook())
    required = {"JPN", "GBR", *protection.REQUIRED_ENTITIES[2:29]}
    assert required <= set(table.iso3), sorted(required - set(table.iso3))
    assert table.year.between(2015, 2024).all()
    assert (table.quote.str.split().str.len() <= 40).all()
    assert set(table.direction) == {"supports", "contradicts"}


def test_beside_law_counts_evidence_and_keeps_the_law_score(tmp_path):
    folder = _folder(tmp_path,
                     "JPN,shelter,2019,supports,a,,S1,p1,q\n"
                     "JPN,shelter,2020,contradicts,b,,S2,p2,q\n"
                     "JPN,shelter,2023,contradicts,c,3,S3,p3,q\n"
                     "JPN,non_punishment,2024,contradicts,d,,S4,p4,q\n")
    coding = protection.load_coding()
    table = practice.beside_law(practice.load(folder), coding, 2022,
                                provisions=["shelter", "non_punishment"])
    shelter = table.set_index("provision").loc["shelter"]
    # Hand count: up to 2022 one supporting and one contradicting row; 2023 is later.
    assert (shelter.supports, shelter.contradicts, shelter.latest) == (1, 1, "b")
    assert shelter.law_score == protection.as_of(coding, 2022).at["JPN", "shelter"]
    assert table.set_index("provision").at["non_punishment", "contradicts"] == 0


@pytest.mark.parametrize("row, column", [
    ("JPN,shelter,2012,supports,a,,S,p,q\n", "year"),
    ("JPN,shelter,2019,maybe,a,,S,p,q\n", "direction"),
    ("JPN,shelter,2019,supports,a,,,p,q\n", "source"),
    ("JPN,shelter,2019,supports,a,many,S,p,q\n", "count"),
    ("JPN,shelter,2019,supports,a,,S,p," + " ".join(["w"] * 41) + "\n", "quote"),
])
def test_a_bad_row_is_named_with_file_row_and_column(tmp_path, row, column):
    folder = _folder(tmp_path, "JPN,shelter,2019,supports,ok,,S,p,q\n" + row)
    with pytest.raises(InputError) as err:
        practice.load(folder, codebook=protection.load_codebook())
    assert err.value.row == 3 and err.value.column == column


def test_law_practice_gaps_are_statutory_cells_with_contradicting_evidence():
    table = pd.DataFrame({"iso3": ["A", "B", "C"], "provision": ["x", "x", "x"],
                          "law_score": [2, 2, 1], "supports": [0, 3, 0],
                          "contradicts": [2, 0, 5]})
    assert practice.gaps_between_law_and_practice(table).iso3.tolist() == ["A"]


def test_law_and_practice_figure_draws_one_row_per_entity():
    from analysis.figures import practice as figure

    coding = protection.load_coding()
    table = practice.beside_law(practice.load(), coding, 2024)
    fig = figure.law_and_practice(table, 2024, list(practice.PROVISIONS))
    ax = fig.axes[0]
    assert len(ax.get_yticklabels()) == table.iso3.nunique()
    assert ax.get_yticklabels()[0].get_text() == "Japan"
    drawn = [t.get_text() for t in ax.texts]
    assert sum(int(t) for t in drawn) == int(table[["supports", "contradicts"]].sum().sum())
