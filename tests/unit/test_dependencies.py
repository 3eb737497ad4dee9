"""The dependency check reports what is missing or too old, with install commands."""

from flair_landcover.flair_plugin import dependencies as d


def test_everything_installed_in_the_test_venv():
    assert d.check() == []
    assert d.missing_message() == ""


def test_missing_and_too_old_packages_are_named_with_commands():
    missing = d.Requirement("flair-no-such-package", "flair_no_such_package", (1, 0))
    too_old = d.Requirement("numpy", "numpy", (99,))
    problems = d.check([missing, too_old])
    assert [p.requirement for p in problems] == [missing, too_old]
    text = d.message(problems)
    assert "flair-no-such-package is not installed" in text
    assert "numpy" in text and "is installed but numpy>=99 is needed" in text
    assert "OSGeo4W Shell" in text and "/usr/bin/python3 -m pip install" in text
    assert "/Applications/QGIS.app/Contents/MacOS/bin/python3" in text
    assert '"flair-no-such-package>=1.0" "numpy>=99"' in text


def test_upper_bound():
    numpy2 = d.Requirement("numpy", "numpy", (1,), below=(1, 0))
    assert d.check([numpy2])[0].found is not None
    assert numpy2.spec == "numpy>=1,<1.0"


def test_version_parsing():
    assert d._parse("2.14.1+cu130") == (2, 14, 1)
    assert d._parse("0.6.0rc1") == (0, 6, 0)
    assert d._parse("1.26.4") == (1, 26, 4)
