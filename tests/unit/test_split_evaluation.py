"""A model scored on a FLAIR split as the official evaluation does (whole patches)."""

import numpy as np
import pytest
import rasterio
import torch
from helpers_models import our_checkpoint

from flair_landcover.flair_plugin.engine.checkpoints.store import load_model
from flair_landcover.flair_plugin.engine.data.patches import (
    DatasetError,
    discover_pairs,
    read_patch,
)
from flair_landcover.flair_plugin.engine.evaluation.split import (
    SplitCancelled,
    evaluate_model_on_split,
)
from flair_landcover.synthetic.generator import write_dataset

TEST_DOMAIN = "D015_2020"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("flair")
    write_dataset(root, layout="domain", domains={"train": ["D006_2020"], "test": [TEST_DOMAIN]},
                  zones_per_domain=1, patches_per_zone=3, size=64, seed=2, sentinel=False)
    return root


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return our_checkpoint(tmp_path_factory.mktemp("m") / "tiny.flair.safetensors", seed=1)


def test_scores_equal_an_independent_computation(dataset, model, tmp_path):
    kept = tmp_path / "pred"
    result = evaluate_model_on_split(model, dataset, domains=["D015"], device="cpu",
                                     batch_size=2, predictions_dir=kept)
    preds = sorted(kept.glob("PRED_*.tif"))
    assert len(preds) == 3 and result.pairs == 3
    loaded = load_model(model)
    confusion = np.zeros((20, 20), np.int64)
    for pred in preds:
        mask = next(dataset.rglob(pred.name.replace("PRED_", "MSK_")))
        image = next(dataset.rglob(pred.name.replace("PRED_", "IMG_")))
        with rasterio.open(pred) as p, rasterio.open(mask) as m, rasterio.open(image) as i:
            predicted, reference, pixels = p.read(1), m.read(1), i.read()
        # One forward of the whole patch, as FLAIR's evaluation: the kept file equals it.
        x = torch.from_numpy(pixels).float()[None]
        means = torch.tensor(loaded.meta.means).view(1, -1, 1, 1)
        stds = torch.tensor(loaded.meta.stds).view(1, -1, 1, 1)
        with torch.no_grad():
            direct = loaded.module((x - means) / stds).argmax(1)[0].numpy() + 1
        assert np.array_equal(predicted, direct)
        np.add.at(confusion, (reference.ravel(), predicted.ravel()), 1)
    scored = [c for c in range(1, 20) if c not in (15, 16, 17, 19)]
    sub = confusion[np.ix_(scored, scored)]
    iou = np.diag(sub) / np.maximum(sub.sum(0) + sub.sum(1) - np.diag(sub), 1)
    assert result.metrics.miou == pytest.approx(iou.mean(), abs=1e-12)


def test_unknown_domain_and_cancel(dataset, model):
    with pytest.raises(DatasetError, match="D999"):
        evaluate_model_on_split(model, dataset, domains=["D999"], device="cpu")
    with pytest.raises(SplitCancelled):
        evaluate_model_on_split(model, dataset, domains=[TEST_DOMAIN], device="cpu",
                                cancel=lambda: True)


def _as_uint16(path):
    """Rewrite an 8-bit patch as 16-bit (same values ×256), as a converted export would."""
    with rasterio.open(path) as src:
        profile, pixels = src.profile, src.read()
    profile.update(dtype="uint16")
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(pixels.astype(np.uint16) * 256)


def test_a_patch_training_refuses_is_refused_before_any_prediction(model, tmp_path):
    """A uint16 patch was once normalised with 8-bit statistics and scored mIoU 0; it now
    gets training's own DatasetError, before anything is predicted."""
    root = tmp_path / "flair16"
    write_dataset(root, layout="domain", domains={"test": [TEST_DOMAIN]}, zones_per_domain=1,
                  patches_per_zone=3, size=64, seed=3, sentinel=False)
    image = sorted(root.rglob("IMG_*.tif"))[-1]
    _as_uint16(image)
    kept, calls = tmp_path / "pred", []
    with pytest.raises(DatasetError) as caught:
        evaluate_model_on_split(model, root, domains=[TEST_DOMAIN], device="cpu",
                                predictions_dir=kept, progress=lambda *a: calls.append(a))
    message = str(caught.value)
    assert str(image) in message and "uint16" in message
    assert "8-bit" in message and "convert it to 8 bits" in message
    assert not calls and not list(kept.glob("*"))
    # the very reader training's dataset uses: same class, same words
    pair = next(p for p in discover_pairs(root)[0] if p.image == image)
    with pytest.raises(DatasetError) as training:
        read_patch(pair, load_model(model).meta.in_channels)
    assert str(training.value) == message
