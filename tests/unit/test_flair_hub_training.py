"""Fine-tuning a FLAIR-HUB aerial model (IGN's layout) on FLAIR patches: its encoder,
decoder, bands (NIR, R, G read from R,G,B,NIR,elevation patches), normalisation and class
order kept; resume; the command; what is refused before work."""

from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from helpers_hub import COSIA, LPIS, ign_layout, random_hub_model
from safetensors.torch import save_file

from flair_landcover.flair_plugin.engine.checkpoints.store import load_model, read_meta
from flair_landcover.flair_plugin.engine.cli import train as train_cli
from flair_landcover.flair_plugin.engine.data.patches import read_patch, training_scheme
from flair_landcover.flair_plugin.engine.inference.predict import predict
from flair_landcover.flair_plugin.engine.training import trainer as tr
from flair_landcover.flair_plugin.nomenclature import (
    FLAIRHUB_ORDER,
    HUB_AERIAL_MEANS,
    hub_landcover_codes,
)
from flair_landcover.synthetic.generator import write_dataset

FAST = dict(batch_size=4, num_workers=0, limit_train_batches=2, limit_val_batches=1,
            curves=False, optimizer="adamw", lr=0.001)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("data") / "flair", size=64,
                         zones_per_domain=1, patches_per_zone=4, seed=2, sentinel=False)


@pytest.fixture(scope="module")
def hub_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("hub") / "FLAIR-HUB_LC-A_IR_convnextv2atto-upernet.safetensors"
    save_file(ign_layout(random_hub_model(tasks=((COSIA, 19), (LPIS, 23)), seed=9)), str(path))
    return path


def test_flairhub_scheme_maps_flair_codes_to_flair_hub_logits():
    s = training_scheme("flairhub")
    assert s.logit_codes == hub_landcover_codes()
    lut = s.lookup()
    for index, code in enumerate(FLAIRHUB_ORDER):
        assert lut[code] == index  # building (1) -> 0, greenhouse (18) -> 1, ...
    assert s.active_indices == tuple(range(15))


def test_nirrg_patches_are_read_as_nir_red_green(data):
    image = next(Path(data.root).rglob("IMG_*.tif"))
    mask = next(Path(data.root).rglob(f"MSK_{image.stem[4:]}.tif"))
    from flair_landcover.flair_plugin.engine.data.patches import PatchPair

    pair = PatchPair(image.stem[4:], image, mask)
    with rasterio.open(image) as src:
        raw = src.read()
    assert np.array_equal(read_patch(pair, (4, 1, 2)).image, raw[[3, 0, 1]])
    assert np.array_equal(read_patch(pair, 3).image, raw[:3])


def test_fine_tuning_keeps_the_flair_hub_network_and_resumes(data, hub_file, tmp_path):
    before = load_model(hub_file).module.state_dict()
    base = dict(output_dir=str(tmp_path / "out"), dataset=str(data.root),
                init_checkpoint=str(hub_file), scheme="flairhub", bands="nirrg", **FAST)
    lines = []
    first = tr.train(tr.TrainConfig(epochs=1, **base), log=lines.append)
    assert any("fine-tuning FLAIR-HUB convnextv2_atto-upernet" in line for line in lines)
    meta = read_meta(first.last_checkpoint)
    assert meta.architecture == "flair-hub" and meta.hub.tasks == (COSIA, LPIS)
    assert meta.bands == ("nir", "red", "green") and meta.means == HUB_AERIAL_MEANS
    assert meta.logit_codes == hub_landcover_codes()
    after = load_model(first.last_checkpoint).module.state_dict()
    stem = "encoders.AERIAL_RGBI.seg_model.model.stem_0.weight"
    assert not torch.equal(after[stem], before[stem]), "the encoder must learn"
    lpis_head = f"main_decoders.{LPIS}.seg_model.segmentation_head.0.weight"
    assert torch.equal(after[lpis_head], before[lpis_head]), "crop types are not trained"
    second = tr.train(tr.TrainConfig(epochs=2, resume=True, **base), log=lines.append)
    assert [int(r["epoch"]) for r in second.history] == [1, 2]
    assert read_meta(second.last_checkpoint).hub == meta.hub
    # the fine-tuned model runs over an area as any other (reads bands 4,1,2)
    raster = next(Path(data.root).rglob("IMG_*.tif"))
    result = predict(raster, second.last_checkpoint, tmp_path / "lc.tif", device="cpu",
                     block=64, halo=0)
    with rasterio.open(result.output) as out:
        assert set(np.unique(out.read(1))) <= set(FLAIRHUB_ORDER[:15])


def test_other_class_order_or_bands_are_refused_before_work(data, hub_file, tmp_path):
    base = dict(output_dir=str(tmp_path / "out"), dataset=str(data.root),
                init_checkpoint=str(hub_file), **FAST)
    with pytest.raises(tr.TrainingError, match="--scheme flairhub"):
        tr.train(tr.TrainConfig(epochs=1, scheme="15cl", bands="nirrg", **base))
    with pytest.raises(tr.TrainingError, match="--bands nirrg"):
        tr.train(tr.TrainConfig(epochs=1, scheme="flairhub", **base))
    assert not (tmp_path / "out").exists()
    plan = tr.build_network(tr.TrainConfig(**{**base, "scheme": "15cl", "bands": "nirrg",
                                              "reset_head": True}), training_scheme("15cl"))
    assert "land-cover head started afresh" in plan.note
    assert plan.meta.logit_codes == training_scheme("15cl").logit_codes


def test_command_fine_tunes_a_flair_hub_checkpoint(data, hub_file, tmp_path, capsys):
    out = tmp_path / "cli"
    status = train_cli.run_train(train_cli.build_parser().parse_args([
        "--dataset", str(data.root), "--output-dir", str(out), "--init", str(hub_file),
        "--scheme", "flairhub", "--bands", "nirrg", "--epochs", "1", "--batch-size", "4",
        "--device", "cpu", "--workers", "0", "--limit-train-batches", "1", "--quiet"]))
    assert status == 0, capsys.readouterr().err
    assert read_meta(out / tr.BEST_MODEL).architecture == "flair-hub"
