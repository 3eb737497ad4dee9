"""Catalogue inference: a folder of tiles -> output tiles + one mosaic, equal to one run.

A 3 x 3 catalogue of 80 px tiles cut from one image, a tiny U-Net (its predictions depend
on the context, so a seam or a missing neighbour shows), 32 px blocks (an output tile cuts
blocks): the mosaic of output tiles must equal one prediction over the whole image, bit
for bit, for crop and weighted blends, wherever the tiles ran, after a killed worker, a
cancel, a damaged tile.
"""

import os
import signal

import numpy as np
import pytest
import rasterio
from helpers_catalogue import CPU, PIXEL, TILE, image, leftovers, read, write_catalogue
from helpers_models import our_checkpoint
from helpers_rasters import ORIGIN, write_raster

from flair_landcover.flair_plugin.engine.catalogue import ProcessExecutor, run_catalogue
from flair_landcover.flair_plugin.engine.catalogue.executors import Finished, Started
from flair_landcover.flair_plugin.engine.catalogue.layout import output_tiles, shard_of
from flair_landcover.flair_plugin.engine.catalogue.manifest import manifest_paths
from flair_landcover.flair_plugin.engine.catalogue.sources import find_catalogue
from flair_landcover.flair_plugin.engine.cli.main import main
from flair_landcover.flair_plugin.engine.errors import (
    CatalogueIncomplete,
    InputError,
    PredictionCancelled,
)
from flair_landcover.flair_plugin.engine.geo import PixelWindow
from flair_landcover.flair_plugin.engine.inference.predict import predict

