"""``flair:evaluatemodel``: score a model on FLAIR patches as IGN's evaluation does.

How a user checks a published figure (54.72 mIoU for FLAIR-INC rgbie_15cl on
flair#1-test) or compares two of their own models on the same test domains.
"""

from qgis.core import (
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from .. import dependencies
from ..engine import options
from ..nomenclature import DEPARTMENTS_TEST_FLAIR1
from .base import FlairAlgorithm
from .engine_bridge import FeedbackCallbacks, engine_errors
from .evaluate import add_report_outputs, miou_outputs, report_files, write_reports
from .model_choice import MODEL_FILTER
from .parameters import advanced, device_parameter, option_parameter, scheme_parameter


class EvaluateModelAlgorithm(FlairAlgorithm):
    MODEL, DATASET, DOMAINS, SCHEME = "MODEL", "DATASET", "DOMAINS", "SCHEME"
    DEVICE, BATCH, PRECISION = "DEVICE", "BATCH", "PRECISION"
    PREDICTIONS = "PREDICTIONS"
    OUTPUT_REPORT, OUTPUT_METRICS = "OUTPUT_REPORT", "OUTPUT_METRICS"

    NAME = "evaluatemodel"
    DISPLAY_NAME = QT_TRANSLATE_NOOP("EvaluateModelAlgorithm",
                                     "Evaluate a model on FLAIR patches")
    GROUP = QT_TRANSLATE_NOOP("EvaluateModelAlgorithm", "Evaluation")
    GROUP_ID = "evaluation"
    TAGS = ("evaluation", "test", "miou", "flair#1-test", "benchmark", "model")
    REQUIREMENTS = dependencies.INFERENCE
    HELP = QT_TRANSLATE_NOOP(
        "EvaluateModelAlgorithm",
        "Predicts every 512×512 patch of the chosen FLAIR domains whole (one forward pass, "
        "as IGN's evaluation does), sums one confusion matrix over all of them and reports "
        "FLAIR's metrics: how to check a published mIoU, e.g. FLAIR-INC rgbie_15cl on "
        "flair#1-test (the default domains).\n\n"
        "<b>Dataset</b>: the folder with the patches (IMG_/MSK_ files found by name, any "
        "layout). <b>Domains</b>: comma-separated, D012 = every year of D012; 'all' for "
        "every labelled patch. <b>Keep predictions</b>: a folder to keep the predicted "
        "patches in, to look at them in QGIS.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(
            self.MODEL, self.tr("Model (checkpoint file)"), fileFilter=self.tr(MODEL_FILTER)))
        self.addParameter(QgsProcessingParameterFile(
            self.DATASET, self.tr("FLAIR dataset folder"),
            behavior=QgsProcessingParameterFile.Folder))
        self.addParameter(QgsProcessingParameterString(
            self.DOMAINS, self.tr("Domains"), defaultValue=",".join(DEPARTMENTS_TEST_FLAIR1)))
        report_scheme = scheme_parameter(self.SCHEME)
        report_scheme.setDescription(self.tr("Report the scores in these classes"))
        self.addParameter(report_scheme)
        self.addParameter(device_parameter(self.DEVICE))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            self.BATCH, self.tr("Patches per batch"), defaultValue=options.SPLIT_BATCH_SIZE,
            minValue=1)))
        self.addParameter(advanced(option_parameter(self.PRECISION, self.tr("Precision"),
                                                    options.PRECISION)))
        self.addParameter(advanced(QgsProcessingParameterFolderDestination(
            self.PREDICTIONS, self.tr("Keep the predicted patches in"), optional=True,
            createByDefault=False)))
        add_report_outputs(self)

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..engine.evaluation.split import evaluate_model_on_split

        domains = self.parameterAsString(parameters, self.DOMAINS, context).strip()
        report = self.parameterAsFileOutput(parameters, self.OUTPUT_REPORT, context)
        metrics = self.parameterAsFileOutput(parameters, self.OUTPUT_METRICS, context)
        kept = self.parameterAsString(parameters, self.PREDICTIONS, context) or None
        bridge = FeedbackCallbacks(feedback)
        with engine_errors():
            result = evaluate_model_on_split(
                self.parameterAsFile(parameters, self.MODEL, context),
                self.parameterAsFile(parameters, self.DATASET, context),
                domains=None if domains.lower() == "all" else
                [d.strip() for d in domains.split(",") if d.strip()],
                scheme=self.parameterAsEnumString(parameters, self.SCHEME, context),
                device=self.parameterAsEnumString(parameters, self.DEVICE, context),
                batch_size=self.parameterAsInt(parameters, self.BATCH, context),
                precision=self.parameterAsEnumString(parameters, self.PRECISION, context),
                predictions_dir=kept, outputs=report_files(report, metrics),
                overwrite=True, progress=bridge.progress, cancel=bridge.cancel)
            write_reports(result, report, metrics, feedback, language=self.language)
        return {self.OUTPUT_REPORT: report, self.OUTPUT_METRICS: metrics or None,
                **miou_outputs(result)}
