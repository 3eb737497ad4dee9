"""The QGIS-free engine: raster I/O, tiling, streaming inference, checkpoints, CLI.

Nothing under this package imports ``qgis``: the same code runs inside QGIS, in the
headless ``flair-landcover`` command and on a GPU server with no QGIS.
"""