NAMES = [f"tile_{r}_{c}" for r in range(3) for c in range(3)]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """torch on one thread, as each worker here: two threads on a shared 2-core machine
    spin against each other (a forward pass 50 times slower)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """The catalogue, the model, and one run over the whole image per blend."""
    folder = tmp_path_factory.mktemp("scene")
    data = image()
    write_catalogue(folder / "tiles", data)
    whole = write_raster(folder / "whole.tif", data, pixel=PIXEL)
    model = our_checkpoint(folder / "tiny.flair.safetensors")
    reference = {}
    for blend in ("crop", "hann"):
        predict(whole, model, folder / f"whole_{blend}.tif", blend=blend, **CPU)
        reference[blend] = read(folder / f"whole_{blend}.tif")
    return dict(tiles=folder / "tiles", whole=whole, model=model, reference=reference)


def manifest(folder):
    import json

    return {t["name"]: t for p in manifest_paths(folder)
            for t in json.loads(p.read_text())["tiles"]}


# --------------------------------------------------------------------------- layout

@pytest.mark.parametrize("region", [PixelWindow(0, 0, 300, 230), PixelWindow(37, 20, 214, 181),
                                    PixelWindow(250, 200, 50, 30), PixelWindow(64, 64, 64, 64)])
def test_a_piece_is_laid_out_as_the_whole(region):
    """A region of a layout gets the layout's blocks (cut by the region) and tiles, and
    each of its blocks is touched by the tiles that touch it in the whole run."""
    from flair_landcover.flair_plugin.engine.tiling import TileGrid

    layout = PixelWindow(0, 0, 300, 230)
    whole = TileGrid(300, 230, layout, 64, 32)
    piece = TileGrid(300, 230, region, 64, 32, layout)
    assert (piece.block, piece.tile_size) == (whole.block, whole.tile_size)
    whole_tiles = {whole.tile(r, c).window for r in range(whole.rows)
                   for c in range(whole.cols)}
    covered = np.zeros((region.height, region.width), int)
    visited = [piece.tile(r, c) for _, _, r, c in piece.order(None, piece.reach)]
    assert {t.window for t in visited} <= whole_tiles
    for row in range(piece.rows):
        for col in range(piece.cols):
            rows, cols = piece.block_window(row, col).slices()
            covered[rows, cols] += 1
            touching = [t for t in visited if piece.tile_part_over_block(t, row, col)]
            whole_block = piece.layout_block(row, col)
            expected = [t for t in whole_tiles if t.intersection(whole_block)]
            assert len(expected) == piece.touching(row, col) >= len(touching) > 0
    assert (covered == 1).all()


# --------------------------------------------------------------------------- equality

@pytest.mark.parametrize("blend", ["crop", "hann"])
def test_catalogue_equals_one_run_over_the_mosaic(scene, tmp_path, blend):
    out = tmp_path / "out"
    result = run_catalogue(scene["tiles"], scene["model"], out, blend=blend, **CPU)
    assert result.finished and result.tiles_computed == result.tiles_total == 9
    assert np.array_equal(read(result.mosaic), scene["reference"][blend])
    with rasterio.open(result.mosaic) as mosaic, rasterio.open(scene["whole"]) as whole:
        assert mosaic.transform == whole.transform and mosaic.crs == whole.crs
        assert mosaic.colormap(1)[1][:3] != (0, 0, 0)  # FLAIR's colours
    assert (out / "landcover.qml").is_file()
    assert sorted(manifest(out)) == NAMES
    assert sorted(p.stem for p in (out / "tiles").glob("*.tif")) == NAMES
    assert not leftovers(out)
    # Without the layout of the whole run, a tile alone differs at its edges: the
    # equality above is not for free.
    tile = next(t for t in output_tiles(find_catalogue(scene["tiles"])) if t.name == "tile_1_1")
    predict(out / "inputs" / "input-1.vrt", scene["model"], tmp_path / "alone.tif",
            extent=tile.bounds, blend=blend, **CPU)
    w = tile.window
    assert not np.array_equal(read(tmp_path / "alone.tif"),
                              scene["reference"][blend][:, w.row_off:w.row_end,
                                                        w.col_off:w.col_end])


def test_regular_tiles_over_a_catalogue_with_a_gap(tmp_path, scene):
    """A missing input tile is no data; output tiles of 72 px cut input tiles and blocks."""
    write_catalogue(tmp_path / "tiles", image(), skip=[(1, 2)])
    out = tmp_path / "out"
    result = run_catalogue(tmp_path / "tiles", scene["model"], out, tile_size=72,
                           blend="gaussian", confidence=True, **CPU)
    assert result.tiles_total == 16 and result.confidence.is_file()
    predict(out / "inputs" / "input-1.vrt", scene["model"], tmp_path / "ref.tif",
            confidence=tmp_path / "ref_conf.tif", blend="gaussian", **CPU)
    mosaic = read(result.mosaic)
    assert np.array_equal(mosaic, read(tmp_path / "ref.tif"))
    assert np.array_equal(read(result.confidence), read(tmp_path / "ref_conf.tif"))
    assert (mosaic[0, TILE:2 * TILE, 2 * TILE:] == 0).all()  # the gap
    assert (mosaic[0, :TILE] > 0).all()


def test_the_mosaic_of_large_tiles_has_overviews_and_the_tiles_colours(tmp_path):
    from flair_landcover.flair_plugin.engine.catalogue.assemble import (
        overview_factors,
        write_tile_mosaic,
    )

    assert overview_factors(25000 * 20, 25000 * 12) == [2 ** k for k in range(1, 11)]
    assert overview_factors(200, 100) == []
    paths = []
    for r in range(2):
        for c in range(2):
            codes = np.full((300, 300), 1 + 2 * r + c, np.uint8)
            paths.append(write_raster(tmp_path / f"c{r}{c}.tif", codes, pixel=PIXEL, nodata=0,
                                      origin=(ORIGIN[0] + 60 * c, ORIGIN[1] - 60 * r)))
    with rasterio.open(paths[0], "r+") as ds:
        ds.write_colormap(1, {1: (219, 14, 154, 255)})
    write_tile_mosaic(paths, tmp_path / "all.vrt", overviews=True)
    with rasterio.open(tmp_path / "all.vrt") as ds:
        assert (ds.width, ds.height, ds.nodata) == (600, 600, 0)
        assert ds.overviews(1) == [2] and ds.colormap(1)[1] == (219, 14, 154, 255)
        assert np.array_equal(ds.read(1, out_shape=(150, 150))[::75, ::75], [[1, 2], [3, 4]])
    assert not leftovers(tmp_path)


# --------------------------------------------------------------------------- resume

def test_cancel_then_rerun_computes_only_the_missing_tiles(scene, tmp_path):
    out = tmp_path / "out"
    finished = []

    def count(event):
        if isinstance(event, Finished):
            finished.append(event.name)

    with pytest.raises(PredictionCancelled, match="run the same command again"):
        run_catalogue(scene["tiles"], scene["model"], out, on_event=count,
                      cancel=lambda: len(finished) >= 3, **CPU)
    recorded = manifest(out)
    assert sorted(recorded) == sorted(finished) and len(recorded) >= 3
    assert not leftovers(out) and not (out / "landcover.vrt").exists()

    result = run_catalogue(scene["tiles"], scene["model"], out, **CPU)
    assert (result.tiles_reused, result.tiles_computed) == (len(recorded), 9 - len(recorded))
    assert np.array_equal(read(result.mosaic), scene["reference"]["crop"])

    (out / "tiles" / "tile_2_0.tif").unlink()  # lost (or never recorded): computed again
    result = run_catalogue(scene["tiles"], scene["model"], out, **CPU)
    assert (result.tiles_reused, result.tiles_computed) == (8, 1)
    assert np.array_equal(read(result.mosaic), scene["reference"]["crop"])


def test_another_job_is_refused_and_overwrite_starts_afresh(scene, tmp_path):
    out = tmp_path / "out"
    run_catalogue(scene["tiles"], scene["model"], out, extent=_extent_of_first_row(), **CPU)
    assert len(manifest(out)) == 3  # the tiles meeting the extent
    with pytest.raises(InputError, match='options.blend was "crop", now "hann"'):
        run_catalogue(scene["tiles"], scene["model"], out, **dict(CPU, blend="hann"))
    result = run_catalogue(scene["tiles"], scene["model"], out, overwrite=True,
                           **dict(CPU, blend="hann"))
    assert result.tiles_computed == 9
    assert np.array_equal(read(result.mosaic), scene["reference"]["hann"])


def _extent_of_first_row():
    x0, y0 = ORIGIN
    return (x0 + 1, y0 - TILE * PIXEL + 1, x0 + 3 * TILE * PIXEL - 1, y0 - 1)


# --------------------------------------------------------------------------- shards

@pytest.mark.parametrize("count", [1, 2, 4, 9, 11])
def test_shards_partition_the_tiles(scene, count):
    tiles = output_tiles(find_catalogue(scene["tiles"]), tile_size=48)
    shards = [[t.name for t in shard_of(tiles, i, count)] for i in range(count)]
    names = [n for shard in shards for n in shard]
    assert sorted(names) == sorted(t.name for t in tiles)  # none missed
    assert len(set(names)) == len(names) == 25  # none twice
    assert max(map(len, shards)) - min(map(len, shards)) <= 1


def test_shards_of_an_array_then_the_last_one_assembles(scene, tmp_path):
    out = tmp_path / "out"
    first = run_catalogue(scene["tiles"], scene["model"], out, shard="0/2", **CPU)
    assert not first.finished and first.tiles_computed == first.tiles_selected == 5
    second = run_catalogue(scene["tiles"], scene["model"], out, shard="1/2", **CPU)
    assert second.finished and second.tiles_computed == 4
    assert sorted(p.name for p in manifest_paths(out)) == [
        "manifest.shard-0-of-2.json", "manifest.shard-1-of-2.json"]
    assert np.array_equal(read(second.mosaic), scene["reference"]["crop"])


# --------------------------------------------------------------------------- failures

def test_worker_processes_survive_a_killed_worker(scene, tmp_path):
    out = tmp_path / "out"
    killed = []

    def kill_first(event):
        if isinstance(event, Started) and not killed:
            killed.append(int(event.worker.rsplit(":", 1)[1]))
            os.kill(killed[0], signal.SIGKILL)

    result = run_catalogue(scene["tiles"], scene["model"], out, blend="hann",
                           executor=ProcessExecutor(2, threads=1), on_event=kill_first,
                           **{k: v for k, v in CPU.items() if k != "blend"})
    assert killed and result.retries >= 1 and result.tiles_computed == 9
    assert "2 worker processes" in result.executor
    assert max(t["attempts"] for t in manifest(out).values()) == 2
    assert all(t["worker"] != f"{t['worker'].split(':')[0]}:{killed[0]}"
               for t in manifest(out).values())
    assert np.array_equal(read(result.mosaic), scene["reference"]["hann"])
    assert not leftovers(out)


def test_a_damaged_tile_fails_its_neighbours_and_the_rest_is_kept(scene, tmp_path):
    data = image()
    tiles = write_catalogue(tmp_path / "tiles", data, tiled=True, blockxsize=16,
                            blockysize=16, compress="deflate")
    damaged = tiles[-1]  # tile_2_2: tiles 1_1, 1_2 and 2_1 read their halo in it
    good = damaged.read_bytes()
    with rasterio.open(damaged) as ds:  # every block's data, not the header
        start = min(int(ds.get_tag_item(f"BLOCK_OFFSET_{x}_{y}", "TIFF", bidx=1))
                    for x in range(TILE // 16) for y in range(TILE // 16))
    damaged.write_bytes(good[:start] + b"\xff" * (len(good) - start))
    out = tmp_path / "out"
    with pytest.raises(CatalogueIncomplete, match="4 of 9 output tiles failed: tile_1_1: "
                                                  "cannot read"):
        run_catalogue(tmp_path / "tiles", scene["model"], out, **CPU)
    assert sorted(manifest(out)) == ["tile_0_0", "tile_0_1", "tile_0_2", "tile_1_0",
                                     "tile_2_0"]
    assert not leftovers(out) and not (out / "landcover.vrt").exists()
    damaged.write_bytes(good)  # the tile is delivered again: only the failed are computed
    result = run_catalogue(tmp_path / "tiles", scene["model"], out, **CPU)
    assert (result.tiles_reused, result.tiles_computed) == (5, 4)
    assert np.array_equal(read(result.mosaic), scene["reference"]["crop"])


# --------------------------------------------------------------------------- bad input

def _shifted(folder):
    data = image()
    write_catalogue(folder, data)
    write_raster(folder / "row0" / "tile_0_0.tif", data[:, :TILE, :TILE], pixel=PIXEL,
                 origin=(ORIGIN[0] + 0.1, ORIGIN[1]))


def _other_crs(folder):
    write_catalogue(folder, image())
    write_raster(folder / "row0" / "tile_0_1.tif", image()[:, :TILE, :TILE], pixel=PIXEL,
                 crs="EPSG:32631", origin=(ORIGIN[0] + TILE * PIXEL, ORIGIN[1]))


@pytest.mark.parametrize("make,options,text", [
    (lambda f: f.mkdir(), {}, "no raster"),
    (_shifted, {}, "not on the pixel grid of"),
    (_other_crs, {}, "has CRS EPSG:32631"),
    (lambda f: write_catalogue(f, image(bands=3)), {}, "model expects"),
    (lambda f: write_catalogue(f, image()), dict(block=50), "block must be a positive"),
    (lambda f: write_catalogue(f, image()), dict(shard="2/2"), "I must be 0..N-1"),
    (lambda f: write_catalogue(f, image()), dict(attempts=0), "attempts must be 1 or more"),
    (lambda f: write_catalogue(f, image()), dict(tile_size=8), "at least 32"),
])
def test_bad_input_fails_before_any_file(scene, tmp_path, make, options, text):
    make(tmp_path / "tiles")
    out = tmp_path / "out"
    with pytest.raises(InputError, match=text):
        run_catalogue(tmp_path / "tiles", scene["model"], out, **dict(CPU, **options))
    assert not out.exists()


def test_output_folder_problems(scene, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty and holds no catalogue job"):
        run_catalogue(scene["tiles"], scene["model"], tmp_path / "full", **CPU)
    assert os.listdir(tmp_path / "full") == ["notes.txt"]
    with pytest.raises(InputError, match="lies inside the output folder"):
        run_catalogue(scene["tiles"], scene["model"], scene["tiles"].parent, **CPU)


# --------------------------------------------------------------------------- command

def test_command_runs_resumes_and_reports(scene, tmp_path, capsys):
    args = ["catalogue", "--input", str(scene["tiles"]), "--model", str(scene["model"]),
            "--output", str(tmp_path / "out"), "--device", "cpu", "--precision", "fp32",
            "--runtime", "torch", "--block", "32", "--halo", "32", "--batch-size", "1",
            "--workers", "0", "--quiet"]
    assert main(args) == 0
    assert "landcover.vrt (9 tiles): 9 tiles computed, 0 already done" in capsys.readouterr().out
    assert np.array_equal(read(tmp_path / "out" / "landcover.vrt"), scene["reference"]["crop"])
    assert main(args + ["--cog"]) == 0
    assert "0 tiles computed, 9 already done" in capsys.readouterr().out
    assert np.array_equal(read(tmp_path / "out" / "landcover.tif"), scene["reference"]["crop"])
    assert main(args + ["--blend", "hann"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("flair-landcover: error: ") and "another job" in err
    assert len(err.strip().splitlines()) == 1
