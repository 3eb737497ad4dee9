"""``flair:train``: train or fine-tune a FLAIR U-Net on FLAIR data on disk, from QGIS.

The training itself is the engine's (PyTorch Lightning, shared with the headless
``flair-landcover train``), and so are the choices and defaults (:mod:`..engine.options`).
Inside QGIS it runs with ``in_qgis=True``: batches are read by threads, never by worker
processes, because a process started from QGIS relaunches QGIS.
"""


from pathlib import Path

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputFile,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingUtils,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from .. import dependencies
from ..engine import options
from ..engine.training import runs
from .base import FlairAlgorithm
from .engine_bridge import FeedbackCallbacks, engine_errors
from .parameters import advanced, choice_parameter, device_parameter, option_parameter, translated

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
    DISPLAY_NAME = QT_TRANSLATE_NOOP("TrainAlgorithm", "Train a FLAIR model")
    GROUP = QT_TRANSLATE_NOOP("TrainAlgorithm", "Training")
    GROUP_ID = "training"
    TAGS = ("training", "fine-tuning", "deep learning", "u-net", "dataset")
    REQUIREMENTS = dependencies.TRAINING
    HELP = QT_TRANSLATE_NOOP(
        "TrainAlgorithm",
        "Trains a FLAIR U-Net on FLAIR data on your disk (the FLAIR-1/FLAIR-2 download, or "
        "your own patches named IMG_&lt;id&gt;.tif / MSK_&lt;id&gt;.tif), or fine-tunes an "
        "existing model (this plugin's, or a FLAIR-INC .pth).\n\n"
        "<b>Dataset</b>: the folder holding the patches, in any layout: files are found by "
        "name, the domain (D006_2020...) by folder name. Splits: FLAIR's official train and "
        "validation domains unless you list domains (e.g. D006,D007_2020), or give a CSV "
        "of image,mask[,split] pairs.\n"
        "<b>Your own territory</b>: give the pairs.csv of 'Export training patches from your "
        "annotations' and the model to fine-tune: pixels no polygon covers (mask value 0) "
        "are ignored, in the loss and in the validation scores.\n"
        "<b>Classes</b>: 15cl (FLAIR-INC: clear cut, mixed, ligneous and other ignored), "
        "19cl, 12cl or baseline13. <b>Bands</b>: rgbie, rgbi or rgb.\n"
        "Every epoch the log shows the validation mIoU (FLAIR's convention), and the output "
        "folder gets best.flair.safetensors (use it in 'Land cover from aerial imagery'), "
        "last.flair.safetensors, a resumable state, a CSV log and a PNG of the curves.\n"
        "Cancel stops at the next step, keeps a resumable state and ends the algorithm as "
        "failed (so a model or batch run does not go on with an unfinished model): run again "
        "with the same output folder and 'Resume' ticked (and as many epochs as you want in "
        "total).\n"
        "<b>Output folder</b>: left as a temporary folder, the run gets a folder of its own "
        "under 'FLAIR trainings' beside the saved project (or in your Documents): QGIS "
        "deletes its temporary folder when it exits. 'Resume' without a folder continues "
        "the last run saved there.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self._add_data_parameters()
        self._add_model_parameters()
        self._add_optimisation_parameters()
        self.addParameter(QgsProcessingParameterFolderDestination(
            self.OUTPUT_DIR, self.tr("Output folder (temporary = a new folder under 'FLAIR "
                                     "trainings', kept)"), optional=True,
            createByDefault=True))
        self.addOutput(QgsProcessingOutputFile(self.BEST_MODEL, self.tr("Best model")))
        self.addOutput(QgsProcessingOutputFile(self.LAST_MODEL, self.tr("Last model")))
        self.addOutput(QgsProcessingOutputFile(self.LOG_CSV, self.tr("Training log (CSV)")))
        self.addOutput(QgsProcessingOutputFile(self.CURVES, self.tr("Training curves (PNG)")))
        self.addOutput(QgsProcessingOutputNumber(self.BEST_MIOU,
                                                 self.tr("Best validation mIoU")))

    def _add_data_parameters(self) -> None:
        self.addParameter(QgsProcessingParameterFile(
            self.DATASET, self.tr("FLAIR dataset folder (or a CSV of pairs below)"),
            behavior=QgsProcessingParameterFile.Folder, optional=True))
        self.addParameter(QgsProcessingParameterFile(
            self.PAIRS_CSV, self.tr("Or: CSV of image,mask[,split] pairs"), optional=True,
            fileFilter=self.tr("CSV files (*.csv)")))
        self.addParameter(QgsProcessingParameterString(
            self.TRAIN_DOMAINS, self.tr("Training domains (comma-separated; empty = FLAIR's "
                                        "official)"), optional=True))
        self.addParameter(QgsProcessingParameterString(
            self.VAL_DOMAINS, self.tr("Validation domains (empty = FLAIR's official)"),
            optional=True))

    def _add_model_parameters(self) -> None:
        self.addParameter(option_parameter(self.MODEL, self.tr("Model"), options.TRAIN_MODEL))
        self.addParameter(option_parameter(self.SCHEME, self.tr("Classes"),
                                           options.TRAIN_SCHEME))
        self.addParameter(option_parameter(self.BANDS, self.tr("Bands"), options.TRAIN_BANDS))
        self.addParameter(QgsProcessingParameterFile(
            self.INIT, self.tr("Fine-tune from this model"), optional=True,
            fileFilter=self.tr("FLAIR models (*.safetensors *.pth *.ckpt)")))
        self.addParameter(QgsProcessingParameterBoolean(
            self.RESUME, self.tr("Resume the run in the output folder"), defaultValue=False))
        self.addParameter(advanced(choice_parameter(
            self.ENCODER, self.tr("Encoder"), options.ENCODERS, options.DEFAULT_ENCODER)))
        self.addParameter(advanced(QgsProcessingParameterBoolean(
            self.METADATA, self.tr("Use the aerial metadata (FLAIR-1 MLP)"),
            defaultValue=False)))
        self.addParameter(advanced(QgsProcessingParameterBoolean(
            self.RESET_HEAD, self.tr("Re-initialise the last layer when fine-tuning"),
            defaultValue=False)))

    def _add_optimisation_parameters(self) -> None:
        self.addParameter(QgsProcessingParameterNumber(
            self.EPOCHS, self.tr("Epochs (in total, when resuming)"),
            defaultValue=options.DEFAULT_EPOCHS_IN_QGIS, minValue=1))
        self.addParameter(QgsProcessingParameterNumber(
            self.BATCH, self.tr("Batch size"), defaultValue=options.DEFAULT_TRAIN_BATCH_SIZE,
            minValue=1))
        self.addParameter(device_parameter(self.DEVICE))
        # Empty (not 0.000000) = the optimiser's default; 5 decimals show 0.00002 and the
        # like, where QGIS's automatic 6 showed a default of 0 as "0.000000".
        lr = QgsProcessingParameterNumber(
            self.LR, self.tr("Learning rate (empty = the optimiser's FLAIR default)"),
            QgsProcessingParameterNumber.Double, minValue=0.0, optional=True)
        lr.setMetadata({"widget_wrapper": {"decimals": 5}})
        lr.setHelp(translated(options.LR_HELP))
        self.addParameter(advanced(lr))
        self.addParameter(advanced(option_parameter(self.OPTIMIZER, self.tr("Optimiser"),
                                                    options.OPTIMIZER)))
        self.addParameter(advanced(option_parameter(self.PRECISION, self.tr("Precision"),
                                                    options.TRAINING_PRECISION)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            self.SEED, self.tr("Random seed"), defaultValue=options.DEFAULT_SEED)))

    def prepareAlgorithm(self, parameters, context, feedback):  # noqa: N802
        super().prepareAlgorithm(parameters, context, feedback)
        self._run_dir = self._run_folder(parameters, context)
        return True

    def _run_folder(self, parameters, context) -> str:
        """The folder the run writes to: the one given, or for a temporary one (which
        QGIS deletes when it exits) a persistent folder of the run's own, or with
        ``RESUME`` the last run there. In the main thread: it reads the project."""
        given = self.parameterAsString(parameters, self.OUTPUT_DIR, context)
        value = parameters.get(self.OUTPUT_DIR)
        temporary = (not given or value in (None, "", QgsProcessing.TEMPORARY_OUTPUT)
                     or _inside(given, QgsProcessingUtils.tempFolder()))
        if not temporary:
            return given
        project = context.project()
        root = runs.runs_root(project.homePath() if project is not None else None)
        if self.parameterAsBoolean(parameters, self.RESUME, context):
            last = runs.latest_run(root)
            if last is None:
                raise QgsProcessingException(self.tr(
                    "Nothing to resume: no training run with a saved state in {root}. Give "
                    "the folder of the run to resume as the output folder, or untick "
                    "'Resume' to start a new run.").format(root=root))
            return str(last)
        return str(runs.new_run_dir(
            root, self.parameterAsEnumString(parameters, self.MODEL, context)
            or options.TRAIN_MODEL.default,
            self.parameterAsEnumString(parameters, self.BANDS, context),
            self.parameterAsEnumString(parameters, self.SCHEME, context)))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..engine.errors import TrainingCancelled
        from ..engine.training.trainer import TrainConfig, train

        config = TrainConfig(**self._config(parameters, context))
        feedback.pushInfo(self.tr("The run's files (models, log, curves) go to {folder}")
                          .format(folder=config.output_dir))
        # one log line per epoch, with the time left; steps only move the bar
        bridge = FeedbackCallbacks(feedback, text_every_s=None, eta_in_log=True)
        with engine_errors():
            result = train(config, progress=bridge.progress, cancel=bridge.cancel,
                           log=bridge.log)
            if result.cancelled:  # a stopped run failed, as a cancelled segmentation does
                raise TrainingCancelled(result.message)
        feedback.pushInfo(self.tr(
            "Best validation mIoU {miou:.4f} at epoch {epoch}; {epochs} epoch(s) done"
        ).format(miou=result.best_miou, epoch=result.best_epoch, epochs=result.epochs_done))
        return {self.OUTPUT_DIR: str(result.output_dir),
                self.BEST_MODEL: _text(result.best_checkpoint),
                self.LAST_MODEL: _text(result.last_checkpoint),
                self.LOG_CSV: _text(result.log_csv), self.CURVES: _text(result.curves_png),
                self.BEST_MIOU: float(result.best_miou)}

    def _config(self, parameters, context) -> dict:
        """The engine's TrainConfig fields from the parameters."""
        p, c = parameters, context
        return dict(
            output_dir=self._run_dir,
            dataset=self._text(p, self.DATASET, c) or None,
            pairs_csv=self._text(p, self.PAIRS_CSV, c) or None,
            train_domains=self._domains(p, self.TRAIN_DOMAINS, c),
            val_domains=self._domains(p, self.VAL_DOMAINS, c),
            model=self.parameterAsEnumString(p, self.MODEL, c) or options.TRAIN_MODEL.default,
            scheme=self.parameterAsEnumString(p, self.SCHEME, c),
            bands=self.parameterAsEnumString(p, self.BANDS, c),
            encoder=self.parameterAsEnumString(p, self.ENCODER, c),
            metadata=self.parameterAsBoolean(p, self.METADATA, c),
            epochs=self.parameterAsInt(p, self.EPOCHS, c),
            batch_size=self.parameterAsInt(p, self.BATCH, c),
            lr=(self.parameterAsDouble(p, self.LR, c) or None) if p.get(self.LR) not in (None, "")
            else None,
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


def _inside(path: str, folder: str) -> bool:
    try:
        return bool(folder) and Path(path).resolve().is_relative_to(Path(folder).resolve())
    except OSError:
        return False
