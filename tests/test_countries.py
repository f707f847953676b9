import pandas as pd
import pytest

from analysis import countries

# Every spelling of a Southeast Asian citizenship in the GLOTIP 2003-2019 export.
SEA_SPELLINGS = {
    "Philippines": "PHL", "Filipino": "PHL", "Filippino": "PHL", "Filippine": "PHL",
    "FILIPINAS": "PHL", "PHILIPPINES": "PHL", "Philippine": "PHL", "Phillipines": "PHL",
    "Viet Nam": "VNM", "Vietnam": "VNM", "Vietnamese": "VNM", "vietnamese": "VNM",
    "VIETNAM": "VNM", "Myanmar": "MMR", "MyanMar": "MMR", "MYANMAR": "MMR", "Burmese": "MMR",
    "Myanmar Nation": "MMR", "Rohingya": "MMR", "Thailand": "THA", "Thai": "THA",
    "THAILAND": "THA", "TAILANDIA": "THA", "Lao People's Democratic Republic": "LAO",
    "Laotian": "LAO", "LAOS": "LAO", "Cambodia": "KHM", "Cambodian": "KHM", "CAMBODIA": "KHM",
    "CAMBOYA": "KHM", "Indonesia": "IDN", "Indonesian": "IDN", "INDONESIA": "IDN",
    "Malaysia": "MYS", "Malaysian": "MYS", "MALAYSIA": "MYS", "Singapore": "SGP",
    "SINGAPUR": "SGP", "Timor-Leste": "TLS",
}


def test_every_southeast_asian_spelling_maps_to_its_country():
    h = countries.harmonise(pd.Series(list(SEA_SPELLINGS)), "glotip")
    assert dict(zip(SEA_SPELLINGS, h.iso3, strict=True)) == SEA_SPELLINGS
    assert set(h.method) == {"mapping"}, "all are in the reviewed mapping file"


def test_mapping_file_covers_all_southeast_asian_origins():
    mapping = countries.load_mapping("glotip")
    assert set(countries.SOUTHEAST_ASIA) - {"BRN"} <= set(mapping.iso3)


def test_upper_case_names_from_the_file_stay_countries_and_debris_is_debris():
    h = countries.harmonise(pd.Series(["THAILANDE", "Q6.1_10s_2019", "Nationals", "Unknown"]),
                            "glotip")
    assert list(h.kind[1:]) == ["debris", "nationals", "unknown"]
    assert h.iso3.iloc[0] == "THA" and h.method.iloc[0] == "converter"


def test_unmatched_names_are_reported_with_rows_and_suggestions():
    raw = pd.Series(["Philipines", "Zorgland", "Philipines"])
    h = countries.harmonise(raw, "glotip", rows=pd.Series([10, 11, 12]))
    assert list(h.kind) == ["unmatched", "unmatched", "unmatched"]
    rep = h.report.set_index("raw")
    assert rep.at["Philipines", "n_rows"] == 2
    assert rep.at["Philipines", "rows"] == "10, 12"
    assert "PHL" in rep.at["Philipines", "suggestion"]


def test_namibia_survives_pandas_3():
    # country_converter 1.3.2 reads Namibia's ISO2 code "NA" as missing under pandas 3.
    assert countries.convert(["Namibia"]) == ["NAM"]
    assert countries.convert(["NA"], src="ISO2") == ["NAM"]


def test_eu_membership_follows_accession_and_brexit():
    assert len(countries.eu_members(2003)) == 15 + 1 - 1  # EU15 including the UK
    assert "GBR" in countries.eu_members(2019) and "GBR" not in countries.eu_members(2020)
    assert "HRV" not in countries.eu_members(2012) and "HRV" in countries.eu_members(2013)
    assert len(countries.eu_members(2024)) == 27
    assert len(countries.EUROPE) == 27 + 1 + 4


@pytest.mark.parametrize("iso3,group", [("JPN", "Japan"), ("FRA", "Europe (EU27, UK, EFTA)"),
                                        ("NOR", "Europe (EU27, UK, EFTA)"), ("ARE", "Gulf"),
                                        ("BRA", "Other")])
def test_destination_groups(iso3, group):
    assert countries.destination_group(iso3) == group


def test_the_spelling_list_is_every_southeast_asian_row_of_the_mapping():
    mapping = countries.load_mapping("glotip")
    assert set(mapping[mapping.iso3.isin(countries.SOUTHEAST_ASIA)].raw) == set(SEA_SPELLINGS)
