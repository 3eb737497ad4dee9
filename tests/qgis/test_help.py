"""The dialog's Help button: each algorithm's README section on the home page."""

import re
from pathlib import Path

from qgis.core import QgsApplication

from flair_landcover.flair_plugin.algorithms.base import github_anchor

REPO = Path(__file__).resolve().parents[2]


def test_help_links_to_the_readme_section_of_each_algorithm(flair_plugin):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    anchors = {github_anchor(h) for h in re.findall(r"^#{2,4} (.+)$", readme, re.MULTILINE)}
    homepage = next(line.split("=", 1)[1] for line in
                    (REPO / "metadata.txt").read_text().splitlines()
                    if line.startswith("homepage="))
    provider = QgsApplication.processingRegistry().providerById("flair")
    urls = {a.name(): a.helpUrl() for a in provider.algorithms() if hasattr(type(a), "HELP")}
    assert urls["segmentaerial"] == (
        f"{homepage}#land-cover-from-aerial-imagery-u-net-flairsegmentaerial")
    for name, url in urls.items():
        page, anchor = url.split("#")
        assert page == homepage and anchor in anchors, (name, url)
    assert github_anchor("Train a FLAIR model (`flair:train`)") == "train-a-flair-model-flairtrain"
