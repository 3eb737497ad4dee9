"""``flair:segmentmultimodal``: land cover from aerial imagery + Sentinel-2 with a U-T&T.

Inherits ``flair:segmentaerial``'s aerial parameters and their band-source logic (so
both read imagery the same way), drops what the multimodal engine does not do
(weighted blends, probability and confidence rasters), and adds the Sentinel-2 inputs.
Sentinel-2 is a *multiple raster layers* parameter rather than a folder: it works in the
Graphical Modeler and with ``qgis_process`` (``SENTINEL2=a.tif SENTINEL2=b.tif``), and a
stack is simply one layer.
"""

import os

from qgis.core import (QgsProcessing, QgsProcessingException, QgsProcessingParameterFile,
                       QgsProcessingParameterMultipleLayers, QgsProcessingParameterNumber)

from .. import dependencies
from ..styling.layers import raster_file_path
from .engine_bridge import FeedbackCallbacks, engine_errors
from .parameters import advanced
from .segment_aerial import SegmentAerialAlgorithm


class SegmentMultimodalAlgorithm(SegmentAerialAlgorithm):
    SENTINEL2 = "SENTINEL2"
    DATES = "DATES"
    CLOUD_MASKS = "CLOUD_MASKS"

    NAME = "segmentmultimodal"
    DISPLAY_NAME = "Land cover from aerial imagery and Sentinel-2 (U-T&T)"
    TAGS = SegmentAerialAlgorithm.TAGS + ("sentinel-2", "time series", "u-tae", "u-t&t",
                                          "flair-2", "multimodal")
    REQUIREMENTS = dependencies.INFERENCE
    HELP = (
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
        "<b>Model</b>: a U-T&T checkpoint (for U-Net models use <i>Land cover from aerial "
        "imagery</i>).\n"
        "<b>Output</b>: FLAIR codes (0 = no data) on the imagery's grid, styled.\n\n"
        "Advanced: block (512 = FLAIR-2's patch), halo of context kept out of the output, "
        "tiles per batch, device and precision. Runs one tile after another.")

    def initAlgorithm(self, config=None):  # noqa: N802
        super().initAlgorithm(config)
        for name in (self.BLEND, self.HALO, self.OUTPUT_PROBABILITIES,
                     self.OUTPUT_CONFIDENCE):
            self.removeParameter(name)
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.SENTINEL2, "Sentinel-2 (one 10-band raster per date, or one T×10-band stack)",
            QgsProcessing.TypeRaster))
        self.addParameter(QgsProcessingParameterFile(
            self.DATES, "Dates file (one YYYYMMDD a line; default: dates in the file names)",
            optional=True, fileFilter="Text files (*.txt *.csv);;All files (*)"))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.CLOUD_MASKS, "Cloud/snow masks (2 bands per date: snow, cloud 0..100)",
            QgsProcessing.TypeRaster, optional=True))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            self.HALO, "Halo around each block (pixels, multiple of 32)", defaultValue=0,
            minValue=0)))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..engine.checkpoints.store import load_model
        from ..engine.errors import PredictionCancelled
        from ..engine.inference.predict import predict_multimodal

        layer = self._raster(parameters, self.INPUT, context)
        model_path = self.parameterAsFile(parameters, self.MODEL, context)
        output = self._outputs(parameters, context)[self.OUTPUT]
        sentinel = self._raster_files(parameters, self.SENTINEL2, context)
        masks = self._raster_files(parameters, self.CLOUD_MASKS, context) or None
        dates = self.parameterAsFile(parameters, self.DATES, context) or None
        bridge = FeedbackCallbacks(feedback)
        with engine_errors():
            loaded = load_model(model_path)
            meta = loaded.meta
            sources = self._band_sources(parameters, context, layer, meta.bands)
            feedback.pushInfo(self._describe(meta, sources))
            result = predict_multimodal(
                sources, sentinel if len(sentinel) > 1 else sentinel[0], loaded, output,
                dates=dates, cloud_masks=masks if masks is None or len(masks) > 1
                else masks[0], extent=self._extent(parameters, context, layer),
                block=self.parameterAsInt(parameters, self.BLOCK, context),
                halo=self.parameterAsInt(parameters, self.HALO, context),
                batch_size=self.parameterAsInt(parameters, self.BATCH, context) or None,
                device=self.parameterAsEnumString(parameters, self.DEVICE, context),
                precision=self.parameterAsEnumString(parameters, self.PRECISION, context),
                progress=bridge.progress, cancel=bridge.cancel, warn=bridge.warn,
                overwrite=True)  # the destination was chosen (and confirmed) in QGIS
        feedback.pushInfo(
            f"Device {result.device}, batch {result.batch_size}, {result.precision}; "
            f"{result.tiles_done} tiles computed, {result.tiles_skipped} skipped (no data); "
            f"{result.width}x{result.height} px in {result.elapsed_s:.1f} s")
        self._style(result.output, context)
        return {self.OUTPUT: str(result.output)}

    def _raster_files(self, parameters, name, context):
        files = []
        for layer in self.parameterAsLayerList(parameters, name, context) or []:
            path = raster_file_path(layer)
            if path is None:
                raise QgsProcessingException(
                    f"{layer.name()} is not a raster file: save it as a GeoTIFF and use "
                    f"that file.")
            files.append(os.fspath(path))
        if name == self.SENTINEL2 and not files:
            raise QgsProcessingException("Give the Sentinel-2 rasters (one per date, or a "
                                         "stack).")
        return files
