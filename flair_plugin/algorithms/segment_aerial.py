"""``flair:segmentaerial``: a land-cover map from an aerial orthophoto with a FLAIR U-Net.

Thin by design: it turns layers and parameters into band sources for the engine,
wires QGIS's feedback into it, and styles what comes out. Everything else (checks,
tiling, streaming, checkpoints) is the engine's, shared with the headless command.
"""

import os
from typing import Dict, List, Optional, Tuple

from qgis.core import (QgsProcessingException, QgsProcessingParameterExtent,
                       QgsProcessingParameterFile, QgsProcessingParameterNumber,
                       QgsProcessingParameterRasterDestination,
                       QgsProcessingParameterRasterLayer, QgsRasterLayer)

from .. import dependencies
from ..styling import qml
from ..styling.layers import StylePostProcessor, raster_file_path
from .base import FlairAlgorithm
from .engine_bridge import FeedbackCallbacks, engine_errors
from .parameters import (advanced, band_parameter, band_value, choice_parameter,
                         device_parameter, extent_value)

MODEL_FILTER = ("FLAIR models (*.safetensors *.pth *.ckpt);;Our format (*.safetensors);;"
                "FLAIR-INC weights (*.pth);;FLAIR-1 Lightning (*.ckpt);;All files (*)")


