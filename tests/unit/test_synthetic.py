"""The synthetic FLAIR-like generator: every later test and the demo stand on it.

Checked on real files written by rasterio/numpy: FLAIR's layouts and names, geometry
(EPSG:2154, 0.2 m, Lambert-93 positions consistent across images, metadata, centroids and
Sentinel-2 super-areas), determinism, learnable class signatures, streamed mosaics, and
that nothing is overwritten unless asked.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import os
import re
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import rasterio

import flair_landcover
from flair_landcover.flair_plugin import nomenclature as nom
from flair_landcover.synthetic import generator as syn
from flair_landcover.synthetic.scene import SCENE_KINDS, class_signature, render_scene

SIZE = 128
VEGETATION = (6, 7, 8, 9, 10, 11, 16, 17)


@pytest.fixture(scope="module")
def github(tmp_path_factory) -> syn.SyntheticDataset:
    return syn.write_dataset(tmp_path_factory.mktemp("gh") / "flair", layout="github",
                             size=SIZE, seed=7)


@pytest.fixture(scope="module")
def by_domain(tmp_path_factory) -> syn.SyntheticDataset:
    return syn.write_dataset(tmp_path_factory.mktemp("dom") / "flair", layout="domain",
                             zones_per_domain=1, patches_per_zone=2, size=64, seed=3)


def _rel(ds: syn.SyntheticDataset, path: Path) -> str:
    return path.relative_to(ds.root).as_posix()


def _all_files(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _read(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read()


def _small(root: Path, seed: int, **kw) -> syn.SyntheticDataset:
    return syn.write_dataset(root, domains={"train": ["D006_2020"], "test": ["D015_2020"]},
                             zones_per_domain=1, patches_per_zone=2, size=48, seed=seed, **kw)


# --------------------------------------------------------------------------- scene


def test_scene_shapes_dtypes_and_codes():
    image, mask = render_scene(200, 150, 1)
    assert image.shape == (5, 200, 150) and image.dtype == np.uint8
    assert mask.shape == (200, 150) and mask.dtype == np.uint8
    assert mask.min() >= 1 and mask.max() <= 19


@pytest.mark.parametrize("h, w", [(1, 1), (7, 300), (33, 17)])
def test_scene_any_size(h, w):
    image, mask = render_scene(h, w, 5, kind="urban")
    assert image.shape == (5, h, w) and mask.shape == (h, w)
    assert set(np.unique(mask)) <= set(nom.CODES)


def test_scene_deterministic_from_seed():
    a, b, c = (render_scene(160, 160, s) for s in (11, 11, 12))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_scene_rejects_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        render_scene(32, 32, 0, kind="desert")
    with pytest.raises(ValueError, match="at least 1"):
        render_scene(0, 32, 0)


def test_scene_is_fast():
    render_scene(512, 512, 0)  # warm-up
    best = min(_timed(lambda s=s: render_scene(512, 512, s)) for s in range(3))
    assert best < 0.2, f"a 512×512 scene took {best:.3f} s"


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


@pytest.fixture(scope="module")
def class_means():
    """Per-class mean (R, G, B, NIR, elevation) over scenes of every landscape type."""
    sums, counts = {}, {}
    for i, kind in enumerate(SCENE_KINDS * 2):
        image, mask = render_scene(384, 384, 100 + i, kind=kind)
        for code in np.unique(mask):
            sel = mask == code
            sums[code] = sums.get(code, 0) + image[:, sel].astype(float).sum(axis=1)
            counts[code] = counts.get(code, 0) + int(sel.sum())
    return {int(c): sums[c] / counts[c] for c in sums}


def test_main_classes_have_separated_signatures(class_means):
    main = [c for c in list(range(1, 14)) + [18] if c in class_means]
    assert len(main) >= 12, f"scenes cover only {sorted(class_means)}"
    for a, b in itertools.combinations(main, 2):
        gap = np.abs(class_means[a] - class_means[b]).max()
        assert gap >= 10, f"classes {a} and {b} differ by only {gap:.1f} DN in every band"


def test_buildings_and_trees_stand_high(class_means):
    elevation = {c: m[4] for c, m in class_means.items()}
    for high in (1, 6, 7):
        for low in (3, 5):
            assert elevation[high] > elevation[low] + 20, (high, low, elevation)
    assert class_signature(1)[4] > 20  # 1 DN = 0.2 m: a house is several metres high


# --------------------------------------------------------------------------- github layout

GITHUB_PATTERNS = {
    "image": r"^(flair_aerial_train|flair_2_aerial_test)/D\d{3}_\d{4}/Z\d+_\w+/img/"
             r"IMG_\d{6}\.tif$",
    "mask": r"^(flair_labels_train|flair_2_labels_test)/D\d{3}_\d{4}/Z\d+_\w+/msk/"
            r"MSK_\d{6}\.tif$",
}


def test_github_layout_paths(github):
    assert github.counts["patches"] == 4 * 2 * 4
    for p in github.patches:
        assert re.match(GITHUB_PATTERNS["image"], _rel(github, p.image)), p.image
        assert re.match(GITHUB_PATTERNS["mask"], _rel(github, p.mask)), p.mask
        parts = _rel(github, p.image).split("/")
        assert parts[1:3] == [p.domain, p.zone]
        assert parts[0] == ("flair_2_aerial_test" if p.split == "test" else "flair_aerial_train")
        assert p.mask.name == f"MSK_{p.patch_id}.tif" and p.image.name == f"IMG_{p.patch_id}.tif"
    assert (github.root / "flair-2_aerial_metadata.json").is_file()
    assert (github.root / "flair-2_centroids_sp_to_patch.json").is_file()
    ids = [p.patch_id for p in github.patches]
    assert len(set(ids)) == len(ids)
    domains = github.domains
    assert domains["train"][0] in nom.DOMAINS_TRAIN and domains["val"][0] in nom.DOMAINS_VAL
    assert domains["test"][0] in nom.DOMAINS_TEST_FLAIR2
    for s in github.sentinel:
        rel = _rel(github, s.data)
        top = "flair_2_sen_test" if s.split == "test" else "flair_sen_train"
        assert rel == f"{top}/{s.domain}/{s.zone}/sen/SEN2_sp_{s.domain}-{s.zone}_data.npy"
        assert s.masks.name.endswith("_masks.npy") and s.products.name.endswith("_products.txt")


def test_patches_are_flair_geotiffs(github):
    for p in github.patches:
        with rasterio.open(p.image) as img, rasterio.open(p.mask) as msk:
            for src, bands in ((img, 5), (msk, 1)):
                assert src.crs.to_epsg() == 2154
                assert src.res == pytest.approx((0.2, 0.2))
                assert (src.width, src.height, src.count) == (SIZE, SIZE, bands)
                assert src.dtypes == ("uint8",) * bands and src.nodata is None
            assert img.transform == msk.transform
            left, bottom, right, top = img.bounds
            assert ((left + right) / 2, (bottom + top) / 2) == pytest.approx(p.centroid_xy)
            assert 100_000 < left < 1_250_000 and 6_000_000 < bottom < 7_150_000  # France
            codes = msk.read(1)
            assert codes.min() >= 1 and codes.max() <= 19
            assert img.read().std(axis=(1, 2)).min() > 0  # textured bands, not constants


def test_dataset_covers_most_classes(github):
    seen = set()
    for p in github.patches:
        with rasterio.open(p.mask) as src:
            seen |= set(np.unique(src.read(1)).tolist())
    assert len(seen) >= 12, sorted(seen)
    assert set(github.class_counts) == seen


def test_zone_patches_lie_near_each_other(github):
    by_zone = {}
    for p in github.patches:
        by_zone.setdefault((p.domain, p.zone), []).append(p.centroid_xy)
    footprint = SIZE * 0.2
    for centres in by_zone.values():
        xs, ys = np.array(centres).T
        assert xs.max() - xs.min() < 4 * footprint and ys.max() - ys.min() < 4 * footprint
        # on one grid: offsets are whole patches
        steps = np.concatenate([xs - xs[0], ys - ys[0]]) / footprint
        assert np.allclose(steps, np.round(steps), atol=1e-6)


def test_aerial_metadata_json(github):
    meta = json.loads(github.metadata_json.read_text())
    assert set(meta) == {f"IMG_{p.patch_id}" for p in github.patches}
    for p in github.patches:
        rec = meta[p.name]
        assert (rec["patch_centroid_x"], rec["patch_centroid_y"]) == \
            pytest.approx(p.centroid_xy, abs=1e-3)
        assert isinstance(rec["patch_centroid_z"], float)
        assert rec["domain"] == p.domain and rec["zone"] == p.zone
        day = dt.date.fromisoformat(rec["date"])
        assert day.year == int(p.domain[-4:])
        assert re.fullmatch(r"([01]\d|2[0-3])h[0-5]\d", rec["time"])
        assert isinstance(rec["camera"], str) and rec["camera"]
    assert any("UCE" in r["camera"] for r in meta.values())


def test_centroids_match_super_area_geometry(github):
    cent = json.loads(github.centroids_json.read_text())
    assert set(cent) == {f"IMG_{p.patch_id}.tif" for p in github.patches}
    areas = {(s.domain, s.zone): s for s in github.sentinel}
    for p in github.patches:
        s2 = areas[(p.domain, p.zone)]
        row, col = cent[f"IMG_{p.patch_id}.tif"]
        assert (row, col) == p.sentinel_rowcol
        x0, y0 = s2.origin_xy
        assert row == math.floor((y0 - p.centroid_xy[1]) / 10)
        assert col == math.floor((p.centroid_xy[0] - x0) / 10)
        _, _, height, width = s2.shape
        # FLAIR-2 crops 40×40 S2 pixels around the centroid: they must be inside
        assert 20 <= row <= height - 20 and 20 <= col <= width - 20


def test_sentinel_arrays_and_products(github):
    assert len(github.sentinel) == github.counts["zones"]
    any_cloud = False
    for s in github.sentinel:
        data, masks = np.load(s.data), np.load(s.masks)
        t, bands, h, w = data.shape
        assert data.dtype == np.int16 and bands == 10 and 12 <= t <= 20
        assert s.shape == data.shape
        assert masks.dtype == np.uint8 and masks.shape == (t, 2, h, w) and masks.max() <= 100
        assert data.min() >= 0 and 500 < np.median(data) < 10000
        any_cloud |= bool((masks[:, 1] > 50).any())
        names = s.products.read_text().splitlines()
        assert len(names) == t
        year = int(s.domain[-4:])
        dates = []
        for name in names:
            assert re.fullmatch(r"SENTINEL2[AB]_\d{8}-\d{6}-\d{3}_L2A_T\w{5}_C_V2-2", name)
            # FLAIR-2 reads the month at [15:17] and the day at [17:19]
            dates.append(dt.date(int(name[11:15]), int(name[15:17]), int(name[17:19])))
        assert all(d.year == year for d in dates) and dates == sorted(set(dates))
    assert any_cloud


def test_sentinel_reflects_the_masks(github):
    """Summer NDVI of S2 pixels inside patches follows their vegetation share."""
    ndvi, veg = [], []
    for s in github.sentinel:
        data, masks = np.load(s.data).astype(float), np.load(s.masks)
        days = [dt.datetime.strptime(n[11:19], "%Y%m%d").timetuple().tm_yday
                for n in s.products.read_text().split()]
        clear = [i for i, d in enumerate(days) if masks[i, 1].mean() < 5 and 120 < d < 250]
        if not clear:
            continue
        t = clear[0]
        share = np.zeros(data.shape[2:])
        cover = np.zeros(data.shape[2:])
        x0, y0 = s.origin_xy
        for p in github.patches:
            if (p.domain, p.zone) != (s.domain, s.zone):
                continue
            with rasterio.open(p.mask) as src:
                codes, left, top = src.read(1), src.bounds.left, src.bounds.top
            r0, c0 = round((y0 - top) * 5), round((left - x0) * 5)  # in 0.2 m pixels
            rows = (r0 + np.arange(codes.shape[0])) // 50
            cols = (c0 + np.arange(codes.shape[1])) // 50
            np.add.at(share, (rows[:, None], cols[None, :]), np.isin(codes, VEGETATION))
            np.add.at(cover, (rows[:, None], cols[None, :]), 1)
        full = cover == 2500
        red, nir = data[t, 2][full], data[t, 6][full]
        ndvi += list((nir - red) / (nir + red))
        veg += list(share[full] / 2500)
    assert len(ndvi) >= 10
    assert np.corrcoef(ndvi, veg)[0, 1] > 0.5


# --------------------------------------------------------------------------- domain layout


def test_domain_layout_paths(by_domain):
    root = by_domain.root
    assert not (root / "flair_aerial_train").exists()
    for p in by_domain.patches:
        assert _rel(by_domain, p.image) == f"{p.domain}/aerial/{p.zone}/IMG_{p.patch_id}.tif"
        assert _rel(by_domain, p.mask) == f"{p.domain}/labels/{p.zone}/MSK_{p.patch_id}.tif"
        with rasterio.open(p.image) as src:
            assert (src.count, src.width, src.crs.to_epsg()) == (5, 64, 2154)
    for s in by_domain.sentinel:
        assert _rel(by_domain, s.data) == \
            f"{s.domain}/sentinel/{s.zone}/SEN2_sp_{s.domain}-{s.zone}_data.npy"
    assert _rel(by_domain, by_domain.metadata_json) == "aux-data/flair-2_aerial_metadata.json"
    assert _rel(by_domain, by_domain.centroids_json) == \
        "aux-data/flair-2_centroids_sp_to_patch.json"
    meta = json.loads(by_domain.metadata_json.read_text())
    assert set(meta) == {p.name for p in by_domain.patches}


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_bytes_other_seed_other_pixels(tmp_path):
    a, b = _small(tmp_path / "a", 5), _small(tmp_path / "b", 5)
    files_a, files_b = _all_files(a.root), _all_files(b.root)
    assert files_a.keys() == files_b.keys() and len(files_a) == 4 * 2 + 3 * 2 + 2
    assert files_a == files_b
    c = _small(tmp_path / "c", 6)
    with rasterio.open(a.images[0]) as x, rasterio.open(c.images[0]) as y:
        assert not np.array_equal(x.read(), y.read())


def test_no_sentinel_option(tmp_path):
    ds = _small(tmp_path / "d", 1, sentinel=False)
    assert ds.sentinel == () and ds.centroids_json is None
    assert not list(ds.root.rglob("SEN2_*")) and not list(ds.root.rglob("*centroids*"))


# --------------------------------------------------------------------------- refusals


def test_refuses_non_empty_folder_then_overwrites_on_request(tmp_path):
    root = tmp_path / "out"
    root.mkdir()
    (root / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="overwrite"):
        _small(root, 0)
    assert sorted(os.listdir(root)) == ["notes.txt"]
    assert sorted(os.listdir(tmp_path)) == ["out"]  # no partial folder left behind
    ds = _small(root, 0, overwrite=True)
    assert (root / "notes.txt").read_text() == "mine"  # not ours: kept
    assert all(p.is_file() for p in ds.images + ds.masks)
    again = _small(root, 1, overwrite=True)  # same names replaced, no stale file
    assert sorted(p.name for p in root.rglob("IMG_*.tif")) == \
        sorted(p.image.name for p in again.patches)


@pytest.mark.parametrize("kwargs, message", [
    (dict(layout="zip"), "layout"),
    (dict(domains=["D999_2020"]), "train:D999_2020"),
    (dict(domains=["later:D999_2020"]), "unknown split"),
    (dict(domains={"train": ["Paris"]}), "D006_2020"),
    (dict(domains={"training": ["D006_2020"]}), "split"),
    (dict(size=0), "size"),
    (dict(patches_per_zone=0), "patches_per_zone"),
])
def test_bad_arguments_fail_before_writing(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        syn.write_dataset(tmp_path / "x", **kwargs)
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------- mosaic


def test_mosaic_odd_size_georeferenced(tmp_path):
    info = syn.write_mosaic(tmp_path / "img.tif", tmp_path / "msk.tif", 1001, 777, seed=2,
                            origin=(700000.0, 6600000.0), block=256)
    assert info.bounds == pytest.approx((700000.0, 6600000.0 - 777 * 0.2,
                                         700000.0 + 1001 * 0.2, 6600000.0))
    with rasterio.open(info.image) as img, rasterio.open(info.mask) as msk:
        for src, bands in ((img, 5), (msk, 1)):
            assert (src.width, src.height, src.count) == (1001, 777, bands)
            assert src.crs.to_epsg() == 2154 and src.res == pytest.approx((0.2, 0.2))
            assert src.transform.c == 700000.0 and src.transform.f == 6600000.0
            assert src.profile["tiled"] and src.block_shapes[0] == (256, 256)
            assert src.compression is not None
        codes = msk.read(1)
        image = img.read()
    assert codes.min() >= 1 and codes.max() <= 19
    assert {c: int((codes == c).sum()) for c in np.unique(codes)} == info.class_counts
    # the last, partial blocks are rendered too (not left black)
    assert image[:, 768:, 768:].std() > 0 and image[:, -1, -1].any()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_mosaic_deterministic_and_refuses_overwrite(tmp_path):
    a = syn.write_mosaic(tmp_path / "a.tif", tmp_path / "am.tif", 300, 200, seed=4, block=128)
    b = syn.write_mosaic(tmp_path / "b.tif", tmp_path / "bm.tif", 300, 200, seed=4, block=128)
    c = syn.write_mosaic(tmp_path / "c.tif", tmp_path / "cm.tif", 300, 200, seed=5, block=128)
    assert np.array_equal(_read(a.image), _read(b.image))
    assert np.array_equal(_read(a.mask), _read(b.mask))
    assert not np.array_equal(_read(a.image), _read(c.image))
    before = a.image.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite"):
        syn.write_mosaic(a.image, tmp_path / "new.tif", 300, 200, seed=9, block=128)
    assert a.image.read_bytes() == before and not (tmp_path / "new.tif").exists()
    syn.write_mosaic(a.image, a.mask, 300, 200, seed=9, block=128, overwrite=True)
    assert not np.array_equal(_read(a.image), _read(c.image))
    with pytest.raises(ValueError, match="multiple of 16"):
        syn.write_mosaic(tmp_path / "x.tif", tmp_path / "xm.tif", 10, 10, block=100)


def test_an_interrupted_mosaic_leaves_nothing_and_keeps_a_mosaic_that_appeared(tmp_path):
    def interrupt(fraction):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        syn.write_mosaic(tmp_path / "a.tif", tmp_path / "am.tif", 300, 200, block=128,
                         progress=interrupt)
    assert list(tmp_path.iterdir()) == []

    def someone_else_writes(fraction):  # the mask appears while the mosaic is written
        if fraction == 1.0:
            (tmp_path / "bm.tif").write_bytes(b"theirs")

    with pytest.raises(FileExistsError, match="appeared while it was being written"):
        syn.write_mosaic(tmp_path / "b.tif", tmp_path / "bm.tif", 300, 200, block=128,
                         progress=someone_else_writes)
    assert (tmp_path / "bm.tif").read_bytes() == b"theirs"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_mosaic_streams_in_bounded_memory(tmp_path):
    """Python-side memory stays at a few blocks, far below the raster's 6 bytes/pixel."""
    width, height, block = 1536, 1536, 128
    fractions = []
    tracemalloc.start()
    try:
        syn.write_mosaic(tmp_path / "i.tif", tmp_path / "m.tif", width, height, seed=1,
                         block=block, progress=fractions.append)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < width * height * 6 / 4, f"peak {peak / 1e6:.1f} MB"
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) == 12


