"""Training patches from annotation polygons (or a class raster): FLAIR-shaped patches,
sparse masks, a spatial train/validation split without leakage, class counts."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import rasterio
from helpers_rasters import ORIGIN, write_raster
from helpers_vectors import pixel_rectangle, write_polygons
from osgeo import ogr

from flair_landcover.flair_plugin.engine.data import export as ex
from flair_landcover.flair_plugin.engine.data.patches import prepare_training_data
from flair_landcover.flair_plugin.engine.errors import InputError, OutputExistsError
from flair_landcover.flair_plugin.engine.evaluation.mapping import ClassMapping
from flair_landcover.flair_plugin.nomenclature import AERIAL_BANDS, FLAIR1_MEANS, NOT_ANNOTATED

PIXEL = 0.2
TILE = 64
SIZE = 512  # 8 x 8 patches
SPEC = ex.PatchSpec(AERIAL_BANDS, PIXEL, TILE, FLAIR1_MEANS)
TABLE = ClassMapping.from_rows([("value", "code"), ("VIGNE", 9), ("LANDE", "brushwood"),
                                ("BATI", 1), ("IGNORE", "")])
# (col0, row0, col1, row1, value): scattered polygons, in image pixels
RECTS = [(10, 10, 50, 40, "VIGNE"), (70, 5, 120, 60, "LANDE"), (200, 200, 260, 230, "BATI"),
         (300, 20, 330, 100, "VIGNE"), (20, 300, 100, 330, "LANDE"),
         (400, 400, 500, 500, "VIGNE"), (450, 100, 470, 140, "IGNORE"),
         (140, 420, 180, 460, "BATI")]
CODES = {"VIGNE": 9, "LANDE": 8, "BATI": 1}


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scene")
    rng = np.random.default_rng(0)
    image = write_raster(folder / "ortho.tif",
                         rng.integers(0, 255, (5, SIZE, SIZE), dtype=np.uint8), pixel=PIXEL)
    features = [(pixel_rectangle(ORIGIN, PIXEL, c0, r0, c1, r1), {"classe": v})
                for c0, r0, c1, r1, v in RECTS]
    polygons = write_polygons(folder / "annotations.gpkg", features,
                              [("classe", ogr.OFTString)])
    expected = np.zeros((SIZE, SIZE), np.uint8)
    for c0, r0, c1, r1, v in RECTS:
        expected[r0:r1, c0:c1] = CODES.get(v, 0)
    return folder, image, polygons, expected


def _export(scene, out, **kwargs):
    folder, image, polygons, _ = scene
    options = dict(polygons=polygons, class_field="classe", mapping=TABLE, split_block=2,
                   val_share=0.3, min_annotated=0.0)
    options.update(kwargs)
    return ex.export_patches(image, out, SPEC, **options)


def _pairs(result):
    with open(result.pairs_csv, newline="") as f:
        return list(csv.DictReader(f))


def test_patches_are_flair_shaped_sparse_and_read_by_the_training(scene, tmp_path):
    _, image, _, expected = scene
    lines = []
    result = _export(scene, tmp_path / "patches", log=lines.append)
    rows = _pairs(result)
    assert len(rows) == result.patches["train"] + result.patches["val"] > 4
    with rasterio.open(image) as src:
        source = src.read()
        origin = src.transform
    annotated = 0
    for row in rows:
        with rasterio.open(result.output_dir / row["image"]) as img, \
                rasterio.open(result.output_dir / row["mask"]) as msk:
            assert (img.count, img.width, img.height, img.dtypes[0]) == (5, TILE, TILE, "uint8")
            assert msk.crs == img.crs and msk.transform == img.transform
            col = round((img.transform.c - origin.c) / PIXEL)
            r = round((origin.f - img.transform.f) / PIXEL)
            image_data, mask = img.read(), msk.read(1)
        # on the image grid: the exact pixels of the source and of the burnt polygons;
        # past the image's edge, the band means (as the inference pads) and not annotated
        h, w = min(TILE, SIZE - r), min(TILE, SIZE - col)
        assert np.array_equal(image_data[:, :h, :w], source[:, r:r + h, col:col + w])
        assert np.array_equal(mask[:h, :w], expected[r:r + h, col:col + w])
        assert not mask[h:].any() and not mask[:, w:].any()
        assert (image_data[0, h:] == round(FLAIR1_MEANS[0])).all()
        annotated += np.count_nonzero(mask)
    # every annotated pixel of the scene is in exactly one patch; "IGNORE" (excluded by
    # the table) is not annotated
    assert annotated == np.count_nonzero(expected)
    assert set(np.unique(expected)) == {NOT_ANNOTATED, 1, 8, 9}
    data = prepare_training_data(pairs_csv=result.pairs_csv)
    assert (len(data.train), len(data.val)) == (result.patches["train"], result.patches["val"])
    # class counts: log, CSV and JSON say the same, and add up to the masks
    with open(result.output_dir / ex.CLASS_COUNTS_CSV, newline="") as f:
        counts = {int(r["code"]): int(r["train_pixels"]) + int(r["val_pixels"])
                  for r in csv.DictReader(f)}
    assert counts == {c: int((expected == c).sum()) for c in (1, 8, 9)}
    summary = json.loads((result.output_dir / ex.SUMMARY_JSON).read_text())
    assert summary["patches"] == result.patches and summary["not_annotated_value"] == 0
    assert any("9 vineyard" in line and "training px" in line for line in lines)


def test_split_by_whole_blocks_without_overlap(scene, tmp_path):
    result = _export(scene, tmp_path / "patches", split_block=2, val_share=0.3, seed=3)
    cells = {}
    bounds = []
    for row in _pairs(result):
        i, j = (int(v) for v in row["image"].split("_")[1][:-4].split("-"))
        cells[(i, j)] = row["split"]
        with rasterio.open(result.output_dir / row["image"]) as img:
            bounds.append((tuple(img.bounds), row["split"]))
    # no two patches overlap (so no pixel is in both splits)
    for a in range(len(bounds)):
        for b in range(a + 1, len(bounds)):
            (l1, b1, r1, t1), (l2, b2, r2, t2) = bounds[a][0], bounds[b][0]
            assert l1 >= r2 - 1e-6 or l2 >= r1 - 1e-6 or b1 >= t2 - 1e-6 or b2 >= t1 - 1e-6
    # whole blocks: all the patches of a 2x2 block share one split
    blocks = {}
    for (i, j), split in cells.items():
        blocks.setdefault((i // 2, j // 2), set()).add(split)
    assert all(len(s) == 1 for s in blocks.values())
    assert {"train", "val"} <= set(cells.values())
    # a validation patch's neighbours in its block are validation patches too
    for (i, j), split in cells.items():
        for di, dj in ((0, 1), (1, 0)):
            other = (i + di, j + dj)
            if other in cells and (i // 2, j // 2) == (other[0] // 2, other[1] // 2):
                assert cells[other] == split
    assert result.blocks["val"] >= 1 and result.blocks["train"] >= 1


def test_split_blocks_reaches_the_share_and_keeps_a_training_block():
    cells = [(i, j) for i in range(8) for j in range(8)]
    splits = ex.split_blocks(cells, 2, 0.25, seed=0)
    val = sum(1 for i, j in cells if splits[(i // 2, j // 2)] == "val")
    assert val == 16  # 4 whole blocks of 4 patches = 25 %
    assert ex.split_blocks(cells, 2, 0.99, 0) != {k: "val" for k in splits}
    with pytest.raises(InputError, match="at least two"):
        ex.split_blocks([(0, 0), (1, 1)], 4, 0.2, 0)


def test_area_of_interest_and_polygons_in_another_crs(scene, tmp_path):
    folder, image, _, expected = scene
    features = [(pixel_rectangle(ORIGIN, PIXEL, c0, r0, c1, r1), {"classe": v})
                for c0, r0, c1, r1, v in RECTS]
    wgs84 = write_polygons(tmp_path / "wgs84.gpkg", features, [("classe", ogr.OFTString)],
                           epsg=4326)
    area = write_polygons(tmp_path / "area.gpkg",
                          [(pixel_rectangle(ORIGIN, PIXEL, 0, 0, 256, 256), {})], [])
    result = _export(scene, tmp_path / "patches", polygons=wgs84, area=area, split_block=1)
    seen = np.zeros((SIZE, SIZE), np.uint8)
    for row in _pairs(result):
        with rasterio.open(result.output_dir / row["mask"]) as msk:
            col = round((msk.transform.c - ORIGIN[0]) / PIXEL)
            r = round((ORIGIN[1] - msk.transform.f) / PIXEL)
            window = seen[r:r + TILE, col:col + TILE]
            data = msk.read(1)[:window.shape[0], :window.shape[1]]
            window[:] = np.maximum(window, data)
    inside = np.zeros_like(expected)
    inside[:256, :256] = expected[:256, :256]
    # reprojected to WGS 84 and back, polygon edges may move by a pixel
    assert np.count_nonzero(seen[256:, :]) == 0 and np.count_nonzero(seen[:, 256:]) == 0
    assert abs(int((seen != inside).sum())) <= 0.02 * np.count_nonzero(inside)


def test_a_class_raster_through_a_table(scene, tmp_path):
    _, image, _, expected = scene
    user = np.zeros_like(expected)
    user[expected == 9] = 21  # the user's own codes
    user[expected == 8] = 22
    raster = write_raster(tmp_path / "classes.tif", user, pixel=PIXEL)
    table = ClassMapping.from_rows([(21, 9), (22, 8)])
    result = ex.export_patches(image, tmp_path / "patches", SPEC, class_raster=raster,
                               mapping=table, split_block=2, min_annotated=0.0)
    total = {}
    for split in ex.SPLITS:
        for code, n in result.pixels[split].items():
            total[code] = total.get(code, 0) + n
    assert total == {9: int((expected == 9).sum()), 8: int((expected == 8).sum())}


def test_bad_settings_fail_before_any_work(scene, tmp_path):
    folder, image, polygons, _ = scene
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x.txt").write_text("x")
    with pytest.raises(OutputExistsError, match="not empty"):
        _export(scene, busy)
    with pytest.raises(InputError, match="not both"):
        _export(scene, tmp_path / "a", class_raster=image)
    with pytest.raises(InputError, match="class field"):
        _export(scene, tmp_path / "b", class_field="")
    with pytest.raises(InputError, match="between 0 and 1"):
        _export(scene, tmp_path / "c", val_share=1.0)
    with pytest.raises(InputError, match="multiple of 32"):
        ex.export_patches(image, tmp_path / "d", ex.PatchSpec(AERIAL_BANDS, PIXEL, 50,
                                                              FLAIR1_MEANS),
                          polygons=polygons, class_field="classe", mapping=TABLE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]


def test_cancel_leaves_nothing(scene, tmp_path):
    calls = []
    with pytest.raises(ex.ExportCancelled):
        _export(scene, tmp_path / "patches", cancel=lambda: calls.append(1) or len(calls) > 3)
    assert list(tmp_path.iterdir()) == []
