"""Teach the model your territory: sparse labels end to end, and fine-tuning on a few
polygons fixing a class a base model systematically confuses.

The base model is trained on a generated area whose vineyards were labelled brushwood
(a model from a region without vineyards): on a generated territory it maps
vineyards as brushwood. The user's polygons cover a small share of the territory; the
patches exported from them fine-tune the base model; vineyard IoU on held-out polygons
(another part of the territory) rises by a clear margin. Models are tiny (resnet18,
encoder depth 3, 64 px patches, a few epochs) so the file runs on two shared cores.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import rasterio
import torch
from helpers_vectors import write_polygons
from osgeo import gdal, ogr

from flair_landcover.flair_plugin.engine.checkpoints.store import read_meta
from flair_landcover.flair_plugin.engine.data import export as ex
from flair_landcover.flair_plugin.engine.evaluation.mapping import ClassMapping
from flair_landcover.flair_plugin.engine.evaluation.rasters import evaluate_rasters
from flair_landcover.flair_plugin.engine.inference.predict import predict
from flair_landcover.flair_plugin.engine.training import losses
from flair_landcover.flair_plugin.engine.training import trainer as tr
from flair_landcover.flair_plugin.nomenclature import AERIAL_BANDS, CODES, FLAIR1_MEANS
from flair_landcover.synthetic.generator import write_mosaic

TILE = 64
SMALL = dict(encoder="resnet18", encoder_depth=3, decoder_channels=(32, 16, 8),
             batch_size=4, num_workers=0, curves=False)
VINEYARD, BRUSHWOOD = 9, 8
AREA = 768  # px of the generated territory (0.2 m)


# --------------------------------------------------------------------------- the loss


def test_not_annotated_pixels_add_no_loss_and_no_gradient():
    torch.manual_seed(0)
    logits = torch.randn(2, 19, 8, 8, requires_grad=True)
    target = torch.randint(0, 19, (2, 8, 8))
    target[:, :4] = losses.IGNORE_INDEX
    weights = torch.ones(19)
    loss = losses.segmentation_loss(logits, target, weights)
    loss.backward()
    assert torch.count_nonzero(logits.grad[:, :, :4]) == 0
    assert torch.count_nonzero(logits.grad[:, :, 4:]) > 0
    annotated = torch.nn.functional.cross_entropy(logits[:, :, 4:], target[:, 4:])
    assert float(loss) == pytest.approx(float(annotated), rel=1e-6)
    nothing = torch.full((1, 8, 8), losses.IGNORE_INDEX)
    assert float(losses.segmentation_loss(logits[:1], nothing, weights)) == 0.0


# --------------------------------------------------------------------------- sparse end to end


def _uniform_patches(folder, dense: bool):
    """Patches of one texture everywhere; the mask annotates a corner square as
    coniferous (6) and leaves the rest (80 %) not annotated, or, ``dense``, calls it
    herbaceous (10): what the training would learn if not-annotated pixels counted."""
    rng = np.random.default_rng(0)
    (folder / "img").mkdir(parents=True)
    (folder / "msk").mkdir()
    rows = ["image,mask,split"]
    for n in range(10):
        image = rng.normal(100, 12, (5, TILE, TILE)).clip(0, 255).astype(np.uint8)
        mask = np.full((TILE, TILE), 10 if dense else 0, np.uint8)
        mask[:28, :28] = 6
        for kind, data in (("img", image), ("msk", mask[None])):
            path = folder / kind / f"{kind.upper()}_{n}.tif"
            with rasterio.open(path, "w", driver="GTiff", width=TILE, height=TILE,
                               count=data.shape[0], dtype="uint8") as dst:
                dst.write(data)
        rows.append(f"img/IMG_{n}.tif,msk/MSK_{n}.tif,{'val' if n >= 8 else 'train'}")
    (folder / "pairs.csv").write_text("\n".join(rows) + "\n")
    return folder / "pairs.csv"


def _predicted_share(checkpoint, image_path, tmp_path, code: int) -> float:
    out = predict(image_path, checkpoint, tmp_path / f"pred-{time.monotonic_ns()}.tif",
                  block=TILE, halo=0, device="cpu", batch_size=2)
    with rasterio.open(out.output) as src:
        return float((src.read(1) == code).mean())


@pytest.mark.parametrize("dense", [False, True], ids=["sparse", "dense-control"])
def test_unannotated_pixels_never_teach_a_class(dense, tmp_path):
    pairs = _uniform_patches(tmp_path / "data", dense)
    result = tr.train(tr.TrainConfig(output_dir=str(tmp_path / "run"), pairs_csv=str(pairs),
                                     epochs=3, optimizer="adamw", lr=0.01, scheduler="none",
                                     seed=0, **SMALL))
    share = _predicted_share(result.best_checkpoint, tmp_path / "data/img/IMG_9.tif",
                             tmp_path, 6)
    if dense:
        # the control: had the 80 % of not-annotated pixels entered the loss as a class,
        # the model would have learnt that class over the whole uniform patch
        assert share < 0.5
    else:
        assert share > 0.95  # the one annotated class, everywhere
        log = tr.read_log(result.log_csv)
        assert log[-1]["iou_6_coniferous"] == pytest.approx(1.0)  # scored on annotated pixels only


# --------------------------------------------------------------------------- the territory


def _polygonize(mask_path, out_path, keep) -> None:
    """The mask's regions as polygons with a 'code' field, those ``keep(code, x, y)``
    accepts (x, y: the centroid's pixel position)."""
    src = gdal.Open(str(mask_path))
    mem = ogr.GetDriverByName("Memory").CreateDataSource("")
    layer = mem.CreateLayer("all", src.GetSpatialRef(), ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("code", ogr.OFTInteger))
    gdal.Polygonize(src.GetRasterBand(1), None, layer, 0)
    x0, px, _, y0, _, py = src.GetGeoTransform()
    kept = []
    for feature in layer:
        geometry = feature.GetGeometryRef()
        centre = geometry.Centroid()
        code = feature.GetField("code")
        if keep(code, (centre.GetX() - x0) / px, (centre.GetY() - y0) / py):
            kept.append((geometry.Clone(), {"code": code}))
    write_polygons(out_path, kept, [("code", ogr.OFTInteger)])


@pytest.fixture(scope="module")
def territory(tmp_path_factory):
    root = tmp_path_factory.mktemp("territory")
    # the base model's data: another generated area, cut into patches by the export
    # itself from its class raster, through a table calling vineyards brushwood
    other = write_mosaic(root / "other.tif", root / "other_truth.tif", 512, 512, seed=3,
                         block=128)
    table = ClassMapping.from_rows([(c, BRUSHWOOD if c == VINEYARD else c) for c in CODES])
    spec = ex.PatchSpec(AERIAL_BANDS, 0.2, TILE, FLAIR1_MEANS)
    data = ex.export_patches(other.image, root / "base_patches", spec,
                             class_raster=other.mask, mapping=table, split_block=2)
    assert VINEYARD not in data.pixels["train"] and data.pixels["train"][BRUSHWOOD] > 0
    started = time.perf_counter()
    base = tr.train(tr.TrainConfig(output_dir=str(root / "base"), pairs_csv=str(data.pairs_csv),
                                   epochs=5, optimizer="adamw", lr=0.003, scheduler="cosine",
                                   seed=0, **SMALL))
    print(f"\nbase model: {time.perf_counter() - started:.0f} s")
    # the territory, its annotation polygons: a training zone (rows 0..255, columns
    # 384..767: a sixth of the area) and held-out polygons (rows 384..)
    info = write_mosaic(root / "ortho.tif", root / "truth.tif", AREA, AREA, seed=7, block=128)
    _polygonize(info.mask, root / "annotations.gpkg", lambda c, x, y: y < 256 and x >= 384)
    _polygonize(info.mask, root / "held_out.gpkg", lambda c, x, y: y >= 384)
    return root, base, info


def _evaluate(model, image, polygons, tmp_path, name):
    """The model's map scored on the polygons. Our maps hold FLAIR codes: the scheme
    check is off (weak generated models confuse neighbouring codes, which it would take
    for a map shifted by one)."""
    prediction = predict(image, model, tmp_path / f"{name}.tif", block=256, halo=32,
                         device="cpu", batch_size=2)
    return evaluate_rasters(prediction.output, polygons, reference_field="code",
                            check_scheme=False)


# two trainings and four maps: about 2 minutes on two idle cores, 14 when they are shared
@pytest.mark.timeout(1800)
def test_fine_tuning_on_a_few_polygons_fixes_the_confused_class(territory, tmp_path):
    root, base, info = territory
    spec = ex.PatchSpec.of_model(read_meta(base.best_checkpoint))
    assert spec.tile_size == TILE
    patches = ex.export_patches(info.image, tmp_path / "patches", spec,
                                polygons=root / "annotations.gpkg", class_field="code",
                                split_block=2, val_share=0.2)
    with rasterio.open(info.mask) as src:
        annotated = sum(sum(p.values()) for p in patches.pixels.values()) / (src.width *
                                                                             src.height)
    assert annotated < 0.2, "polygons over a small share of the territory"
    assert patches.pixels["train"].get(VINEYARD, 0) > 0
    started = time.perf_counter()
    tuned = tr.train(tr.TrainConfig(output_dir=str(tmp_path / "tuned"),
                                    pairs_csv=str(patches.pairs_csv),
                                    init_checkpoint=str(base.best_checkpoint), epochs=20,
                                    optimizer="adamw", lr=0.01, scheduler="cosine", seed=0,
                                    batch_size=4, num_workers=0, curves=False))
    print(f"fine-tuning: {time.perf_counter() - started:.0f} s")
    before = _evaluate(base.best_checkpoint, info.image, root / "held_out.gpkg",
                           tmp_path, "before")
    after = _evaluate(tuned.best_checkpoint, info.image, root / "held_out.gpkg",
                          tmp_path, "after")
    iou = {name: {c.value: c.iou for c in r.metrics.classes}
           for name, r in (("before", before), ("after", after))}
    gain = (iou["after"][VINEYARD] or 0.0) - (iou["before"][VINEYARD] or 0.0)
    print(f"vineyard IoU on held-out polygons: {iou['before'][VINEYARD]} -> "
          f"{iou['after'][VINEYARD]} (gain {gain:+.3f}); annotated share {annotated:.3f}; "
          f"mIoU {before.headline_miou:.3f} -> {after.headline_miou:.3f}")
    assert (iou["before"][VINEYARD] or 0.0) < 0.05, "the base model never maps vineyards"
    # measured on two cores: 0.000 -> 0.198 (+0.198); the base model never maps vineyards
    assert gain > 0.1
