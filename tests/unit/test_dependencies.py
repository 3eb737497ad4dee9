"""The dependency check reports what is missing or too old, with install commands."""

import re
from pathlib import Path

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


# ---------------------------------------------------------------------------- no drift

REPO = Path(__file__).resolve().parents[2]
SMP = "segmentation-models-pytorch"


def readme_install_specs():
    """The quoted package specs of each pip command in README.md's install table."""
    rows = [line for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines()
            if line.lstrip().startswith("|") and "pip install" in line and '"' in line]
    return [re.findall(r'"([^"]+)"', row.split("pip install", 1)[1]) for row in rows]


def requirement_lines(path):
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            yield line


def test_readme_install_commands_name_the_checked_minimums():
    rows = readme_install_specs()
    assert len(rows) == 2  # Linux and Windows; macOS says "the same packages"
    for specs in rows:
        assert specs == [r.spec for r in d.INFERENCE]
        assert f"{SMP}>={d._dotted(smp_requirement().minimum)}" in specs


def smp_requirement():
    return next(r for r in d.INFERENCE if r.distribution == SMP)


def test_smp_minimum_is_the_one_the_readme_and_requirements_use():
    minimum = smp_requirement().minimum
    assert minimum == (0, 5, 0)  # measured: 0.3.3 to 0.4.0 fail on the U-T&T and metadata
    readme = {spec for specs in readme_install_specs() for spec in specs if spec.startswith(SMP)}
    assert readme == {f"{SMP}>=0.5.0"}
    pins = [line for line in requirement_lines(REPO / "requirements.txt")
            if re.match(rf"{SMP}\s*[=><]", line)]
    assert len(pins) == 1
    version = re.search(r"(==|>=)\s*([0-9][0-9.]*)", pins[0])
    assert version is not None and d._parse(version.group(2)) >= minimum, pins[0]


def test_requirements_txt_satisfies_every_checked_requirement():
    lines = list(requirement_lines(REPO / "requirements.txt"))
    for r in d.TRAINING:  # INFERENCE and lightning
        spec = next((line for line in lines
                     if re.match(rf"{re.escape(r.distribution)}\s*[=><]", line)), None)
        assert spec is not None, f"{r.distribution} missing from requirements.txt"
        low = re.search(r"(==|>=)\s*([0-9][0-9.]*)", spec)
        assert low is not None and d._parse(low.group(2)) >= r.minimum, spec


def test_the_message_points_to_the_installer_and_names_torch_only_when_needed():
    rasterio_only = d.message(d.check([d.Requirement("flair-no-such-package", "x", (1, 0))]))
    assert "Install the Python packages FLAIR needs" in rasterio_only
    assert "torch" not in rasterio_only
    with_torch = d.message([d.Problem(d.Requirement("torch", "torch", (2, 1)), None)])
    assert "download.pytorch.org/whl/cpu" in with_torch
