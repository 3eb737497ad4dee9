"""The Processing algorithms, one a module. The provider lists ``ALGORITHMS``."""

from .apply_style import ApplyStyleAlgorithm
from .compare import CompareAlgorithm
from .download_model import DownloadModelAlgorithm
from .evaluate import EvaluateAlgorithm
from .evaluate_model import EvaluateModelAlgorithm
from .export_patches import ExportPatchesAlgorithm
from .install_packages import InstallPackagesAlgorithm
from .landcover_polygons import LandcoverPolygonsAlgorithm
from .low_confidence import LowConfidenceAlgorithm
from .polygon_statistics import PolygonStatisticsAlgorithm
from .segment_aerial import SegmentAerialAlgorithm
from .segment_catalogue import SegmentCatalogueAlgorithm
from .segment_multimodal import SegmentMultimodalAlgorithm
from .train import TrainAlgorithm

ALGORITHMS = (ApplyStyleAlgorithm, SegmentAerialAlgorithm, SegmentMultimodalAlgorithm,
              SegmentCatalogueAlgorithm, ExportPatchesAlgorithm, TrainAlgorithm,
              EvaluateAlgorithm, EvaluateModelAlgorithm,
              DownloadModelAlgorithm, InstallPackagesAlgorithm, PolygonStatisticsAlgorithm,
              LowConfidenceAlgorithm, CompareAlgorithm, LandcoverPolygonsAlgorithm)
