"""Benchmark: evaluating against many polygons keeps memory flat as the area grows.

    .venv/bin/python benchmarks/bench_vector_evaluation.py [--quick] [--workdir DIR]

Prints figures; asserts nothing (they depend on the machine and what else runs on it).

A prediction raster of side S and an annotation of (S / 64)² square polygons in their own
nomenclature (a mapping table to FLAIR codes), stored in WGS 84 so every polygon is
reprojected, are evaluated in a fresh process at two sizes, 16 times apart in pixels and
in polygons, with the errors and confusion layers and the hot-spot grid written; then
the per-polygon statistics. For each: peak resident memory (VmHWM) and throughput, and
the ratios large / small. Flat memory = a ratio near 1 while the data grows 16 times.

GDAL's block cache (5 % of the RAM by default, one per GDAL library: rasterio's and
osgeo's) keeps the blocks read and written until it is full, so with the default the
peak grows with the data up to that size; ``--cache-mb 16`` shows the engine's own
memory. Measured on 2 shared cores (Dec 2026), for 16 times the pixels and the polygons:
evaluate 215 -> 293 MB (x1.36) with the default cache, 215 -> 237 MB (x1.10) with 16 MB;
statistics 199 -> 279 MB (x1.40) and 199 -> 224 MB (x1.12); 5-6 Mpx/s with the errors,
confusion and hot-spot layers written, 13 Mpx/s for the statistics.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _importable() -> None:
    """Make the repository importable as ``flair_landcover`` (as tests/conftest.py does)."""
    try:
        import flair_landcover  # noqa: F401

        if Path(flair_landcover.__file__).resolve().parent == REPO:
            return
    except ImportError:
        pass
    sys.modules.pop("flair_landcover", None)
    holder = Path(tempfile.mkdtemp(prefix="flair-pkg-"))
    os.symlink(REPO, holder / "flair_landcover")
    sys.path.insert(0, str(holder))


_importable()

import numpy as np  # noqa: E402
import rasterio  # noqa: E402
from rasterio.transform import from_origin  # noqa: E402

ORIGIN = (651000.0, 6862000.0)
PIXEL = 0.2
POLYGON_PX = 64
CLASSES = {"URB": 1, "ROAD": 3, "GRASS": 10, "CROP": 11, "FOREST": 7}


def make_inputs(workdir: Path, side: int) -> tuple:
    """(prediction, annotation, table) of a ``side`` × ``side`` area."""
    from osgeo import ogr, osr

    pred = workdir / f"pred_{side}.tif"
    gpkg = workdir / f"annotation_{side}.gpkg"
    table = workdir / "table.csv"
    table.write_text("value,flair\n" + "".join(f"{k},{v}\n" for k, v in CLASSES.items()))
    codes = np.array(list(CLASSES.values()), np.uint8)
    rng = np.random.default_rng(side)
    cells = side // POLYGON_PX
    truth = rng.integers(0, len(codes), (cells, cells))
    if not pred.exists():
        profile = dict(driver="GTiff", width=side, height=side, count=1, dtype="uint8",
                       crs="EPSG:2154", transform=from_origin(*ORIGIN, PIXEL, PIXEL),
                       tiled=True, blockxsize=512, blockysize=512, compress="deflate",
                       nodata=0)
        with rasterio.open(pred, "w", **profile) as dst:
            step = 1024
            for r in range(0, side, step):
                for c in range(0, side, step):
                    h, w = min(step, side - r), min(step, side - c)
                    block = codes[np.repeat(np.repeat(
                        truth[r // POLYGON_PX:(r + h) // POLYGON_PX,
                              c // POLYGON_PX:(c + w) // POLYGON_PX], POLYGON_PX, 0),
                        POLYGON_PX, 1)]
                    noise = rng.random((h, w)) < 0.2
                    block[noise] = rng.choice(codes, int(noise.sum()))
                    dst.write(block, 1, window=rasterio.windows.Window(c, r, w, h))
    if not gpkg.exists():
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(4326)
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        l93 = osr.SpatialReference()
        l93.ImportFromEPSG(2154)
        l93.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        to_wgs84 = osr.CoordinateTransformation(l93, srs)
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(gpkg))
        layer = ds.CreateLayer("annotation", srs, ogr.wkbPolygon)
        layer.CreateField(ogr.FieldDefn("cs", ogr.OFTString))
        names = list(CLASSES)
        size = POLYGON_PX * PIXEL
        ds.StartTransaction()
        for i in range(cells):
            for j in range(cells):
                x0, y1 = ORIGIN[0] + j * size, ORIGIN[1] - i * size
                geom = ogr.CreateGeometryFromWkt(
                    f"POLYGON(({x0} {y1 - size},{x0 + size} {y1 - size},{x0 + size} {y1},"
                    f"{x0} {y1},{x0} {y1 - size}))")
                geom.Transform(to_wgs84)
                f = ogr.Feature(layer.GetLayerDefn())
                f.SetField("cs", names[truth[i, j]])
                f.SetGeometry(geom)
                layer.CreateFeature(f)
        ds.CommitTransaction()
        ds = None
    return pred, gpkg, table


def child(kind: str, pred: str, gpkg: str, table: str, out: str) -> None:
    """In a fresh process: one run, then print its peak RSS and time as JSON."""
    from flair_landcover.flair_plugin.engine.evaluation.hotspots import HotspotGrid
    from flair_landcover.flair_plugin.engine.evaluation.rasters import evaluate_rasters
    from flair_landcover.flair_plugin.engine.evaluation.vectors import ClassMapping
    from flair_landcover.flair_plugin.engine.evaluation.zonal import polygon_statistics

    started = time.perf_counter()
    mapping = ClassMapping.from_csv(table)
    if kind == "evaluate":
        grid = HotspotGrid(50.0)
        result = evaluate_rasters(pred, gpkg, reference_field="cs", reference_mapping=mapping,
                                  errors_path=Path(out) / "errors.tif",
                                  confusion_path=Path(out) / "confusion.tif", sinks=[grid],
                                  overwrite=True)
        grid.write(Path(out) / "hot.gpkg", overwrite=True)
        extra = {"miou": result.metrics.miou_present, "polygons": result.polygons.polygons}
    else:
        result = polygon_statistics(pred, gpkg, Path(out) / "stats.gpkg", class_field="cs",
                                    mapping=mapping, overwrite=True)
        extra = {"polygons": result.polygons}
    with open("/proc/self/status") as status:  # VmHWM: see bench_inference.rss_child
        peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    print(json.dumps({"rss_mb": peak_kb / 1024, "seconds": time.perf_counter() - started,
                      **extra}))


def measure(kind: str, inputs: tuple, out: Path, cache_mb: int = 0) -> dict:
    out.mkdir(exist_ok=True)
    env = dict(os.environ)
    if cache_mb:
        env["GDAL_CACHEMAX"] = str(cache_mb)  # both GDALs (rasterio's, osgeo's) read it
    done = subprocess.run([sys.executable, __file__, "--child", kind,
                           *map(str, inputs), str(out)], capture_output=True, text=True,
                          env=env)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workdir")
    parser.add_argument("--cache-mb", type=int, default=0,
                        help="GDAL block cache of each GDAL in the runs, in MB (default: "
                             "GDAL's, 5 %% of the RAM, which holds written blocks until it "
                             "is full and so grows with the output up to that size)")
    parser.add_argument("--child", nargs=5, metavar=("KIND", "PRED", "GPKG", "TABLE", "OUT"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench-vectors-"))
    workdir.mkdir(parents=True, exist_ok=True)
    small, large = (1024, 4096) if args.quick else (2048, 8192)
    print(f"workdir {workdir}; sizes {small}² and {large}² px at {PIXEL} m, one polygon per "
          f"{POLYGON_PX}² px, stored in EPSG:4326; GDAL cache "
          f"{f'{args.cache_mb} MB' if args.cache_mb else 'default'}")
    for kind in ("evaluate", "statistics"):
        runs = []
        for side in (small, large):
            inputs = make_inputs(workdir, side)
            r = measure(kind, inputs, workdir / f"out_{kind}_{side}", args.cache_mb)
            mpx = side * side / 1e6
            runs.append(r)
            print(f"{kind:10s} {side:6d}² px ({mpx:6.1f} Mpx, {r['polygons']:6d} polygons): "
                  f"peak RSS {r['rss_mb']:7.1f} MB, {r['seconds']:6.1f} s, "
                  f"{mpx / r['seconds']:5.2f} Mpx/s", flush=True)
        print(f"{kind:10s} data x{(large / small) ** 2:.0f}: peak RSS x"
              f"{runs[1]['rss_mb'] / runs[0]['rss_mb']:.2f}, time x"
              f"{runs[1]['seconds'] / runs[0]['seconds']:.1f}")


if __name__ == "__main__":
    main()
