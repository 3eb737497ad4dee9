"""Parameter definitions shared by several algorithms (one definition, one behaviour).

Choices, defaults and help texts come from :mod:`..engine.options`, which the headless
command reads too. Enum options are static strings (``DEVICE=cuda``): they are values as
much as labels, so they stay untranslated; their help text is translated. Texts written
here are translated in the ``FlairAlgorithm`` context (see :mod:`.base`).
"""

from qgis.core import (
    QgsProcessingParameterBand,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
)
from qgis.PyQt.QtCore import QCoreApplication

from ..engine import options
from ..engine.options import Choice
from ..nomenclature import SCHEME_KEYS, SCHEMES


def translated(text: str) -> str:
    """A help text of :mod:`..engine.options` (marked for the ``FlairAlgorithm`` context),
    translated, with its ``{defaults}`` filled in."""
    return options.described(QCoreApplication.translate("FlairAlgorithm", text))


def scheme_parameter(name: str = "SCHEME",
                     default: str = options.DEFAULT_SCHEME) -> QgsProcessingParameterEnum:
    """Which meaning the raster values have. Static strings: ``SCHEME=flairhub`` works on
    the command line and in saved models, where an index would silently shift if the list
    ever grows."""
    param = QgsProcessingParameterEnum(
        name, QCoreApplication.translate("FlairAlgorithm", "Class scheme of the raster values"),
        options=list(SCHEME_KEYS), defaultValue=default)
    param.setUsesStaticStrings(True)
    param.setHelp("; ".join(f"{key}: {SCHEMES[key].title}" for key in SCHEME_KEYS))
    return param


def band_parameter(name: str, layer_parameter: str, description: str = "",
                   default: int = 1) -> QgsProcessingParameterBand:
    """A band of ``layer_parameter``. Optional so that ``qgis_process`` applies the
    default (QGIS 3.22 treats a band parameter with no value as missing otherwise); read it
    with :func:`band_value`. ``description``: already translated (default "Band")."""
    description = description or QCoreApplication.translate("FlairAlgorithm", "Band")
    return QgsProcessingParameterBand(name, description, defaultValue=default,
                                      parentLayerParameterName=layer_parameter, optional=True)


def band_value(algorithm, parameters, name: str, context, default: int = 1) -> int:
    """The band chosen for ``name``, ``default`` when none was given."""
    return algorithm.parameterAsInt(parameters, name, context) or default


def replace_style_parameter(name: str = "REPLACE_STYLE") -> QgsProcessingParameterBoolean:
    return advanced(QgsProcessingParameterBoolean(
        name, QCoreApplication.translate(
            "FlairAlgorithm", "Replace an existing .qml style that FLAIR Land Cover did not "
                              "write"),
        defaultValue=False))


def advanced(param):
    """Flag ``param`` as advanced: hidden under "Advanced parameters" in the dialog."""
    param.setFlags(param.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
    return param


def choice_parameter(name: str, description: str, choices, default: str):
    """An enum of fixed words (``DEVICE=cuda`` on the command line, not an index)."""
    param = QgsProcessingParameterEnum(name, description, options=list(choices),
                                       defaultValue=default)
    param.setUsesStaticStrings(True)
    return param


def option_parameter(name: str, description: str, choice: Choice):
    """:func:`choice_parameter` for an option of :mod:`..engine.options`: its words, its
    default and its (translated) help, as the headless command has them."""
    param = choice_parameter(name, description, choice.choices, choice.default)
    param.setHelp(translated(choice.help))
    return param


def device_parameter(name: str = "DEVICE"):
    return advanced(option_parameter(
        name, QCoreApplication.translate("FlairAlgorithm", "Device"), options.DEVICE))


def extent_value(algorithm, parameters, name: str, context, crs):
    """The optional extent ``name`` as (xmin, ymin, xmax, ymax) in ``crs`` (the raster's:
    QGIS transforms an extent given in another CRS), None when not given."""
    if parameters.get(name) in (None, ""):
        return None
    rect = algorithm.parameterAsExtent(parameters, name, context, crs)
    if rect.isNull() or rect.isEmpty():
        return None
    return rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum()


def mapping_value(algorithm, parameters, name: str, context):
    """The class mapping table ``name``: a CSV read as the user wrote it, or a table
    layer's first two columns (value, FLAIR code or class name); None when not given.

    Raises:
        InputError: a bad row (see ``ClassMapping.from_rows``).
        QgsProcessingException: a table that cannot be read.
    """
    import os

    from qgis.core import QgsProcessingException

    from ..engine.evaluation.mapping import ClassMapping

    given = parameters.get(name)
    if given in (None, ""):
        return None
    if isinstance(given, str) and given.lower().endswith((".csv", ".txt")) and \
            os.path.isfile(given):
        return ClassMapping.from_csv(given)
    source = algorithm.parameterAsSource(parameters, name, context)
    if source is None:
        raise QgsProcessingException(QCoreApplication.translate(
            "FlairAlgorithm", "The mapping table could not be read."))
    names = source.fields().names()
    rows = [names[:2]] + [feature.attributes()[:2] for feature in source.getFeatures()]
    return ClassMapping.from_rows(rows, source=QCoreApplication.translate(
        "FlairAlgorithm", "mapping table {name}").format(name=source.sourceName()))


def polygon_layer_path(algorithm, parameters, name: str, context, feedback):
    """(file, layer name or None) of the polygon layer ``name``, None when not given. A
    layer without a file (memory, filtered, selected features) is saved to a temporary
    GeoPackage first: the engine reads files."""
    if algorithm.parameterAsVectorLayer(parameters, name, context) is None:
        return None
    path, layer = algorithm.parameterAsCompatibleSourceLayerPathAndLayerName(
        parameters, name, context, ["gpkg", "shp", "geojson", "fgb"], "gpkg", feedback)
    return path, layer or None
