"""``flair:evaluate`` in a real QGIS: report, metrics, styled agreement raster."""

import json

import numpy as np
import processing
import pytest
import rasterio
from helpers_rasters import write_raster
from qgis.core import (
    QgsPalettedRasterRenderer,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsRasterLayer,
)


@pytest.fixture
def pair(tmp_path):
    rng = np.random.default_rng(0)
    reference = rng.integers(1, 8, size=(101, 77)).astype(np.uint8)
    prediction = reference.copy()
    wrong = rng.random(reference.shape) < 0.25
    prediction[wrong] = rng.integers(1, 8, size=int(wrong.sum()))
    return (write_raster(tmp_path / "pred.tif", prediction),
            write_raster(tmp_path / "MSK_ref.tif", reference), prediction, reference)


def evaluate(**params):
    return processing.run("flair:evaluate", params, feedback=QgsProcessingFeedback())


def test_report_metrics_and_styled_agreement(flair_plugin, pair, tmp_path):
    pred, ref, p, r = pair
    out = evaluate(PREDICTION=str(pred), REFERENCE=str(ref), SCHEME="flair19",
                   OUTPUT_REPORT=str(tmp_path / "report.html"),
                   OUTPUT_METRICS=str(tmp_path / "metrics.json"),
                   OUTPUT_AGREEMENT=str(tmp_path / "agreement.tif"))
    # Independent computation: IoU per class with numpy over the whole arrays.
    ious = [np.sum((p == c) & (r == c)) / np.sum((p == c) | (r == c)) for c in range(1, 8)]
    assert out["MIOU_PRESENT"] == pytest.approx(np.mean(ious), abs=1e-9)
    # FLAIR-1's official mean counts the 8 scored classes absent here as 0 (15 in all).
    assert out["MIOU"] == pytest.approx(np.sum(ious) / 15, abs=1e-9)
    html = (tmp_path / "report.html").read_text()
    assert "building" in html and f"{100 * np.mean(ious):.2f}" in html
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert json.dumps(metrics)  # plain JSON
    assert (tmp_path / "metrics.csv").read_text().count("\n") >= 19
    with rasterio.open(tmp_path / "agreement.tif") as src:
        agreement = src.read(1)
    assert np.array_equal(agreement, np.where(p == r, 1, 2))
    layer = QgsRasterLayer(str(tmp_path / "agreement.tif"), "agreement")
    assert isinstance(layer.renderer(), QgsPalettedRasterRenderer)
    assert {c.label for c in layer.renderer().classes()} == {"correct", "wrong"}


def test_float_prediction_is_refused(flair_plugin, pair, tmp_path):
    _, ref, p, _ = pair
    floats = write_raster(tmp_path / "float.tif", p.astype(np.float32))
    with pytest.raises(QgsProcessingException, match="float"):
        evaluate(PREDICTION=str(floats), REFERENCE=str(ref),
                 OUTPUT_REPORT=str(tmp_path / "r.html"))
    assert not (tmp_path / "r.html").exists()


def test_rasters_that_do_not_overlap(flair_plugin, pair, tmp_path):
    _, ref, p, _ = pair
    far = write_raster(tmp_path / "far.tif", p, origin=(700000.0, 6600000.0))
    with pytest.raises(QgsProcessingException, match="overlap"):
        evaluate(PREDICTION=str(far), REFERENCE=str(ref), OUTPUT_REPORT=str(tmp_path / "r.html"))
    assert not (tmp_path / "r.html").exists()


def test_evaluate_model_on_flair_patches(flair_plugin, tmp_path):
    from helpers_models import our_checkpoint

    from flair_landcover.synthetic.generator import write_dataset

    write_dataset(tmp_path / "flair", layout="github", domains={"test": ["D012_2019"]},
                  zones_per_domain=1, patches_per_zone=2, size=64, seed=3, sentinel=False)
    model = our_checkpoint(tmp_path / "m.flair.safetensors")
    out = processing.run("flair:evaluatemodel", {
        "MODEL": str(model), "DATASET": str(tmp_path / "flair"), "DEVICE": "cpu",
        "PREDICTIONS": str(tmp_path / "pred"), "OUTPUT_REPORT": str(tmp_path / "r.html"),
        "OUTPUT_METRICS": str(tmp_path / "m.json")}, feedback=QgsProcessingFeedback())
    assert 0.0 <= out["MIOU"] <= 1.0
    assert len(list((tmp_path / "pred").glob("PRED_*.tif"))) == 2
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["scheme"]["key"] == "flair19"
    assert "building" in (tmp_path / "r.html").read_text()
    with pytest.raises(QgsProcessingException, match="D999"):
        processing.run("flair:evaluatemodel", {
            "MODEL": str(model), "DATASET": str(tmp_path / "flair"), "DOMAINS": "D999",
            "DEVICE": "cpu", "OUTPUT_REPORT": str(tmp_path / "r2.html")},
            feedback=QgsProcessingFeedback())


def test_a_report_never_replaces_an_input(flair_plugin, pair, tmp_path):
    """QGIS allows overwriting every output: still, the annotation is never replaced."""
    pred, ref, _, _ = pair
    before = ref.read_bytes(), pred.read_bytes()
    for name, target in (("OUTPUT_REPORT", ref), ("OUTPUT_METRICS", pred)):
        params = dict(PREDICTION=str(pred), REFERENCE=str(ref), SCHEME="flair19",
                      OUTPUT_REPORT=str(tmp_path / "report.html"))
        params[name] = str(target)
        with pytest.raises(QgsProcessingException, match="is one of the inputs"):
            evaluate(**params)
    assert (ref.read_bytes(), pred.read_bytes()) == before
    assert not (tmp_path / "report.html").exists()
