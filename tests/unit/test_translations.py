"""The French catalogue: every translation keeps its message's placeholders and markup
(a lost ``{path}`` would raise KeyError in French only), and the plugin zip ships it
compiled."""

import importlib.util
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TS = REPO / "i18n" / "flair_landcover_fr.ts"


def messages():
    for context in ET.parse(TS).getroot().iter("context"):
        for message in context.iter("message"):
            yield (context.findtext("name"), message.findtext("source"),
                   message.find("translation"))


def test_translations_keep_placeholders_and_markup():
    def marks(text):
        return sorted(re.findall(r"\{[^}]*\}|</?[bi]>|&lt;|&gt;", text))

    wrong = [(context, source[:60]) for context, source, translation in messages()
             if translation.text and marks(source) != marks(translation.text)]
    assert wrong == []


def test_the_french_catalogue_covers_the_toolbox():
    done = {source for _, source, t in messages() if t.text and t.get("type") != "unfinished"}
    assert "Land cover from aerial imagery (U-Net)" in done
    assert len(done) >= 200


def test_the_zip_ships_the_compiled_french(tmp_path):
    spec = importlib.util.spec_from_file_location("package_script", REPO / "scripts" / "package.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    with zipfile.ZipFile(script.build(tmp_path / "plugin.zip")) as archive:
        names = archive.namelist()
        assert "flair_landcover/i18n/flair_landcover_fr.qm" in names
        assert archive.getinfo("flair_landcover/i18n/flair_landcover_fr.qm").file_size > 1000
    assert not [n for n in names if n.endswith(".ts")]
