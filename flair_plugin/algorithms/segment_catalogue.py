"""``flair:segmentcatalogue``: land cover over a folder of aerial tiles (a BD ORTHO delivery).

Thin, like ``flair:segmentaerial`` whose tiling, blending, device and metadata parameters
it inherits: it turns folders and band numbers into the engine's catalogue run
(:func:`~..engine.catalogue.run.run_catalogue`), which predicts each output tile as a
window of one run over the whole mosaic, records it in a manifest and assembles a VRT.
Inside QGIS the tiles run in this process, one after another (QGIS must never start
worker processes); rerunning into the same folder resumes where a cancel or a crash
stopped. For several GPUs or machines, the same job runs headless (``flair-landcover
catalogue``).
"""

import os

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingOutputRasterLayer,
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from ..engine import options
from ..styling import qml
from ..styling.layers import StylePostProcessor
from .engine_bridge import FeedbackCallbacks, engine_errors
from .model_choice import add_model_parameters
from .model_choice import model_path as model_path_of
from .parameters import advanced, translated
from .segment_aerial import SegmentAerialAlgorithm


class SegmentCatalogueAlgorithm(SegmentAerialAlgorithm):
    NIR_INPUT = "NIR_INPUT"
    ELEVATION_INPUT = "ELEVATION_INPUT"
    TILE_SIZE = "TILE_SIZE"
    OUTPUT_FOLDER = "OUTPUT_FOLDER"
    TILES_COMPUTED, TILES_REUSED = "TILES_COMPUTED", "TILES_REUSED"

    NAME = "segmentcatalogue"
    DISPLAY_NAME = QT_TRANSLATE_NOOP("SegmentCatalogueAlgorithm",
                                     "Land cover from a folder of aerial tiles (U-Net)")
    TAGS = SegmentAerialAlgorithm.TAGS + ("catalogue", "tiles", "dalles", "mosaic",
                                          "département", "resume")
    HELP = QT_TRANSLATE_NOOP(
        "SegmentCatalogueAlgorithm",
        "Maps the FLAIR land-cover classes over a whole folder of orthophoto tiles, such as "
        "a BD ORTHO delivery (5 km tiles, GeoTIFF or JPEG 2000, searched in sub-folders).\n\n"
        "The tiles are read as one mosaic: each output tile gets its context from the "
        "neighbouring tiles, so the result is exactly that of one run over the whole "
        "mosaic, without seams at the tile edges.\n"
        "<b>Imagery</b>: the folder of tiles (red, green, blue, and for 4- or 5-band models "
        "near-infrared and elevation). BD ORTHO IRC and elevation tiles, delivered "
        "separately, go in their own folders; the band numbers say where each band is.\n"
        "<b>Output folder</b>: one land-cover tile per input tile (tiles/), a manifest of "
        "the finished tiles, and the mosaic <i>landcover.vrt</i> with overviews and the "
        "FLAIR style, loaded when the run ends.\n"
        "<b>Resume</b>: cancel at any time; run again with the same folder and settings to "
        "compute only the missing tiles. A folder holding a run with other settings is "
        "refused.\n\n"
        "Inside QGIS the tiles are computed one after another; for several GPUs or a "
        "cluster, run the flair-landcover catalogue command (Ray, SLURM) and open its "
        "landcover.vrt here.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(
            self.INPUT, self.tr("Folder of imagery tiles (RGB, or R,G,B,NIR,elevation)"),
            behavior=QgsProcessingParameterFile.Folder))
        for name, label in (
                (self.NIR_INPUT, self.tr("Folder of near-infrared tiles (e.g. BD ORTHO IRC), "
                                         "if not in the imagery")),
                (self.ELEVATION_INPUT, self.tr("Folder of elevation tiles, if not in the "
                                               "imagery"))):
            self.addParameter(QgsProcessingParameterFile(
                name, label, behavior=QgsProcessingParameterFile.Folder, optional=True))
        for name, label, default in ((self.RED_BAND, self.tr("Red band"), 1),
                                     (self.GREEN_BAND, self.tr("Green band"), 2),
                                     (self.BLUE_BAND, self.tr("Blue band"), 3)):
            self.addParameter(advanced(QgsProcessingParameterNumber(
                name, label, defaultValue=default, minValue=1)))
        for name, label in (
                (self.NIR_BAND, self.tr("Near-infrared band (default: 1 of the near-infrared "
                                        "tiles, else 4 of the imagery)")),
                (self.ELEVATION_BAND, self.tr("Elevation band (default: 1 of the elevation "
                                              "tiles, else 5 of the imagery)"))):
            self.addParameter(advanced(QgsProcessingParameterNumber(
                name, label, minValue=1, optional=True)))
        add_model_parameters(self, self.MODEL, self.PUBLISHED_MODEL)
        size = QgsProcessingParameterNumber(
            self.TILE_SIZE, self.tr("Output tile size (pixels; empty = one per input tile)"),
            minValue=32, optional=True)
        size.setHelp(translated(options.CATALOGUE_TILE_SIZE_HELP))
        self.addParameter(advanced(size))
        self._add_running_parameters()
        self._add_metadata_parameters()
        self.addParameter(QgsProcessingParameterFolderDestination(
            self.OUTPUT_FOLDER, self.tr("Output folder (run again into it to resume)")))
        self.addOutput(QgsProcessingOutputRasterLayer(self.OUTPUT, self.tr("Land cover")))
        self.addOutput(QgsProcessingOutputNumber(self.TILES_COMPUTED,
                                                 self.tr("Tiles computed by this run")))
        self.addOutput(QgsProcessingOutputNumber(self.TILES_REUSED,
                                                 self.tr("Tiles finished by earlier runs")))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..engine.catalogue.run import run_catalogue
        from ..engine.checkpoints.store import load_model

        folder = self.parameterAsFileOutput(parameters, self.OUTPUT_FOLDER, context)
        bridge = FeedbackCallbacks(feedback)
        with engine_errors():
            model_path = model_path_of(self, parameters, context, bridge)
            loaded = load_model(model_path)
            inputs, bands = self._inputs_and_bands(parameters, context, loaded.meta.bands)
            result = run_catalogue(
                inputs, model_path, folder, loaded=loaded, bands=bands,
                tile_size=self._optional_int(parameters, self.TILE_SIZE, context, None),
                **self._extra_inputs(parameters, context),
                **self._running_options(parameters, context),
                progress=bridge.progress, cancel=bridge.cancel, warn=bridge.warn,
                info=bridge.log)
        feedback.pushInfo(self.tr(
            "{computed} tiles computed, {reused} finished by earlier runs, {retries} retried; "
            "{seconds:.1f} s, {speed:.2f} Mpx/s; mosaic: {mosaic}"
        ).format(computed=result.tiles_computed, reused=result.tiles_reused,
                 retries=result.retries, seconds=result.elapsed_s,
                 speed=result.megapixels_per_s, mosaic=result.mosaic))
        self._mosaic = str(result.mosaic)
        self._input_name = os.path.basename(os.path.normpath(inputs[0]))
        return {self.OUTPUT: self._mosaic, self.OUTPUT_FOLDER: folder,
                self.TILES_COMPUTED: result.tiles_computed,
                self.TILES_REUSED: result.tiles_reused}

    def postProcessAlgorithm(self, context, feedback):  # noqa: N802
        """Main thread: have the mosaic loaded, styled, when the toolbox ran it."""
        mosaic = getattr(self, "_mosaic", None)
        if mosaic and context.project() is not None:
            details = QgsProcessingContext.LayerDetails(
                self.tr("Land cover — {input}").format(input=self._input_name),
                context.project(),
                self.OUTPUT)
            sidecar = qml.sidecar_path(mosaic)
            if qml.is_our_style(sidecar):
                if self.language != "en":  # the engine's legend is English: same classes
                    qml.write_sidecar(mosaic, "flair19", codes=qml.palette_values(sidecar),
                                      language=self.language)
                details.setPostProcessor(StylePostProcessor.create(
                    str(sidecar), details.name))
            context.addLayerToLoadOnCompletion(mosaic, details)
        return {}

    def _inputs_and_bands(self, parameters, context, band_names):
        """The folders, and which band of which folder feeds each band the model takes
        (``I:N`` = band N of folder I), in the model's order."""
        inputs = [self.parameterAsFile(parameters, self.INPUT, context)]
        where = {name: f"1:{self.parameterAsInt(parameters, parameter, context)}"
                 for name, parameter in (("red", self.RED_BAND), ("green", self.GREEN_BAND),
                                         ("blue", self.BLUE_BAND))}
        for band, folder_name, band_name, own_default in (
                ("nir", self.NIR_INPUT, self.NIR_BAND, 4),
                ("elevation", self.ELEVATION_INPUT, self.ELEVATION_BAND, 5)):
            folder = self.parameterAsFile(parameters, folder_name, context)
            if folder:
                inputs.append(folder)
            number = self._optional_int(parameters, band_name, context,
                                        1 if folder else own_default)
            where[band] = f"{len(inputs) if folder else 1}:{number}"
        unknown = [b for b in band_names if b not in where]
        if unknown:
            raise QgsProcessingException(self.tr(
                "The model needs bands this algorithm cannot provide: {bands}."
            ).format(bands=", ".join(unknown)))
        return inputs, [where[b] for b in band_names]