class SegmentAerialAlgorithm(FlairAlgorithm):
    INPUT = "INPUT"
    NIR_LAYER = "NIR_LAYER"
    ELEVATION_LAYER = "ELEVATION_LAYER"
    RED_BAND, GREEN_BAND, BLUE_BAND = "RED_BAND", "GREEN_BAND", "BLUE_BAND"
    NIR_BAND, ELEVATION_BAND = "NIR_BAND", "ELEVATION_BAND"
    MODEL = "MODEL"
    EXTENT = "EXTENT"
    BLOCK, HALO, BLEND, BATCH = "BLOCK", "HALO", "BLEND", "BATCH"
    DEVICE, PRECISION = "DEVICE", "PRECISION"
    OUTPUT = "OUTPUT"
    OUTPUT_PROBABILITIES = "OUTPUT_PROBABILITIES"
    OUTPUT_CONFIDENCE = "OUTPUT_CONFIDENCE"

    NAME = "segmentaerial"
    DISPLAY_NAME = "Land cover from aerial imagery (U-Net)"
    GROUP = "Land cover"
    GROUP_ID = "landcover"
    TAGS = ("segmentation", "classification", "u-net", "deep learning", "orthophoto",
            "bd ortho", "irc")
    REQUIREMENTS = dependencies.INFERENCE
    HELP = (
        "Maps the FLAIR land-cover classes (building, impervious surface, water, "
        "coniferous, vineyard...) on an aerial orthophoto at about 0.2 m with a FLAIR U-Net, "
        "tile by tile, so rasters of any size work.\n\n"
        "<b>Imagery</b>: a raster with red, green, blue (and for 4- or 5-band models near-"
        "infrared and elevation). IGN ships BD ORTHO RGB, IRC and elevation separately: give "
        "the IRC raster as <i>Near-infrared layer</i> (infrared is its band 1) and the "
        "elevation (height above ground, 1 unit = 0.2 m as in FLAIR) as <i>Elevation "
        "layer</i>; they are resampled on the fly onto the imagery's pixel grid.\n"
        "<b>Model</b>: a checkpoint of this plugin (.safetensors), a FLAIR-INC .pth exactly "
        "as published by IGN on Hugging Face, or a FLAIR-1 .ckpt. The model says which bands "
        "it needs; the band numbers say where to find them.\n"
        "<b>Extent</b>: only this area (any CRS).\n"
        "<b>Output</b>: a GeoTIFF of FLAIR codes 1..19 (0 = no data) on the imagery's grid, "
        "styled with the FLAIR colours (a .qml is written beside it). Optional: one band of "
        "probability per class (0..255) and the confidence of the chosen class (0..255).\n\n"
        "Advanced: <i>block</i> = output pixels per tile, <i>halo</i> = context added on "
        "each side (multiples of 32; more halo = fewer seams, more compute); <i>blend</i> "
        "crop keeps each tile's centre like IGN's zone detection, hann/gaussian average "
        "overlapping probabilities; <i>batch</i> tiles per forward pass; <i>device</i> and "
        "<i>precision</i> (fp16/bf16 are faster on recent GPUs).")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.INPUT, "Aerial imagery (RGB, or a FLAIR 5-band R,G,B,NIR,elevation raster)"))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.NIR_LAYER, "Near-infrared layer (e.g. BD ORTHO IRC), if not in the imagery",
            optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.ELEVATION_LAYER, "Elevation layer (height above ground), if not in the "
            "imagery", optional=True))
        for name, label, default in ((self.RED_BAND, "Red band", 1),
                                     (self.GREEN_BAND, "Green band", 2),
                                     (self.BLUE_BAND, "Blue band", 3)):
            self.addParameter(band_parameter(name, self.INPUT, label, default))
        self.addParameter(QgsProcessingParameterNumber(
            self.NIR_BAND, "Near-infrared band (default: 1 of the near-infrared layer, "
            "else 4 of the imagery)", minValue=1, optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.ELEVATION_BAND, "Elevation band (default: 1 of the elevation layer, else 5 "
            "of the imagery)", minValue=1, optional=True))
        self.addParameter(QgsProcessingParameterFile(
            self.MODEL, "Model (checkpoint file)", fileFilter=MODEL_FILTER))
        self.addParameter(QgsProcessingParameterExtent(self.EXTENT, "Extent", optional=True))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            self.BLOCK, "Output block size (pixels, multiple of 32)", defaultValue=512,
            minValue=32)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            self.HALO, "Halo around each block (pixels, multiple of 32)", defaultValue=128,
            minValue=0)))
        self.addParameter(advanced(choice_parameter(
            self.BLEND, "Blending of overlapping tiles", ("crop", "hann", "gaussian"), "crop")))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            self.BATCH, "Tiles per batch (0 = automatic)", defaultValue=0, minValue=0)))
        self.addParameter(device_parameter(self.DEVICE))
        self.addParameter(advanced(choice_parameter(
            self.PRECISION, "Precision", ("fp32", "fp16", "bf16"), "fp32")))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT, "Land cover"))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_PROBABILITIES, "Class probabilities", optional=True,
            createByDefault=False))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_CONFIDENCE, "Confidence", optional=True, createByDefault=False))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..engine.checkpoints.store import load_model
        from ..engine.errors import PredictionCancelled
        from ..engine.inference.predict import predict

        layer = self._raster(parameters, self.INPUT, context)
        model_path = self.parameterAsFile(parameters, self.MODEL, context)
        outputs = self._outputs(parameters, context)
        bridge = FeedbackCallbacks(feedback)
        with engine_errors():
            loaded = load_model(model_path)
            meta = loaded.meta
            sources = self._band_sources(parameters, context, layer, meta.bands)
            extent = self._extent(parameters, context, layer)
            feedback.pushInfo(self._describe(meta, sources))
            result = predict(
                sources, loaded, outputs[self.OUTPUT], extent=extent,
                block=self.parameterAsInt(parameters, self.BLOCK, context),
                halo=self.parameterAsInt(parameters, self.HALO, context),
                blend=self.parameterAsEnumString(parameters, self.BLEND, context),
                batch_size=self.parameterAsInt(parameters, self.BATCH, context) or None,
                device=self.parameterAsEnumString(parameters, self.DEVICE, context),
                precision=self.parameterAsEnumString(parameters, self.PRECISION, context),
                probabilities=outputs.get(self.OUTPUT_PROBABILITIES),
                confidence=outputs.get(self.OUTPUT_CONFIDENCE),
                progress=bridge.progress, cancel=bridge.cancel, warn=bridge.warn,
                overwrite=True)  # the destination was chosen (and confirmed) in QGIS
        feedback.pushInfo(
            f"Device {result.device}, batch {result.batch_size}, {result.precision}; "
            f"{result.tiles_done} tiles computed, {result.tiles_skipped} skipped (no data); "
            f"{result.width}x{result.height} px in {result.elapsed_s:.1f} s = "
            f"{result.megapixels_per_s:.2f} Mpx/s")
        self._style(result.output, context)
        return {key: (str(path) if path else None) for key, path in (
            (self.OUTPUT, result.output), (self.OUTPUT_PROBABILITIES, result.probabilities),
            (self.OUTPUT_CONFIDENCE, result.confidence))}

    # ------------------------------------------------------------------ parameters

    def _raster(self, parameters, name, context) -> Optional[QgsRasterLayer]:
        layer = self.parameterAsRasterLayer(parameters, name, context)
        if layer is None:
            return None
        if raster_file_path(layer) is None:
            raise QgsProcessingException(
                f"{layer.name()} is not a raster file (provider {layer.providerType()}): "
                "save it as a GeoTIFF (Export > Save As...) and use that file.")
        return layer

    def _band_sources(self, parameters, context, layer, band_names) -> List[Tuple[str, int]]:
        """One (file, band) per band the model needs, in the model's order."""
        nir = self._raster(parameters, self.NIR_LAYER, context)
        elevation = self._raster(parameters, self.ELEVATION_LAYER, context)
        where: Dict[str, Tuple[QgsRasterLayer, int]] = {
            "red": (layer, band_value(self, parameters, self.RED_BAND, context, 1)),
            "green": (layer, band_value(self, parameters, self.GREEN_BAND, context, 2)),
            "blue": (layer, band_value(self, parameters, self.BLUE_BAND, context, 3)),
            "nir": (nir or layer, self._optional_int(parameters, self.NIR_BAND, context,
                                                     1 if nir else 4)),
            "elevation": (elevation or layer, self._optional_int(
                parameters, self.ELEVATION_BAND, context, 1 if elevation else 5)),
        }
        unknown = [b for b in band_names if b not in where]
        if unknown:
            raise QgsProcessingException(f"The model needs bands this algorithm cannot "
                                         f"provide: {', '.join(unknown)}.")
        return [(raster_file_path(where[b][0]), where[b][1]) for b in band_names]

    def _optional_int(self, parameters, name, context, default: int) -> int:
        if parameters.get(name) in (None, ""):
            return default
        return self.parameterAsInt(parameters, name, context)

    def _extent(self, parameters, context, layer):
        return extent_value(self, parameters, self.EXTENT, context, layer.crs())

    def _outputs(self, parameters, context) -> Dict[str, str]:
        outputs = {}
        for name in (self.OUTPUT, self.OUTPUT_PROBABILITIES, self.OUTPUT_CONFIDENCE):
            path = self.parameterAsOutputLayer(parameters, name, context)
            if not path:
                continue
            if os.path.splitext(path)[1].lower() not in (".tif", ".tiff"):
                raise QgsProcessingException(
                    f"{path}: outputs are written as GeoTIFF; give a .tif file name.")
            outputs[name] = path
        return outputs

    @staticmethod
    def _describe(meta, sources) -> str:
        bands = ", ".join(f"{name} <- {os.path.basename(path)} band {band}"
                          for name, (path, band) in zip(meta.bands, sources))
        return (f"Model: {meta.architecture} {meta.encoder}, {len(meta.active_codes)} classes, "
                f"trained at {meta.pixel_size} m. Bands: {bands}")

    # ------------------------------------------------------------------ styling

    def _style(self, output, context) -> None:
        """The engine wrote the sidecar; apply it when the toolbox loads the output."""
        sidecar = qml.sidecar_path(output)
        if qml.is_our_style(sidecar) and context.willLoadLayerOnCompletion(str(output)):
            details = context.layerToLoadOnCompletionDetails(str(output))
            details.setPostProcessor(StylePostProcessor.create(str(sidecar)))