# --------------------------------------------------------------------------- CLI


def test_cli_dataset_and_mosaic(tmp_path, capsys):
    out = tmp_path / "ds"
    args = ["dataset", str(out), "--layout", "domain", "--size", "32", "--domains",
            "D006_2020", "val:D099_2021", "--zones-per-domain", "1", "--patches-per-zone", "2"]
    assert syn.main(args) == 0
    assert len(list(out.rglob("IMG_*.tif"))) == 4 and (out / "D099_2021" / "aerial").is_dir()
    meta = json.loads((out / "aux-data" / "flair-2_aerial_metadata.json").read_text())
    assert {r["date"][:4] for r in meta.values() if r["domain"] == "D099_2021"} == {"2021"}
    assert syn.main(args) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert syn.main(args + ["--overwrite"]) == 0
    img, msk = tmp_path / "m.tif", tmp_path / "mm.tif"
    assert syn.main(["mosaic", str(img), str(msk), "--width", "70", "--height", "33"]) == 0
    with rasterio.open(img) as src:
        assert (src.width, src.height, src.count) == (70, 33, 5)
    assert syn.main(["mosaic", str(img), str(msk), "--width", "70", "--height", "33"]) == 2


def test_runs_as_module_without_torch_or_qgis(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(Path(flair_landcover.__file__).parent.parent))
    out = tmp_path / "cli"
    code = ("import sys, runpy; sys.argv = ['x', 'dataset', sys.argv[1], '--size', '16', "
            "'--domains', 'D006_2020', '--zones-per-domain', '1', '--patches-per-zone', '1']\n"
            "try:\n"
            "    runpy.run_module('flair_landcover.synthetic.generator', "
            "run_name='__main__')\n"
            "except SystemExit as e:\n"
            "    assert e.code == 0, e.code\n"
            "assert 'torch' not in sys.modules and 'qgis' not in sys.modules\n")
    run = subprocess.run([sys.executable, "-c", code, str(out)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "wrote 1 patches" in run.stdout
    assert len(list(out.rglob("MSK_*.tif"))) == 1
