"""``flair:segmentaerial``: a land-cover map from an aerial orthophoto with a FLAIR U-Net.

Thin by design: it turns layers and parameters into band sources for the engine's one
``predict`` (shared with the headless command and ``flair:segmentmultimodal``), wires
QGIS's feedback into it, and styles what comes out. Everything else (checks, tiling,
streaming, checkpoints) is the engine's.
"""

import os
from typing import Dict, List, Optional, Tuple

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterExtent,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
    QgsRasterLayer,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from .. import dependencies
from ..engine import options
from ..styling import qml
from ..styling.layers import StylePostProcessor, present_codes, raster_file_path
from .base import FlairAlgorithm
from .engine_bridge import FeedbackCallbacks, engine_errors
from .model_choice import add_model_parameters
from .model_choice import model_path as model_path_of
from .parameters import (
    advanced,
    band_parameter,
    band_value,
    device_parameter,
    extent_value,
    option_parameter,
    polygon_layer_path,
    translated,
)


class SegmentAerialAlgorithm(FlairAlgorithm):
    INPUT = "INPUT"
    NIR_LAYER = "NIR_LAYER"
    ELEVATION_LAYER = "ELEVATION_LAYER"
    RED_BAND, GREEN_BAND, BLUE_BAND = "RED_BAND", "GREEN_BAND", "BLUE_BAND"
    NIR_BAND, ELEVATION_BAND = "NIR_BAND", "ELEVATION_BAND"
    MODEL, PUBLISHED_MODEL = "MODEL", "PUBLISHED_MODEL"
    SERIES_MODELS = False  # the published models offered read aerial imagery alone
    EXTENT = "EXTENT"
    AREA = "AREA"
    BLOCK, HALO, BLEND, BATCH, READERS = "BLOCK", "HALO", "BLEND", "BATCH", "READERS"
    DEVICE, PRECISION, RUNTIME = "DEVICE", "PRECISION", "RUNTIME"
    OUTPUT = "OUTPUT"
    OUTPUT_PROBABILITIES = "OUTPUT_PROBABILITIES"
    OUTPUT_CONFIDENCE = "OUTPUT_CONFIDENCE"
    OUTPUT_CROP_TYPES = "OUTPUT_CROP_TYPES"
    LEGEND_ALL_CLASSES = "LEGEND_ALL_CLASSES"
    ACQUISITION_DATE, ACQUISITION_TIME = "ACQUISITION_DATE", "ACQUISITION_TIME"
    CAMERA, ALTITUDE, IGNORE_METADATA = "CAMERA", "ALTITUDE", "IGNORE_METADATA"

    # The dialog's tiling defaults: None = left empty, the engine takes the device's
    # (options.default_tiling: larger tiles on a CPU); a U-T&T's are FLAIR-2's.
    DEFAULT_BLOCK: Optional[int] = None
    DEFAULT_HALO: Optional[int] = None

    NAME = "segmentaerial"
    DISPLAY_NAME = QT_TRANSLATE_NOOP("SegmentAerialAlgorithm",
                                     "Land cover from aerial imagery (U-Net)")
    GROUP = QT_TRANSLATE_NOOP("SegmentAerialAlgorithm", "Land cover")
    GROUP_ID = "landcover"
    TAGS = ("segmentation", "classification", "u-net", "deep learning", "orthophoto",
            "bd ortho", "irc")
    REQUIREMENTS = dependencies.INFERENCE
    HELP = QT_TRANSLATE_NOOP(
        "SegmentAerialAlgorithm",
        "Maps the FLAIR land-cover classes (building, impervious surface, water, "
        "coniferous, vineyard...) on an aerial orthophoto at about 0.2 m with a FLAIR U-Net, "
        "tile by tile, so rasters of any size work.\n\n"
        "<b>Imagery</b>: a raster with red, green, blue (and for 4- or 5-band models near-"
        "infrared and elevation). IGN ships BD ORTHO RGB, IRC and elevation separately: give "
        "the IRC raster as <i>Near-infrared layer</i> (infrared is its band 1) and the "
        "elevation (height above ground, 1 unit = 0.2 m as in FLAIR) as <i>Elevation "
        "layer</i>; they are resampled on the fly onto the imagery's pixel grid.\n"
        "<b>Model</b>: a checkpoint of this plugin (.safetensors), a FLAIR-INC .pth exactly "
        "as published by IGN on Hugging Face, a FLAIR-1 .ckpt, or an aerial FLAIR-HUB model "
        "(IGN's 2025 models, e.g. FLAIR-HUB_LC-A_IR_convnextv2base-upernet.safetensors, as "
        "published: they read near-infrared, red and green, so give an RGBI raster or the "
        "near-infrared layer). The model says which bands it needs; the band numbers say "
        "where to find them.\n"
        "<b>Extent</b>: only this area (any CRS).\n"
        "<b>Output</b>: a GeoTIFF of FLAIR codes 1..19 (0 = no data) on the imagery's grid, "
        "styled with the FLAIR colours (a .qml is written beside it). Optional: one band of "
        "probability per class (0..255) and the confidence of the chosen class (0..255); "
        "for a FLAIR-HUB model with the crop-type task, a styled raster of its 23 crop "
        "types (1..23, French LPIS classes), computed in a second pass.\n\n"
        "Advanced (the technical term in brackets, as in the headless command): <i>Tile "
        "size</i> (block) = output pixels per tile, <i>Context margin</i> (halo) = context "
        "added on each side (multiples of 32; a wider margin = fewer seams, more compute); "
        "<i>Blending</i> (blend): crop keeps each tile's centre like IGN's zone detection, "
        "hann/gaussian average overlapping probabilities; <i>Tiles per batch</i> (batch) per "
        "forward pass; <i>Reader threads</i>; <i>Device</i>, <i>Numeric precision</i> "
        "(precision) and <i>Computing library</i> (runtime) (automatic: bf16 where the "
        "processor or GPU computes it natively, ONNX Runtime or OpenVINO on a CPU when "
        "installed, each checked against fp32 on the first tile).\n\n"
        "<b>Models trained with FLAIR-1's aerial metadata</b> (a FLAIR-1 .ckpt with the "
        "metadata MLP) also need the flight's <i>acquisition date</i> (YYYY-MM-DD), "
        "<i>time</i> (HHhMM), <i>camera</i> and the area's <i>ground altitude</i> (m), in "
        "the advanced parameters; each tile's position is taken from the imagery. Or tick "
        "<i>Run without the model's metadata branch</i>, as IGN's zone detection does. "
        "Other models ignore these parameters.")

    def initAlgorithm(self, config=None):  # noqa: N802
        # The order a user thinks in: which model, on which imagery, then the optional
        # layers and band numbers.
        add_model_parameters(self, self.MODEL, self.PUBLISHED_MODEL, self.SERIES_MODELS)
        self._add_imagery_parameters()
        self.addParameter(QgsProcessingParameterExtent(self.EXTENT, self.tr("Extent"),
                                                       optional=True))
        self.addParameter(QgsProcessingParameterVectorLayer(
            self.AREA, self.tr("Area of interest (polygons: a commune, a mask); outside it "
                               "the output is no data"),
            types=[QgsProcessing.TypeVectorPolygon], optional=True))
        self._add_running_parameters()
        self._add_metadata_parameters()
        self._add_outputs()
        self._add_crop_type_output()

    def _add_crop_type_output(self) -> None:
        """A FLAIR-HUB model's crop types (only models with that task: asked explicitly)."""
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_CROP_TYPES, self.tr("Crop types (FLAIR-HUB models with the LPIS task)"),
            optional=True, createByDefault=False))

    def _add_metadata_parameters(self) -> None:
        """What FLAIR-1's metadata MLP needs besides each tile's position (advanced: only
        models trained with it use them)."""
        for name, label in (
                (self.ACQUISITION_DATE, self.tr("Acquisition date (YYYY-MM-DD), for models "
                                                "trained with aerial metadata")),
                (self.ACQUISITION_TIME, self.tr("Acquisition time (HHhMM, e.g. 10h35), for "
                                                "models trained with aerial metadata")),
                (self.CAMERA, self.tr("Camera (e.g. UCE-M3-f120), for models trained with "
                                      "aerial metadata"))):
            self.addParameter(advanced(QgsProcessingParameterString(name, label,
                                                                    optional=True)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            self.ALTITUDE, self.tr("Ground altitude (m), for models trained with aerial "
                                   "metadata"), QgsProcessingParameterNumber.Double,
            optional=True)))
        self.addParameter(advanced(QgsProcessingParameterBoolean(
            self.IGNORE_METADATA, self.tr("Run without the model's metadata branch (as IGN's "
                                          "zone detection)"), defaultValue=False)))

    def _add_imagery_parameters(self) -> None:
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.INPUT, self.tr("Aerial imagery (RGB, or a FLAIR 5-band R,G,B,NIR,elevation "
                                "raster)")))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.NIR_LAYER, self.tr("Near-infrared layer (e.g. BD ORTHO IRC), if not in the "
                                    "imagery"), optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.ELEVATION_LAYER, self.tr("Elevation layer (height above ground), if not in "
                                          "the imagery"), optional=True))
        # Band numbers are advanced: the defaults fit IGN's and FLAIR's files, and five
        # band fields before the outputs pushed them out of sight.
        for name, label, default in ((self.RED_BAND, self.tr("Red band"), 1),
                                     (self.GREEN_BAND, self.tr("Green band"), 2),
                                     (self.BLUE_BAND, self.tr("Blue band"), 3)):
            self.addParameter(advanced(band_parameter(name, self.INPUT, label, default)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            self.NIR_BAND, self.tr("Near-infrared band (default: 1 of the near-infrared "
                                   "layer, else 4 of the imagery)"), minValue=1,
            optional=True)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            self.ELEVATION_BAND, self.tr("Elevation band (default: 1 of the elevation layer, "
                                         "else 5 of the imagery)"), minValue=1,
            optional=True)))

    def _add_running_parameters(self) -> None:
        """Tiling, blending, batching, device: the same options as ``flair-landcover
        predict``, with the same choices, defaults and help."""
        for name, label, default, minimum, text in (
                (self.BLOCK, self.tr("Tile size, output pixels (multiple of 32; empty = "
                                     "automatic)"), self.DEFAULT_BLOCK, 32, options.BLOCK_HELP),
                (self.HALO, self.tr("Context margin around each tile, pixels (multiple of 32; "
                                    "empty = automatic)"), self.DEFAULT_HALO, 0,
                 options.HALO_HELP)):
            param = QgsProcessingParameterNumber(name, label, defaultValue=default,
                                                 minValue=minimum, optional=default is None)
            param.setHelp(translated(text))
            self.addParameter(advanced(param))
        self.addParameter(advanced(option_parameter(
            self.BLEND, self.tr("Blending of overlapping tiles"), options.BLEND)))
        for name, label, text in (
                (self.BATCH, self.tr("Tiles per batch (0 = automatic)"), options.BATCH_HELP),
                (self.READERS, self.tr("Reader threads (0 = automatic)"),
                 options.READERS_HELP)):
            param = QgsProcessingParameterNumber(name, label, defaultValue=0, minValue=0)
            param.setHelp(translated(text))
            self.addParameter(advanced(param))
        self.addParameter(device_parameter(self.DEVICE))
        self.addParameter(advanced(option_parameter(self.PRECISION, self.tr("Numeric precision"),
                                                    options.PRECISION)))
        self.addParameter(advanced(option_parameter(
            self.RUNTIME, self.tr("Computing library on a CPU"),
            options.RUNTIME)))

    def _running_options(self, parameters, context) -> dict:
        """The engine's keyword arguments for the parameters of
        :meth:`_add_running_parameters`."""
        return dict(
            block=self._optional_int(parameters, self.BLOCK, context, self.DEFAULT_BLOCK),
            halo=self._optional_int(parameters, self.HALO, context, self.DEFAULT_HALO),
            blend=self.parameterAsEnumString(parameters, self.BLEND, context),
            batch_size=self.parameterAsInt(parameters, self.BATCH, context) or None,
            num_readers=self.parameterAsInt(parameters, self.READERS, context) or None,
            device=self.parameterAsEnumString(parameters, self.DEVICE, context),
            precision=self.parameterAsEnumString(parameters, self.PRECISION, context),
            runtime=self.parameterAsEnumString(parameters, self.RUNTIME, context))

    def _model_running_options(self, meta, parameters, context) -> dict:
        """:meth:`_running_options` for this model (a subclass may adapt them)."""
        return self._running_options(parameters, context)

    def _add_outputs(self) -> None:
        self.addParameter(advanced(QgsProcessingParameterBoolean(
            self.LEGEND_ALL_CLASSES, self.tr("Legend: every class the model can predict "
                                             "(default: the classes in the map)"),
            defaultValue=False)))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT, self.tr("Land cover")))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_PROBABILITIES, self.tr("Class probabilities"), optional=True,
            createByDefault=False))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_CONFIDENCE, self.tr("Confidence"), optional=True,
            createByDefault=False))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..engine.checkpoints.store import load_model
        from ..engine.inference.predict import predict

        layer = self._raster(parameters, self.INPUT, context)
        outputs = self._outputs(parameters, context)
        extra = self._extra_inputs(parameters, context)
        area = polygon_layer_path(self, parameters, self.AREA, context, feedback)
        bridge = FeedbackCallbacks(feedback)
        with engine_errors():
            model_path = model_path_of(self, parameters, context, bridge)
            loaded = load_model(model_path)
            sources = self._band_sources(parameters, context, layer, loaded.meta.bands)
            feedback.pushInfo(self._describe(loaded.meta, sources))
            result = predict(
                sources, loaded, outputs[self.OUTPUT], **extra,
                extent=self._extent(parameters, context, layer, area),
                **self._model_running_options(loaded.meta, parameters, context),
                model_file=model_path,
                probabilities=outputs.get(self.OUTPUT_PROBABILITIES),
                confidence=outputs.get(self.OUTPUT_CONFIDENCE),
                crop_types=outputs.get(self.OUTPUT_CROP_TYPES),
                progress=bridge.progress, cancel=bridge.cancel, warn=bridge.warn,
                info=bridge.log,
                overwrite=True)  # the destination was chosen (and confirmed) in QGIS
            if area is not None:
                from ..engine.evaluation.vectors import mask_outside_area

                written = [p for p in (result.output, result.probabilities,
                                       result.confidence) if p]
                mask_outside_area(written, area[0], layer=area[1])
        feedback.pushInfo(self.tr(
            "Device {device} ({runtime} {precision}), batch {batch}, block {block} halo "
            "{halo}; {done} tiles computed, {skipped} skipped (no data); {width}x{height} px "
            "in {seconds:.1f} s = {speed:.2f} Mpx/s"
        ).format(device=result.device, runtime=result.runtime, precision=result.precision,
                 batch=result.batch_size, block=result.block, halo=result.halo,
                 done=result.tiles_done, skipped=result.tiles_skipped, width=result.width,
                 height=result.height, seconds=result.elapsed_s,
                 speed=result.megapixels_per_s))
        self._style(result, parameters, context, layer, feedback)
        return {key: (str(path) if path else None) for key, path in (
            (self.OUTPUT, result.output), (self.OUTPUT_PROBABILITIES, result.probabilities),
            (self.OUTPUT_CONFIDENCE, result.confidence),
            (self.OUTPUT_CROP_TYPES, result.crop_types))}

    def _extra_inputs(self, parameters, context) -> dict:
        """The engine's inputs beyond the aerial imagery: a metadata U-Net's acquisition."""
        altitude = (None if parameters.get(self.ALTITUDE) in (None, "")
                    else self.parameterAsDouble(parameters, self.ALTITUDE, context))
        return dict(
            acquisition=dict(
                date=self.parameterAsString(parameters, self.ACQUISITION_DATE, context),
                time=self.parameterAsString(parameters, self.ACQUISITION_TIME, context),
                camera=self.parameterAsString(parameters, self.CAMERA, context),
                altitude=altitude),
            ignore_metadata=self.parameterAsBoolean(parameters, self.IGNORE_METADATA,
                                                    context))

    # ------------------------------------------------------------------ parameters

    def _raster(self, parameters, name, context) -> Optional[QgsRasterLayer]:
        layer = self.parameterAsRasterLayer(parameters, name, context)
        if layer is None:
            return None
        if raster_file_path(layer) is None:
            raise QgsProcessingException(self.tr(
                "{layer} is not a raster file (provider {provider}): save it as a GeoTIFF "
                "(Export > Save As...) and use that file."
            ).format(layer=layer.name(), provider=layer.providerType()))
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
            raise QgsProcessingException(self.tr(
                "The model needs bands this algorithm cannot provide: {bands}."
            ).format(bands=", ".join(unknown)))
        return [(raster_file_path(where[b][0]), where[b][1]) for b in band_names]

    def _optional_int(self, parameters, name, context,
                      default: Optional[int]) -> Optional[int]:
        if parameters.get(name) in (None, ""):
            return default
        return self.parameterAsInt(parameters, name, context)

    def _extent(self, parameters, context, layer, area=None):
        """The extent to predict: the EXTENT parameter, cut to the area of interest's
        polygons when one is given (tiles outside their bounding box are not computed)."""
        extent = extent_value(self, parameters, self.EXTENT, context, layer.crs())
        if area is None:
            return extent
        from ..engine.evaluation.vectors import area_extent_of_raster

        west, south, east, north = area_extent_of_raster(area[0], raster_file_path(layer),
                                                         area[1])
        if extent is not None:
            west, south = max(west, extent[0]), max(south, extent[1])
            east, north = min(east, extent[2]), min(north, extent[3])
            if west >= east or south >= north:
                raise QgsProcessingException(self.tr(
                    "The area of interest does not overlap the extent."))
        return west, south, east, north

    def _outputs(self, parameters, context) -> Dict[str, str]:
        outputs = {}
        for name in (self.OUTPUT, self.OUTPUT_PROBABILITIES, self.OUTPUT_CONFIDENCE,
                     self.OUTPUT_CROP_TYPES):
            if self.parameterDefinition(name) is None:
                continue  # an algorithm without this output (flair:segmentmultimodal)
            path = self.parameterAsOutputLayer(parameters, name, context)
            if not path:
                continue
            if os.path.splitext(path)[1].lower() not in (".tif", ".tiff"):
                raise QgsProcessingException(self.tr(
                    "{path}: outputs are written as GeoTIFF; give a .tif file name."
                ).format(path=path))
            outputs[name] = path
        return outputs

    def _describe(self, meta, sources) -> str:
        band = self.tr("{name} <- {file} band {band}")
        bands = ", ".join(band.format(name=name, file=os.path.basename(path), band=number)
                          for name, (path, number) in zip(meta.bands, sources))
        return self.tr(
            "Model: {architecture} {encoder}, {classes} classes, trained at {pixel} m. "
            "Bands: {bands}"
        ).format(architecture=meta.architecture, encoder=meta.encoder,
                 classes=len(meta.active_codes), pixel=meta.pixel_size, bands=bands)

    # ------------------------------------------------------------------ styling

    def _style(self, result, parameters, context, layer, feedback) -> None:
        """Legends in QGIS's language listing the classes in the map (every class the model
        predicts on request), a colour ramp on the confidence, and layer names saying what
        they hold and of which imagery ("Land cover — ortho_D075"). The engine wrote an
        English sidecar with all the model's classes; ours is rewritten, a user's kept."""
        sidecar = qml.sidecar_path(result.output)
        try:  # the rasters are written: a style that cannot be is a warning, not a failure
            if qml.is_our_style(sidecar):
                codes = list(result.codes)
                if not self.parameterAsBoolean(parameters, self.LEGEND_ALL_CLASSES, context):
                    codes = present_codes(str(result.output), candidates=codes) or codes
                qml.write_sidecar(result.output, "flair19", codes=codes,
                                  language=self.language)
            if result.confidence and not qml.would_replace_users_style(
                    qml.sidecar_path(result.confidence)):
                qml.write_sidecar(result.confidence, "confidence", text=qml.confidence_qml(
                    labels=(self.tr("0 % (unsure)"), "50 %", "75 %", self.tr("100 % (sure)"))))
        except OSError as error:
            feedback.pushWarning(str(error))
        styled = [(result.output, sidecar, self.tr("Land cover — {input}"))]
        if result.confidence:
            confidence = qml.sidecar_path(result.confidence)
            styled.append((result.confidence, confidence, self.tr("Confidence — {input}")))
        if result.probabilities:
            styled.append((result.probabilities, None,
                           self.tr("Class probabilities — {input}")))
        if result.crop_types:  # styled by the engine (FLAIR-HUB's 23 LPIS classes)
            styled.append((result.crop_types, qml.sidecar_path(result.crop_types),
                           self.tr("Crop types — {input}")))
        for path, style, name in styled:
            if not context.willLoadLayerOnCompletion(str(path)):
                continue
            details = context.layerToLoadOnCompletionDetails(str(path))
            details.setPostProcessor(StylePostProcessor.create(
                str(style) if style and qml.is_our_style(style) else "",
                name.format(input=layer.name())))
