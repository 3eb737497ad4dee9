"""Catalogue inference: hundreds of tiles (a département) into a grid of output tiles.

A folder of tiles (or a list, or one mosaic) is read as one raster through a VRT; each
output tile is predicted as a window of a single run over that raster, so the result is
the same as one run, seams included, however the work is cut and wherever it runs: in
this process (QGIS), in local worker processes (one per GPU), on a Ray cluster, or as the
shards of a SLURM job array. Tiles are written atomically and recorded in a manifest, so
a rerun computes only what is missing. See :func:`.run.run_catalogue`.

Ray is optional and imported only by :mod:`.ray_executor`.
"""

from .executors import Executor, InProcessExecutor, ProcessExecutor
from .run import CatalogueResult, run_catalogue

__all__ = ["CatalogueResult", "Executor", "InProcessExecutor", "ProcessExecutor",
           "run_catalogue"]
