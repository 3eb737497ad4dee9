"""The plugin registers the ``flair`` provider in a real QGIS and removes it on unload; its
texts are marked for translation where its tr() looks them up."""

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from qgis.core import QgsApplication
from qgis.PyQt.QtCore import QCoreApplication, QTranslator

from flair_landcover.flair_plugin.algorithms import SegmentMultimodalAlgorithm
from flair_landcover.flair_plugin.engine.options import described


def test_provider_registered_and_unloaded(flair_plugin):
    registry = QgsApplication.processingRegistry()
    provider = registry.providerById("flair")
    assert provider is not None
    assert provider.name() == "FLAIR land cover"
    assert not provider.icon().isNull()
    ids = {a.id() for a in provider.algorithms()}
    assert "flair:applystyle" in ids
    for algorithm in provider.algorithms():
        assert algorithm.shortHelpString(), f"{algorithm.id()} has no help"
    flair_plugin.unload()
    assert registry.providerById("flair") is None
    flair_plugin.unload()  # a second unload is harmless
    flair_plugin.initProcessing()
    assert registry.providerById("flair") is not None


def test_second_instance_does_not_break_the_first(flair_plugin):
    from flair_landcover import classFactory

    other = classFactory(None)
    other.initProcessing()  # refused by the registry: same provider id
    other.unload()
    assert QgsApplication.processingRegistry().providerById("flair") is not None


def test_class_factory_imports_nothing_heavy():
    import subprocess
    import sys

    code = ("import sys, flair_landcover; flair_landcover.classFactory; "
            "heavy = [m for m in ('torch', 'rasterio', 'segmentation_models_pytorch', 'qgis') "
            "if m in sys.modules]; print(heavy); assert not heavy, heavy")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=_importable_env())
    assert result.returncode == 0, result.stdout + result.stderr


def _importable_env():
    import os
    import tempfile
    from pathlib import Path

    holder = Path(tempfile.mkdtemp())
    os.symlink(Path(__file__).resolve().parents[2], holder / "flair_landcover")
    return {**os.environ, "PYTHONPATH": str(holder)}


def _extracted_texts(tmp_path):
    """pylupdate5's catalogue of the plugin's QGIS side and options: context -> texts."""
    if shutil.which("pylupdate5") is None:
        pytest.skip("pylupdate5 (pyqt5-dev-tools) is not installed")
    root = Path(__file__).resolve().parents[2] / "flair_plugin"
    sources = [*sorted((root / "algorithms").glob("*.py")), root / "provider.py",
               root / "plugin.py", root / "engine" / "options.py"]
    ts = tmp_path / "flair.ts"
    subprocess.run(["pylupdate5", *map(str, sources), "-ts", str(ts)], check=True,
                   capture_output=True)
    catalogue = {}
    for context in ET.parse(ts).getroot().iter("context"):
        texts = catalogue.setdefault(context.findtext("name"), set())
        texts.update(m.findtext("source") for m in context.iter("message"))
    return catalogue


def test_every_shown_text_is_in_a_context_tr_searches(flair_plugin, tmp_path):
    """What the toolbox and the dialogs show is extracted for translation under a context
    the algorithm's tr() looks in, so a later .ts file translates it as it is."""
    catalogue = _extracted_texts(tmp_path)
    provider = QgsApplication.processingRegistry().providerById("flair")
    assert provider.longName() in catalogue["FlairProvider"]
    # Class names in a scheme's help come from the nomenclature (data, translated with it).
    untranslated_help = {"SCHEME", "PREDICTION_SCHEME", "REFERENCE_SCHEME", "CLASS_SCHEME"}
    # ... and the published models' descriptions from the model catalogue (data too).
    catalogue_help = {("downloadmodel", "MODEL"), ("*", "PUBLISHED_MODEL")}
    for algorithm in provider.algorithms():
        if algorithm.provider() is None or not hasattr(type(algorithm), "HELP"):
            continue  # a shipped Graphical Modeler workflow
        known = set()
        # "@default": where pylupdate5 files the module-level helpers' tr() (model choice)
        for context in [cls.__name__ for cls in type(algorithm).__mro__] + ["@default"]:
            for text in catalogue.get(context, ()):
                known.add(text)
                try:
                    known.add(described(text))
                except (KeyError, IndexError, ValueError):
                    pass  # a message with its own placeholders
        shown = [algorithm.displayName(), algorithm.group(), algorithm.shortHelpString()]
        for param in algorithm.parameterDefinitions():
            shown.append(param.description())
            if param.help() and param.name() not in untranslated_help and not {
                    (algorithm.name(), param.name()), ("*", param.name())} & catalogue_help:
                shown.append(param.help())
        shown += [output.description() for output in algorithm.outputDefinitions()
                  if output.name() not in {p.name() for p in algorithm.parameterDefinitions()}]
        templates = [re.compile(re.escape(t).replace(r"\{names\}", ".*") + "$", re.S)
                     for t in known if "{names}" in t]  # filled in with the models on disk
        missing = [text for text in shown if text not in known
                   and not any(t.match(text) for t in templates)]
        assert not missing, f"{algorithm.id()}: not marked for translation: {missing}"


def test_tr_finds_a_text_under_the_class_that_wrote_it(flair_plugin, tmp_path):
    """An inherited text (segmentmultimodal's group, written by SegmentAerialAlgorithm) and
    a shared one (FlairAlgorithm's "Device") are translated: a stand-in catalogue, compiled
    with lrelease and installed as QGIS installs a plugin's."""
    if shutil.which("lrelease") is None:
        pytest.skip("lrelease (qttools5-dev-tools) is not installed")
    entries = {"SegmentAerialAlgorithm": ("Land cover", "Occupation du sol"),
               "FlairAlgorithm": ("Device", "Appareil")}
    (tmp_path / "fr.ts").write_text(
        '<?xml version="1.0" encoding="utf-8"?><!DOCTYPE TS><TS version="2.1" language="fr">'
        + "".join(f"<context><name>{c}</name><message><source>{s}</source><translation>{t}"
                  f"</translation></message></context>" for c, (s, t) in entries.items())
        + "</TS>", encoding="utf-8")
    subprocess.run(["lrelease", str(tmp_path / "fr.ts"), "-qm", str(tmp_path / "fr.qm")],
                   check=True, capture_output=True)
    translator = QTranslator()
    assert translator.load(str(tmp_path / "fr.qm"))
    QCoreApplication.installTranslator(translator)
    try:
        algorithm = SegmentMultimodalAlgorithm()
        algorithm.initAlgorithm()
        assert algorithm.group() == "Occupation du sol"
        assert algorithm.parameterDefinition("DEVICE").description() == "Appareil"
        assert algorithm.displayName() == SegmentMultimodalAlgorithm.DISPLAY_NAME
    finally:
        QCoreApplication.removeTranslator(translator)
