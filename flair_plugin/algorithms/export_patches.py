"""``flair:exportpatches``: training patches from your own annotation polygons.

Thin by design: the imagery parameters are the segmentation's (one raster, or RGB + a
near-infrared and an elevation layer), the model says bands, resolution and tile size,
and the engine (:mod:`..engine.data.export`) cuts, splits and counts.
"""

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputFile,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorLayer,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from .. import dependencies
from ..engine import options
from ..styling.layers import raster_file_path
from .engine_bridge import FeedbackCallbacks, engine_errors
from .model_choice import add_model_parameters
from .model_choice import model_path as model_path_of
from .parameters import advanced, mapping_value, polygon_layer_path
from .segment_aerial import SegmentAerialAlgorithm


class ExportPatchesAlgorithm(SegmentAerialAlgorithm):
    """Inherits the segmentation's imagery and model parameters (names, band sources and
    their translations): the patches are read exactly as the maps will be; everything
    else (parameters, outputs, the work) is its own."""

    ANNOTATIONS, CLASS_FIELD, CLASS_RASTER = "ANNOTATIONS", "CLASS_FIELD", "CLASS_RASTER"
    MAPPING, AREA = "MAPPING", "AREA"
    TILE_SIZE, VAL_SHARE, SPLIT_BLOCK = "TILE_SIZE", "VAL_SHARE", "SPLIT_BLOCK"
    MIN_ANNOTATED, SEED = "MIN_ANNOTATED", "SEED"
    OUTPUT_DIR = "OUTPUT_DIR"
    PAIRS_CSV, CLASS_COUNTS, MODEL_FILE = "PAIRS_CSV", "CLASS_COUNTS", "MODEL_FILE"
    TRAIN_PATCHES, VAL_PATCHES = "TRAIN_PATCHES", "VAL_PATCHES"

    NAME = "exportpatches"
    DISPLAY_NAME = QT_TRANSLATE_NOOP("ExportPatchesAlgorithm",
                                     "Export training patches from your annotations")
    GROUP = QT_TRANSLATE_NOOP("ExportPatchesAlgorithm", "Training")
    GROUP_ID = "training"
    TAGS = ("training", "fine-tuning", "patches", "annotation", "polygons", "dataset",
            "export training data", "photo-interpretation")
    REQUIREMENTS = dependencies.INFERENCE
    HELP = QT_TRANSLATE_NOOP(
        "ExportPatchesAlgorithm",
        "Cuts your orthophoto and your annotations into training patches for a FLAIR "
        "model, so that 'Train a FLAIR model' can fine-tune it on your territory.\n\n"
        "<b>Imagery</b>: as for the segmentation (a raster with R, G, B..., or RGB plus a "
        "near-infrared and an elevation layer), resampled to the model's resolution.\n"
        "<b>Model</b>: the model you will fine-tune: it sets the bands, the resolution and "
        "the patch size (advanced: a smaller patch size).\n"
        "<b>Annotations</b>: polygons (any CRS) with a class field and, when the field does "
        "not hold FLAIR codes, a mapping table (first column your value, second the FLAIR "
        "code or class name; an empty code leaves the value out); or a class raster. Pixels "
        "no polygon covers are marked <i>not annotated</i> (0): the training ignores them, "
        "so a few polygons are enough. <b>Area of interest</b>: only annotations inside it.\n"
        "<b>Split</b>: patches are grouped in blocks of N×N neighbouring patches; whole "
        "blocks go to validation until the validation share is reached, so validation "
        "never scores places next to what was trained on.\n\n"
        "<b>Output</b>: a folder with img/IMG_*.tif, msk/MSK_*.tif, pairs.csv (give it to "
        "'Train a FLAIR model' as its CSV of pairs), class_counts.csv and export.json. The "
        "class counts per split are in the log: a class absent from validation cannot be "
        "scored, one absent from training cannot be learnt.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self._add_imagery_parameters()
        add_model_parameters(self, self.MODEL, self.PUBLISHED_MODEL)
        self.addParameter(QgsProcessingParameterVectorLayer(
            self.ANNOTATIONS, self.tr("Annotation polygons"),
            types=[QgsProcessing.TypeVectorPolygon], optional=True))
        self.addParameter(QgsProcessingParameterField(
            self.CLASS_FIELD, self.tr("Class field of the polygons"),
            parentLayerParameterName=self.ANNOTATIONS, optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.CLASS_RASTER, self.tr("Or a class raster (0 = not annotated)"),
            optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.MAPPING, self.tr("Mapping table: class value -> FLAIR code (CSV or table)"),
            types=[QgsProcessing.TypeVector], optional=True))
        self.addParameter(QgsProcessingParameterVectorLayer(
            self.AREA, self.tr("Area of interest (polygons)"),
            types=[QgsProcessing.TypeVectorPolygon], optional=True))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            self.TILE_SIZE, self.tr("Patch size in pixels (default: the model's)"),
            minValue=32, optional=True)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            self.VAL_SHARE, self.tr("Validation share"), QgsProcessingParameterNumber.Double,
            defaultValue=options.DEFAULT_VAL_SHARE, minValue=0.01, maxValue=0.99)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            self.SPLIT_BLOCK, self.tr("Split block side (patches)"),
            defaultValue=options.DEFAULT_SPLIT_BLOCK, minValue=1)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            self.MIN_ANNOTATED, self.tr("Least annotated share of a patch"),
            QgsProcessingParameterNumber.Double, defaultValue=options.DEFAULT_MIN_ANNOTATED,
            minValue=0.0, maxValue=1.0)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            self.SEED, self.tr("Seed of the split"), defaultValue=options.DEFAULT_SEED,
            minValue=0)))
        self.addParameter(QgsProcessingParameterFolderDestination(
            self.OUTPUT_DIR, self.tr("Patch folder (new or empty)")))
        self.addOutput(QgsProcessingOutputFile(self.PAIRS_CSV, self.tr("Pairs CSV")))
        self.addOutput(QgsProcessingOutputFile(self.CLASS_COUNTS, self.tr("Class counts")))
        self.addOutput(QgsProcessingOutputFile(self.MODEL_FILE,
                                               self.tr("Model file (to fine-tune)")))
        self.addOutput(QgsProcessingOutputNumber(self.TRAIN_PATCHES,
                                                 self.tr("Training patches")))
        self.addOutput(QgsProcessingOutputNumber(self.VAL_PATCHES,
                                                 self.tr("Validation patches")))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..engine.checkpoints.store import read_meta
        from ..engine.data.export import CLASS_COUNTS_CSV, PatchSpec, export_patches

        layer = self._raster(parameters, self.INPUT, context)
        polygons = polygon_layer_path(self, parameters, self.ANNOTATIONS, context, feedback)
        class_raster = self._raster(parameters, self.CLASS_RASTER, context)
        area = polygon_layer_path(self, parameters, self.AREA, context, feedback)
        tile = self._optional_int(parameters, self.TILE_SIZE, context, None)
        bridge = FeedbackCallbacks(feedback)
        with engine_errors():
            mapping = mapping_value(self, parameters, self.MAPPING, context)
            model = model_path_of(self, parameters, context, bridge)
            meta = read_meta(model)
            result = export_patches(
                self._band_sources(parameters, context, layer, meta.bands),
                self.parameterAsString(parameters, self.OUTPUT_DIR, context),
                PatchSpec.of_model(meta, tile),
                polygons=(f"{polygons[0]}|layername={polygons[1]}" if polygons and polygons[1]
                          else polygons[0] if polygons else None),
                class_field=self.parameterAsString(parameters, self.CLASS_FIELD, context),
                class_raster=raster_file_path(class_raster) if class_raster else None,
                mapping=mapping, area=area[0] if area else None,
                area_layer=area[1] if area else None,
                val_share=self.parameterAsDouble(parameters, self.VAL_SHARE, context),
                split_block=self.parameterAsInt(parameters, self.SPLIT_BLOCK, context),
                min_annotated=self.parameterAsDouble(parameters, self.MIN_ANNOTATED, context),
                seed=self.parameterAsInt(parameters, self.SEED, context),
                progress=bridge.progress, cancel=bridge.cancel, log=bridge.log)
        return {self.OUTPUT_DIR: str(result.output_dir),
                self.PAIRS_CSV: str(result.pairs_csv),
                self.CLASS_COUNTS: str(result.output_dir / CLASS_COUNTS_CSV),
                self.MODEL_FILE: str(model),
                self.TRAIN_PATCHES: result.patches["train"],
                self.VAL_PATCHES: result.patches["val"]}
