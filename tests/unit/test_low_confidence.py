"""Low-confidence regions from a confidence raster: areas, order, minimum size."""

import numpy as np
import pytest
from helpers_rasters import write_raster
from osgeo import ogr

from flair_landcover.flair_plugin.engine.errors import InputError
from flair_landcover.flair_plugin.engine.evaluation.confidence import low_confidence_regions

PIXEL = 0.5


def confidence():
    conf = np.full((60, 80), 230, np.uint8)
    conf[5:25, 5:25] = 50  # 400 px = 100 m²
    conf[40:50, 60:70] = 100  # 100 px = 25 m²
    conf[50:53, 10:13] = 60  # 9 px = 2.25 m²: below the minimum
    conf[0:2, 78:80] = 0  # no data: never a region
    return conf


def test_regions_sorted_largest_first(tmp_path):
    path = write_raster(tmp_path / "conf.tif", confidence(), pixel=PIXEL, nodata=0)
    result = low_confidence_regions(path, tmp_path / "low.gpkg", threshold=0.5,
                                    min_area=10.0, block=16)
    assert (result.regions, result.dropped) == (2, 1)
    ds = ogr.Open(result.path)
    rows = [(f.GetField("rank"), f.GetField("area_ha"), f.GetField("mean_confidence"))
            for f in ds.GetLayer(0)]
    assert rows[0] == (1, pytest.approx(100 / 1e4), pytest.approx(100 * 50 / 255))
    assert rows[1] == (2, pytest.approx(25 / 1e4), pytest.approx(100 * 100 / 255))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no leftovers


def test_bad_threshold(tmp_path):
    path = write_raster(tmp_path / "conf.tif", confidence(), pixel=PIXEL)
    with pytest.raises(InputError, match="threshold"):
        low_confidence_regions(path, tmp_path / "low.gpkg", threshold=50)


def test_degrees_are_refused(tmp_path):
    path = write_raster(tmp_path / "conf.tif", confidence(), pixel=1e-5, crs="EPSG:4326",
                        origin=(2.35, 48.85))
    with pytest.raises(InputError, match="not metres"):
        low_confidence_regions(path, tmp_path / "low.gpkg")
    assert not (tmp_path / "low.gpkg").exists()
