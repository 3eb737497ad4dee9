"""``flair:segmentmultimodal``: land cover from aerial imagery + Sentinel-2 with a U-T&T.

Inherits ``flair:segmentaerial`` whole (its aerial parameters and band-source logic, its
tiling, blending, reader and output options, its call to the engine's one ``predict``),
adds the Sentinel-2 inputs, and takes a U-T&T's tiling defaults (FLAIR-2's 512 px
patches, no halo). Sentinel-2 is a *multiple raster layers* parameter rather than a
folder: it works in the Graphical Modeler and with ``qgis_process``
(``SENTINEL2=a.tif SENTINEL2=b.tif``), and a stack is simply one layer.
"""

import os

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterFile,
    QgsProcessingParameterMultipleLayers,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from .. import dependencies
from ..engine import options
from ..styling.layers import raster_file_path
from .parameters import advanced
from .segment_aerial import SegmentAerialAlgorithm


class SegmentMultimodalAlgorithm(SegmentAerialAlgorithm):
    SERIES_MODELS = True  # published models offered: those that read satellite series
    SENTINEL2 = "SENTINEL2"
    DATES = "DATES"
    CLOUD_MASKS = "CLOUD_MASKS"
    SENTINEL1_ASC, SENTINEL1_ASC_DATES = "SENTINEL1_ASC", "SENTINEL1_ASC_DATES"
    SENTINEL1_DESC, SENTINEL1_DESC_DATES = "SENTINEL1_DESC", "SENTINEL1_DESC_DATES"
    # (parameter, its dates file, FLAIR-HUB modality) of the Sentinel-1 series
    SENTINEL1 = ((SENTINEL1_ASC, SENTINEL1_ASC_DATES, "SENTINEL1-ASC_TS"),
                 (SENTINEL1_DESC, SENTINEL1_DESC_DATES, "SENTINEL1-DESC_TS"))

    DEFAULT_BLOCK = options.UTT_DEFAULT_BLOCK
    DEFAULT_HALO = options.UTT_DEFAULT_HALO

    NAME = "segmentmultimodal"
    DISPLAY_NAME = QT_TRANSLATE_NOOP("SegmentMultimodalAlgorithm",
                                     "Land cover from aerial imagery and Sentinel-2 (U-T&T)")
    TAGS = SegmentAerialAlgorithm.TAGS + ("sentinel-2", "time series", "u-tae", "u-t&t",
                                          "flair-2", "multimodal")
    REQUIREMENTS = dependencies.INFERENCE
    HELP = QT_TRANSLATE_NOOP(
        "SegmentMultimodalAlgorithm",
        "Maps the FLAIR classes with a FLAIR-2 U-T&T model, which sees the aerial orthophoto "
        "(0.2 m) and a year of Sentinel-2 images (10 m) around each 512 px aerial tile.\n\n"
        "<b>Imagery</b> and band choices: as in <i>Land cover from aerial imagery</i>.\n"
        "<b>Sentinel-2</b>: either one GeoTIFF per date with the 10 bands B2, B3, B4, B5, "
        "B6, B7, B8, B8A, B11, B12 in that order (the date is read from YYYYMMDD in each "
        "file name unless a dates file is given), or one GeoTIFF stacking T dates × 10 "
        "bands, date after date, with a dates file. All on one grid, covering the whole "
        "area; another CRS than the imagery's is reprojected on the fly (nearest).\n"
        "<b>Dates file</b>: one date a line (YYYYMMDD, as FLAIR-HUB), in band order.\n"
        "<b>Cloud/snow masks</b>: snow and cloud probabilities 0..100, one 2-band file per "
        "date or one stack of T × 2 bands; needed by models that drop cloudy dates (as "
        "FLAIR-2's). Where every date is cloudy, the least cloudy one is used and a warning "
        "says how many tiles were concerned.\n"
        "<b>Model</b>: a U-T&T checkpoint, or a FLAIR-HUB model taking aerial imagery and "
        "Sentinel-2 as IGN publishes it (.safetensors): it reads near-infrared, red and "
        "green, and per tile the Sentinel-2 pixels under the tile (about 10 a side for a "
        "512 px tile, every date, raw values, no cloud filtering; dates counted from 15 "
        "May). FLAIR-HUB models that also take Sentinel-1 get its ascending and "
        "descending series (2 bands a date, VV and VH, raw values) in the advanced "
        "parameters, each with its dates file. For U-Net and aerial-only FLAIR-HUB "
        "models use <i>Land cover from aerial imagery</i>.\n"
        "<b>Output</b>: FLAIR codes (0 = no data) on the imagery's grid, styled. Optional: "
        "one band of probability per class (0..255) and the confidence of the chosen class "
        "(0..255); for a FLAIR-HUB model with the crop-type task, its 23 crop types, "
        "styled.\n\n"
        "Advanced: <i>block</i> (512 = FLAIR-2's patch; each block gets the Sentinel-2 "
        "series around its centre), <i>halo</i> = context added on each side (0 as FLAIR-2 "
        "by default; multiples of 32), <i>blend</i> crop keeps each tile's centre, "
        "hann/gaussian average overlapping probabilities (give a halo for them to "
        "overlap); <i>batch</i> tiles per forward pass; <i>reader threads</i>; "
        "<i>device</i> and <i>precision</i>.")

    def _add_metadata_parameters(self) -> None:
        """None: a U-T&T trained with FLAIR-2's metadata cannot run on an arbitrary area."""

    def _add_imagery_parameters(self) -> None:
        super()._add_imagery_parameters()
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.SENTINEL2, self.tr("Sentinel-2 (one 10-band raster per date, or one "
                                    "T×10-band stack)"), QgsProcessing.TypeRaster))
        self.addParameter(QgsProcessingParameterFile(
            self.DATES, self.tr("Dates file (one YYYYMMDD a line; default: dates in the file "
                                "names)"),
            optional=True, fileFilter=self.tr("Text files (*.txt *.csv);;All files (*)")))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.CLOUD_MASKS, self.tr("Cloud/snow masks (2 bands per date: snow, cloud "
                                      "0..100)"), QgsProcessing.TypeRaster, optional=True))
        for layers, dates, label in (
                (self.SENTINEL1_ASC, self.SENTINEL1_ASC_DATES,
                 self.tr("Sentinel-1 ascending (FLAIR-HUB models that take it: one 2-band "
                         "VV,VH raster per date, or one T×2-band stack)")),
                (self.SENTINEL1_DESC, self.SENTINEL1_DESC_DATES,
                 self.tr("Sentinel-1 descending (FLAIR-HUB models that take it: one 2-band "
                         "VV,VH raster per date, or one T×2-band stack)"))):
            self.addParameter(advanced(QgsProcessingParameterMultipleLayers(
                layers, label, QgsProcessing.TypeRaster, optional=True)))
            self.addParameter(advanced(QgsProcessingParameterFile(
                dates, self.tr("Its dates file (one YYYYMMDD a line)"), optional=True,
                fileFilter=self.tr("Text files (*.txt *.csv);;All files (*)"))))

    def _model_running_options(self, meta, parameters, context) -> dict:
        """The U-T&T's tiling defaults (512, 0) are FLAIR-2's: a FLAIR-HUB model left at
        them gets the engine's choice instead (its Swin's one tile size, or the device's
        default), so the dialog's defaults run every model."""
        running = self._running_options(parameters, context)
        if getattr(meta, "architecture", "") == "flair-hub" and \
                (running["block"], running["halo"]) == (self.DEFAULT_BLOCK, self.DEFAULT_HALO):
            running.update(block=None, halo=None)
        return running

    def _extra_inputs(self, parameters, context) -> dict:
        """The Sentinel-2 series: one file per date or a stack, its dates, its masks."""
        sentinel = self._raster_files(parameters, self.SENTINEL2, context)
        if not sentinel:
            raise QgsProcessingException(self.tr(
                "Give the Sentinel-2 rasters (one per date, or a stack)."))
        series = {}
        for layers, dates, modality in self.SENTINEL1:
            files = self._raster_files(parameters, layers, context)
            if files:
                series[modality] = (files, self.parameterAsFile(parameters, dates, context)
                                    or None)
        return dict(sentinel=sentinel,
                    dates=self.parameterAsFile(parameters, self.DATES, context) or None,
                    cloud_masks=self._raster_files(parameters, self.CLOUD_MASKS, context)
                    or None, **({"series": series} if series else {}))

    def _raster_files(self, parameters, name, context):
        files = []
        for layer in self.parameterAsLayerList(parameters, name, context) or []:
            path = raster_file_path(layer)
            if path is None:
                raise QgsProcessingException(self.tr(
                    "{layer} is not a raster file: save it as a GeoTIFF and use that file."
                ).format(layer=layer.name()))
            files.append(os.fspath(path))
        return files
