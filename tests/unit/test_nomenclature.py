"""The nomenclature is the single source of truth: check it against FLAIR's facts."""

import pytest

from flair_landcover.flair_plugin import nomenclature as n


def test_nineteen_classes_with_official_colours():
    assert n.CODES == tuple(range(1, 20))
    assert n.flair_class(1).name == "building" and n.flair_class(1).colour == "#db0e9a"
    assert n.flair_class(18).name == "greenhouse" and n.flair_class(18).rgb == (153, 153, 255)
    assert len({c.colour for c in n.CLASSES}) == 19
    with pytest.raises(ValueError, match="1..19"):
        n.flair_class(20)


def test_baseline13_groups_codes_above_13_into_other():
    s = n.scheme("baseline13")
    assert s.values == tuple(range(13))
    assert [n.code_to_baseline13(c) for c in (1, 12, 13, 14, 19)] == [0, 11, 12, 12, 12]
    assert s.entry(12).name == "other" and s.ignored_values == (12,)


def test_flairhub_order():
    s = n.scheme("flairhub")
    names = [e.name for e in s.entries]
    assert names[:3] == ["building", "greenhouse", "swimming pool"]
    assert names[13] == "coniferous" and names[18] == "undefined"
    assert sorted(n.FLAIRHUB_ORDER) == list(range(1, 20))
    assert s.value_of_code(6) == 13


def test_lookup_tables_round_trip_for_single_code_schemes():
    for key in ("flair19", "flairhub", "flair19-index"):
        s = n.scheme(key)
        to_value, to_code = s.code_to_value_table(), s.value_to_code_table()
        assert all(to_code[to_value[c]] == c for c in n.CODES), key


def test_class_sets():
    assert n.CLASS_SETS["15cl"] == (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 18)
    assert n.CLASS_SETS["12cl"] == tuple(range(1, 13))
    assert n.scheme("flair19").ignored_values == (15, 16, 17, 19)


def test_subset_and_hint():
    assert [e.value for e in n.scheme("flair19").subset([1, 5]).entries] == [1, 5]
    assert n.schemes_covering([0, 18]) == ["flairhub", "flair19-index"]
    assert n.schemes_covering([19]) == ["flair19"]
    with pytest.raises(ValueError, match="flairhub"):
        n.scheme("nope")


def test_official_splits():
    assert len(n.DOMAINS_TRAIN) == 32 and len(n.DOMAINS_VAL) == 8
    assert not set(n.DOMAINS_TRAIN) & set(n.DOMAINS_VAL)
    assert len(n.FLAIR1_MEANS) == len(n.FLAIR1_STDS) == len(n.AERIAL_BANDS) == 5


def test_every_class_has_its_official_french_name():
    assert all(c.name_fr for c in n.CLASSES)
    assert n.flair_class(1).label("fr") == "bâtiment"
    assert n.flair_class(12).label("fr") == "terre labourée"
    assert n.flair_class(12).label("de") == "plowed land"  # English is the fallback
    assert n.scheme("flairhub").labels("fr")[18] == "indéterminé"
    assert n.legend("baseline13", language="fr")[-1][1] == "autre"
