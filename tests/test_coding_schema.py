"""The codebook and the coding table: schema, interval rules, coverage of the required entities."""

import pandas as pd
import pytest

from analysis import paths, protection
from analysis.errors import InputError

CODEBOOK = protection.load_codebook()


def test_codebook_has_its_provisions_dimensions_and_protocol_groups():
    assert len(CODEBOOK) == 21
    assert len(CODEBOOK.attrs["dimensions"]) == 8
    assert set(CODEBOOK.dimension) == set(CODEBOOK.attrs["dimensions"])
    assert CODEBOOK.protocol_group.value_counts().to_dict() == {
        "protocol_optional": 10, "beyond_protocol": 7, "protocol_mandatory": 4}
    assert CODEBOOK.at["reflection_period", "force"] == "optional"
    assert CODEBOOK.at["privacy_confidentiality", "force"] == "qualified"
    assert CODEBOOK.at["non_punishment", "force"] == "absent"  # not in the Protocol at all


def test_coding_file_passes_schema_and_interval_checks():
    coding = protection.load_coding(codebook=CODEBOOK)  # raises InputError on any problem
    assert set(coding.provision) <= set(CODEBOOK.index)
    assert set(coding.score) <= {0, 1, 2}
    assert set(coding.confidence) <= {"high", "medium", "low"}
    assert (coding.legal_basis.str.strip() != "").all() and (coding.source.str.strip() != "").all()


def test_coding_covers_every_entity_and_provision_from_2000_to_the_latest_year():
    coding = protection.load_coding(codebook=CODEBOOK)
    entities = sorted(set(coding.iso3))
    for when in (protection.START, protection.latest_year(), protection.coded_up_to()):
        state = protection.as_of(coding, when)
        assert list(state.index) == entities
        assert list(state.columns) == sorted(CODEBOOK.index)
        assert state.notna().all().all(), when


def test_every_required_entity_is_coded():
    coding = protection.load_coding(codebook=CODEBOOK)
    missing = protection.missing_entities(coding)
    assert missing == [], f"not yet coded in data/protection/coding.csv: {missing}"
    assert len(protection.REQUIRED_ENTITIES) == 46


# --- the checks catch broken tables, naming file, row and column ---------------------------

def _minimal(tmp_path, edit=None):
    """One entity (JPN), every provision coded 0 from 2000 on; ``edit`` changes the frame."""
    rows = [{"iso3": "JPN", "provision": p, "valid_from": "2000-01-01", "valid_to": "",
             "score": "0", "legal_basis": "none: no provision", "source": "test fixture",
             "confidence": "low", "note": ""} for p in sorted(CODEBOOK.index)]
    frame = pd.DataFrame(rows, columns=protection.COLUMNS)
    if edit:
        frame = edit(frame)
    path = tmp_path / "coding.csv"
    frame.to_csv(path, index=False)
    return path


def test_minimal_table_loads(tmp_path):
    coding = protection.load_coding(_minimal(tmp_path), codebook=CODEBOOK)
    assert len(coding) == 21 and coding.valid_to.isna().all()


def _split(frame, provision, date, new_to="", new_from=None):
    """Close a provision's interval at ``date`` and add one starting at ``new_from``."""
    i = frame.index[frame.provision == provision][0]
    frame.loc[i, "valid_to"] = date
    extra = frame.loc[[i]].assign(valid_from=new_from or date, valid_to=new_to, score="2")
    return pd.concat([frame, extra], ignore_index=True)


@pytest.mark.parametrize("edit, row, column, words", [
    (lambda f: f.assign(score=["3"] + ["0"] * 20), 2, "score", "schema"),
    (lambda f: f.assign(score=["1.5"] + ["0"] * 20), 2, "score", "not a valid score"),
    (lambda f: f.assign(score=[""] + ["0"] * 20), 2, "score", "not a valid score"),
    (lambda f: f.assign(confidence=["unsure"] + ["low"] * 20), 2, "confidence", "schema"),
    (lambda f: f.assign(legal_basis=[""] + ["x"] * 20), 2, "legal_basis", "schema"),
    (lambda f: f.assign(valid_from=["2000-02-30"] + ["2000-01-01"] * 20), 2, "valid_from",
     "not a valid date"),
    (lambda f: f.assign(provision=["shelters"] + list(f.provision[1:])), 2, "provision",
     "not in the codebook"),
    (lambda f: f.assign(iso3=["JPX"] * 21), 2, "iso3", "not an ISO 3166"),
    (lambda f: f.assign(valid_from=["2001-01-01"] + ["2000-01-01"] * 20), 2, "valid_from",
     "starts 2001-01-01"),
    (lambda f: _split(f, "shelter", "2005-07-12", new_from="2005-08-01"), 23, "valid_from",
     "gap from 2005-07-12 to 2005-08-01"),
    (lambda f: _split(f, "shelter", "2005-07-12", new_from="2005-01-01"), 23, "valid_from",
     "overlaps"),
    (lambda f: _split(f, "shelter", "2005-07-12", new_to="2010-01-01"), 23, "valid_to",
     "not coded"),
])
def test_broken_tables_raise_input_errors_naming_row_and_column(tmp_path, edit, row, column,
                                                                words):
    path = _minimal(tmp_path, edit)
    with pytest.raises(InputError) as err:
        protection.load_coding(path, codebook=CODEBOOK)
    assert err.value.row == row and err.value.column == column, str(err.value)
    assert words in str(err.value) and str(path) in str(err.value)


def test_missing_entities_are_named(tmp_path):
    coding = protection.load_coding(_minimal(tmp_path), codebook=CODEBOOK)
    missing = protection.missing_entities(coding)
    assert "JPN" not in missing and missing[:2] == ["EU", "AUT"] and len(missing) == 45


def test_eu_floor_follows_the_codebook_rules_for_shall_consider_and_entitled():
    import yaml

    book = yaml.safe_load((paths.PROTECTION / "codebook.yml").read_text())
    rules = book["eu_floor_rules"]
    assert {"shall_consider", "entitled", "measures_such_as", "means_test",
            "length_left_open"} <= set(rules)
    scores = protection.as_of(protection.load_coding(), 2024).loc["EU"]
    # Each rule names the cell it decides: the coding must agree with it.
    for rule, (cell, score) in {"shall_consider": ("residence_cooperation", 2),
                                "entitled": ("non_punishment", 1),
                                "measures_such_as": ("shelter", 2),
                                "means_test": ("free_legal_aid", 2),
                                "length_left_open": ("reflection_period", 1)}.items():
        assert f"{cell} = {score}" in " ".join(rules[rule].split()), rule
        assert scores[cell] == score, (rule, cell)


def test_a_repealed_citation_is_replaced_from_the_day_the_new_act_took_effect():
    # Issue 10's example: PCC(S)A 2000 s 130 became Sentencing Act 2020 s 133 on 1 Dec 2020.
    coding = protection.load_coding()
    basis = protection.as_of
    before = basis(coding, pd.Timestamp("2020-11-30"), value="legal_basis").at[
        "GBR", "compensation_offender"]
    after = basis(coding, pd.Timestamp("2020-12-01"), value="legal_basis").at[
        "GBR", "compensation_offender"]
    assert "2000" in before and "s 130" in before
    assert "Sentencing Act 2020" in after and "s 133" in after
