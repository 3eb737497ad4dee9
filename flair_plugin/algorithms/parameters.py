"""Parameter definitions shared by several algorithms (one definition, one behaviour)."""

from qgis.core import (QgsProcessingParameterBand, QgsProcessingParameterBoolean,
                       QgsProcessingParameterDefinition, QgsProcessingParameterEnum)

from ..nomenclature import SCHEME_KEYS, SCHEMES


def scheme_parameter(name: str = "SCHEME", default: str = "flair19") -> QgsProcessingParameterEnum:
    """Which meaning the raster values have. Static strings: ``SCHEME=flairhub`` works on
    the command line and in saved models, where an index would silently shift if the list
    ever grows."""
    param = QgsProcessingParameterEnum(
        name, "Class scheme of the raster values", options=list(SCHEME_KEYS),
        defaultValue=default)
    param.setUsesStaticStrings(True)
    param.setHelp("; ".join(f"{key}: {SCHEMES[key].title}" for key in SCHEME_KEYS))
    return param


def band_parameter(name: str, layer_parameter: str, description: str = "Band",
                   default: int = 1) -> QgsProcessingParameterBand:
    """A band of ``layer_parameter``. Optional so that ``qgis_process`` applies the
    default (QGIS 3.22 treats a band parameter with no value as missing otherwise); read it
    with :func:`band_value`."""
    return QgsProcessingParameterBand(name, description, defaultValue=default,
                                      parentLayerParameterName=layer_parameter, optional=True)


def band_value(algorithm, parameters, name: str, context, default: int = 1) -> int:
    """The band chosen for ``name``, ``default`` when none was given."""
    return algorithm.parameterAsInt(parameters, name, context) or default


def replace_style_parameter(name: str = "REPLACE_STYLE") -> QgsProcessingParameterBoolean:
    param = QgsProcessingParameterBoolean(
        name, "Replace an existing .qml style that FLAIR Land Cover did not write",
        defaultValue=False)
    param.setFlags(param.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
    return param


def advanced(param):
    """Flag ``param`` as advanced: hidden under "Advanced parameters" in the dialog."""
    param.setFlags(param.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
    return param


def choice_parameter(name: str, description: str, options, default: str):
    """An enum of fixed words (``DEVICE=cuda`` on the command line, not an index)."""
    param = QgsProcessingParameterEnum(name, description, options=list(options),
                                       defaultValue=default)
    param.setUsesStaticStrings(True)
    return param


def device_parameter(name: str = "DEVICE"):
    param = advanced(choice_parameter(name, "Device", ("auto", "cpu", "cuda"), "auto"))
    param.setHelp("auto: the NVIDIA GPU when PyTorch sees one, else the CPU")
    return param


def extent_value(algorithm, parameters, name: str, context, crs):
    """The optional extent ``name`` as (xmin, ymin, xmax, ymax) in ``crs`` (the raster's:
    QGIS transforms an extent given in another CRS), None when not given."""
    if parameters.get(name) in (None, ""):
        return None
    rect = algorithm.parameterAsExtent(parameters, name, context, crs)
    if rect.isNull() or rect.isEmpty():
        return None
    return rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum()
