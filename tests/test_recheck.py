import pandas as pd
import pytest

from analysis.errors import InputError
from analysis.protection import recheck

CODING = pd.DataFrame({
    "iso3": ["JPN", "JPN", "DEU"], "provision": ["shelter", "shelter", "shelter"],
    "valid_from": ["2000-01-01", "2005-06-01", "2000-01-01"], "valid_to": ["2005-06-01", "", ""],
    "score": ["0", "1", "2"], "legal_basis": ["none", "act a", "act b"],
    "source": ["s", "s", "s"], "confidence": ["low", "low", "low"], "note": ["", "", ""]})


def _patch(rows):
    return pd.DataFrame(rows, columns=recheck.PATCH_COLUMNS).assign(patch_file="p.csv")


def test_a_replacement_and_an_inserted_split_give_the_hand_made_table():
    patch = _patch([
        ["JPN", "shelter", "2005-06-01", "2005-06-01", "2010-04-01", "1", "act a s 3", "gazette",
         "high", "split"],
        ["JPN", "shelter", "", "2010-04-01", "", "2", "act c s 1", "gazette", "high", "new act"],
    ])
    out = recheck.apply(CODING, patch)
    assert out[["iso3", "valid_from", "valid_to", "score", "confidence"]].values.tolist() == [
        ["DEU", "2000-01-01", "", "2", "low"],
        ["JPN", "2000-01-01", "2005-06-01", "0", "low"],
        ["JPN", "2005-06-01", "2010-04-01", "1", "high"],
        ["JPN", "2010-04-01", "", "2", "high"],
    ]


def test_a_replacement_naming_no_row_is_refused():
    patch = _patch([["JPN", "shelter", "2005-06-02", "2005-06-01", "", "1", "x", "y", "high", ""]])
    with pytest.raises(InputError, match="names no row"):
        recheck.apply(CODING, patch)


def test_a_patch_that_breaks_the_intervals_writes_nothing(tmp_path):
    from analysis.protection import coding

    real = pd.read_csv(coding.CODING_FILE, dtype=str, keep_default_na=False)
    path = tmp_path / "coding.csv"
    real.to_csv(path, index=False, lineterminator="\n")
    before = path.read_bytes()
    first = real.iloc[0]
    bad = _patch([[first.iso3, first.provision, first.valid_from, "2001-01-01", first.valid_to,
                   first.score, first.legal_basis, first.source, "high", "leaves a gap"]])
    bad.drop(columns="patch_file").to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(InputError):
        recheck.apply_files([tmp_path / "bad.csv"], path)
    assert path.read_bytes() == before
