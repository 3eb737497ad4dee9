"""``flair:train``: train or fine-tune a FLAIR U-Net on FLAIR data on disk, from QGIS.

The training itself is the engine's (PyTorch Lightning, shared with the headless
``flair-landcover train``). Inside QGIS it runs with ``in_qgis=True``: batches are read by
threads, never by worker processes, because a process started from QGIS relaunches QGIS.
"""


from qgis.core import (QgsProcessingOutputFile, QgsProcessingOutputNumber,
                       QgsProcessingParameterBoolean, QgsProcessingParameterFile,
                       QgsProcessingParameterFolderDestination, QgsProcessingParameterNumber,
                       QgsProcessingParameterString)

from .. import dependencies
from .base import FlairAlgorithm
from .engine_bridge import FeedbackCallbacks, engine_errors
from .parameters import advanced, choice_parameter, device_parameter

ACCELERATORS = {"auto": "auto", "cpu": "cpu", "cuda": "gpu"}


class TrainAlgorithm(FlairAlgorithm):
    DATASET, PAIRS_CSV = "DATASET", "PAIRS_CSV"
    TRAIN_DOMAINS, VAL_DOMAINS = "TRAIN_DOMAINS", "VAL_DOMAINS"
    SCHEME, BANDS, METADATA, ENCODER = "SCHEME", "BANDS", "METADATA", "ENCODER"
    EPOCHS, BATCH, LR, OPTIMIZER = "EPOCHS", "BATCH", "LR", "OPTIMIZER"
    PRECISION, DEVICE, SEED = "PRECISION", "DEVICE", "SEED"
    INIT, RESET_HEAD, RESUME = "INIT", "RESET_HEAD", "RESUME"
    OUTPUT_DIR = "OUTPUT_DIR"
    MODEL = "MODEL"  # unet (aerial) or utt (aerial + Sentinel-2, FLAIR-2's U-T&T)
    BEST_MODEL, LAST_MODEL, LOG_CSV, CURVES, BEST_MIOU = (
        "BEST_MODEL", "LAST_MODEL", "LOG_CSV", "CURVES", "BEST_MIOU")

    NAME = "train"
    DISPLAY_NAME = "Train a FLAIR model"
    GROUP = "Training"
    GROUP_ID = "training"
    TAGS = ("training", "fine-tuning", "deep learning", "u-net", "dataset")
    REQUIREMENTS = dependencies.TRAINING
    HELP = (
        "Trains a FLAIR U-Net on FLAIR data on your disk (the FLAIR-1/FLAIR-2 download, or "
        "your own patches named IMG_<id>.tif / MSK_<id>.tif), or fine-tunes an existing "
        "model (this plugin's, or a FLAIR-INC .pth).\n\n"
        "<b>Dataset</b>: the folder holding the patches, in any layout: files are found by "
        "name, the domain (D006_2020...) by folder name. Splits: FLAIR's official train and "
        "validation domains unless you list domains (e.g. D006,D007_2020), or give a CSV "
        "of image,mask[,split] pairs.\n"
        "<b>Classes</b>: 15cl (FLAIR-INC: clear cut, mixed, ligneous and other ignored), "
        "19cl, 12cl or baseline13. <b>Bands</b>: rgbie, rgbi or rgb.\n"
        "Every epoch the log shows the validation mIoU (FLAIR's convention), and the output "
        "folder gets best.flair.safetensors (use it in 'Land cover from aerial imagery'), "
        "last.flair.safetensors, a resumable state, a CSV log and a PNG of the curves.\n"
        "Cancel stops at the next step and keeps a resumable state: run again with the same "
        "output folder and 'Resume' ticked (and as many epochs as you want in total).")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(
            self.DATASET, "FLAIR dataset folder", behavior=QgsProcessingParameterFile.Folder,
            optional=True))
        self.addParameter(QgsProcessingParameterFile(
            self.PAIRS_CSV, "Or: CSV of image,mask[,split] pairs", optional=True,
            fileFilter="CSV files (*.csv)"))
        self.addParameter(QgsProcessingParameterString(
            self.TRAIN_DOMAINS, "Training domains (comma-separated; empty = FLAIR's official)",
            optional=True))
        self.addParameter(QgsProcessingParameterString(
            self.VAL_DOMAINS, "Validation domains (empty = FLAIR's official)", optional=True))
        self.addParameter(choice_parameter(
            self.MODEL, "Model (utt = aerial + Sentinel-2, needs the SEN2_sp_* files and "
                        "flair-2_centroids_sp_to_patch.json)", ("unet", "utt"), "unet"))
        self.addParameter(choice_parameter(self.SCHEME, "Classes",
                                           ("15cl", "19cl", "12cl", "baseline13"), "15cl"))
        self.addParameter(choice_parameter(self.BANDS, "Bands", ("rgbie", "rgbi", "rgb"),
                                           "rgbie"))
        self.addParameter(QgsProcessingParameterNumber(
            self.EPOCHS, "Epochs (in total, when resuming)", defaultValue=20, minValue=1))
        self.addParameter(QgsProcessingParameterNumber(
            self.BATCH, "Batch size", defaultValue=10, minValue=1))
        self.addParameter(device_parameter(self.DEVICE))
        self.addParameter(QgsProcessingParameterFile(
            self.INIT, "Fine-tune from this model (optional)", optional=True,
            fileFilter="FLAIR models (*.safetensors *.pth *.ckpt)"))
        self.addParameter(QgsProcessingParameterBoolean(
            self.RESUME, "Resume the run in the output folder", defaultValue=False))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            self.LR, "Learning rate (0 = the optimiser's FLAIR default)",
            QgsProcessingParameterNumber.Double, defaultValue=0.0, minValue=0.0)))
        self.addParameter(advanced(choice_parameter(self.OPTIMIZER, "Optimiser",
                                                    ("sgd", "adamw"), "sgd")))
        self.addParameter(advanced(choice_parameter(
            self.PRECISION, "Precision", ("32", "16-mixed", "bf16-mixed"), "32")))
        self.addParameter(advanced(choice_parameter(
            self.ENCODER, "Encoder", ("resnet34", "resnet18", "resnet50"), "resnet34")))
        self.addParameter(advanced(QgsProcessingParameterBoolean(
            self.METADATA, "Use the aerial metadata (FLAIR-1 MLP)", defaultValue=False)))
        self.addParameter(advanced(QgsProcessingParameterBoolean(
            self.RESET_HEAD, "Re-initialise the last layer when fine-tuning",
            defaultValue=False)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            self.SEED, "Random seed", defaultValue=0)))
        self.addParameter(QgsProcessingParameterFolderDestination(
            self.OUTPUT_DIR, "Output folder"))
        self.addOutput(QgsProcessingOutputFile(self.BEST_MODEL, "Best model"))
        self.addOutput(QgsProcessingOutputFile(self.LAST_MODEL, "Last model"))
        self.addOutput(QgsProcessingOutputFile(self.LOG_CSV, "Training log (CSV)"))
        self.addOutput(QgsProcessingOutputFile(self.CURVES, "Training curves (PNG)"))
        self.addOutput(QgsProcessingOutputNumber(self.BEST_MIOU, "Best validation mIoU"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..engine.training.trainer import TrainConfig, train

        config = TrainConfig(**self._config(parameters, context))
        bridge = FeedbackCallbacks(feedback)
        with engine_errors():
            result = train(config, progress=bridge.progress, cancel=bridge.cancel,
                           log=bridge.log)
        if result.cancelled:
            feedback.pushWarning(result.message or "Cancelled: run again with Resume ticked.")
        feedback.pushInfo(f"Best validation mIoU {result.best_miou:.4f} at epoch "
                          f"{result.best_epoch}; {result.epochs_done} epoch(s) done")
        return {self.OUTPUT_DIR: str(result.output_dir),
                self.BEST_MODEL: _text(result.best_checkpoint),
                self.LAST_MODEL: _text(result.last_checkpoint),
                self.LOG_CSV: _text(result.log_csv), self.CURVES: _text(result.curves_png),
                self.BEST_MIOU: float(result.best_miou)}

    def _config(self, parameters, context) -> dict:
        """The engine's TrainConfig fields from the parameters."""
        p, c = parameters, context
        return dict(
            output_dir=self.parameterAsString(p, self.OUTPUT_DIR, c),
            dataset=self._text(p, self.DATASET, c) or None,
            pairs_csv=self._text(p, self.PAIRS_CSV, c) or None,
            train_domains=self._domains(p, self.TRAIN_DOMAINS, c),
            val_domains=self._domains(p, self.VAL_DOMAINS, c),
            model=self.parameterAsEnumString(p, self.MODEL, c) or "unet",
            scheme=self.parameterAsEnumString(p, self.SCHEME, c),
            bands=self.parameterAsEnumString(p, self.BANDS, c),
            encoder=self.parameterAsEnumString(p, self.ENCODER, c),
            metadata=self.parameterAsBoolean(p, self.METADATA, c),
            epochs=self.parameterAsInt(p, self.EPOCHS, c),
            batch_size=self.parameterAsInt(p, self.BATCH, c),
            lr=self.parameterAsDouble(p, self.LR, c) or None,
            optimizer=self.parameterAsEnumString(p, self.OPTIMIZER, c),
            precision=self.parameterAsEnumString(p, self.PRECISION, c),
            accelerator=ACCELERATORS[self.parameterAsEnumString(p, self.DEVICE, c)],
            init_checkpoint=self._text(p, self.INIT, c) or None,
            reset_head=self.parameterAsBoolean(p, self.RESET_HEAD, c),
            resume=self.parameterAsBoolean(p, self.RESUME, c),
            seed=self.parameterAsInt(p, self.SEED, c), in_qgis=True)

    def _text(self, parameters, name, context) -> str:
        return self.parameterAsString(parameters, name, context).strip()

    def _domains(self, parameters, name, context):
        listed = [d.strip() for d in self._text(parameters, name, context).split(",")]
        return [d for d in listed if d] or None


def _text(path) -> str:
    return str(path) if path else ""
