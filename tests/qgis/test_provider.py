"""The plugin registers the ``flair`` provider in a real QGIS and removes it on unload."""

from qgis.core import QgsApplication


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
