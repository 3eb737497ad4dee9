"""Write QGIS ``.qml`` styles for class rasters, without QGIS.

The engine writes a sidecar ``<raster>.qml`` beside every class raster it produces, also
on a GPU server with no QGIS; QGIS applies a sidecar of the same name automatically when
the raster is loaded. So the style is plain XML built from the nomenclature here, and the
QGIS side loads this same file: one source for every legend.

A marker property (``flair_landcover/scheme``) tells our own sidecars apart from a
user's hand-made style, which we never overwrite without being asked.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Optional, Sequence, Union

from ..engine.errors import OutputExistsError
from ..engine.io.atomic import atomic_open
from ..nomenclature import Scheme, SchemeEntry
from ..nomenclature import scheme as get_scheme

MARKER = "flair_landcover/scheme"

PathLike = Union[str, os.PathLike]


def sidecar_path(raster_path: PathLike) -> Path:
    """Where QGIS looks for a raster's default style: ``x.tif`` -> ``x.qml``."""
    return Path(raster_path).with_suffix(".qml")


WHITE_SWATCH = "#ebebeb"
"""The legend swatch of a white class (snow): pure white disappears on QGIS's white legend
and map background, a light grey is seen and still reads as white."""


def swatch(colour: str) -> str:
    """``colour`` as drawn: the official colour, a light grey for pure white."""
    return WHITE_SWATCH if colour.lower() == "#ffffff" else colour


def paletted_qml(scheme: Union[str, Scheme], band: int = 1,
                 codes: Optional[Sequence[int]] = None, language: str = "en") -> str:
    """The QML text of a paletted renderer for ``scheme`` (optionally only some codes),
    class names in ``language`` ("en" or "fr")."""
    s = get_scheme(scheme) if isinstance(scheme, str) else scheme
    if codes is not None:
        s = s.subset(codes)
    root = ET.Element("qgis", {"version": "3.22.0", "styleCategories": "Symbology",
                               "hasScaleBasedVisibilityFlag": "0"})
    props = ET.SubElement(ET.SubElement(root, "customproperties"), "Option", {"type": "Map"})
    ET.SubElement(props, "Option", {"type": "QString", "name": MARKER, "value": s.key})
    pipe = ET.SubElement(root, "pipe")
    # Nearest neighbour at every zoom: interpolating class codes would invent classes.
    ET.SubElement(ET.SubElement(pipe, "provider"), "resampling", {
        "enabled": "false", "maxOversampling": "2",
        "zoomedInResamplingMethod": "nearestNeighbour",
        "zoomedOutResamplingMethod": "nearestNeighbour"})
    renderer = ET.SubElement(pipe, "rasterrenderer", {
        "type": "paletted", "band": str(band), "opacity": "1", "alphaBand": "-1",
        "nodataColor": ""})
    palette = ET.SubElement(renderer, "colorPalette")
    for e in s.entries:
        ET.SubElement(palette, "paletteEntry", {"value": str(e.value),
                                                "label": e.label(language),
                                                "color": swatch(e.colour), "alpha": "255"})
    return _finish(root, pipe)


def _finish(root: ET.Element, pipe: ET.Element) -> str:
    ET.SubElement(pipe, "brightnesscontrast", {"brightness": "0", "contrast": "0",
                                               "gamma": "1"})
    ET.SubElement(pipe, "rasterresampler", {"maxOversampling": "2"})
    ET.SubElement(root, "blendMode").text = "0"
    ET.indent(root)
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            + ET.tostring(root, encoding="unicode") + "\n")


CONFIDENCE_RAMP = ((0, "#d7191c"), (128, "#fdae61"), (191, "#ffffbf"), (255, "#1a9641"))
"""Confidence 0..255 (winning class's probability × 255): red = unsure, yellow = half
sure, green = sure; the stops match the 0.5 and 0.75 probabilities interpreters check."""


def confidence_qml(band: int = 1, labels: Sequence[str] = ("0 %", "50 %", "75 %",
                                                           "100 %")) -> str:
    """A singleband pseudocolour style for a confidence raster (0..255): a red-yellow-
    green ramp, ``labels`` (already translated) beside its four stops."""
    root = ET.Element("qgis", {"version": "3.22.0", "styleCategories": "Symbology",
                               "hasScaleBasedVisibilityFlag": "0"})
    props = ET.SubElement(ET.SubElement(root, "customproperties"), "Option", {"type": "Map"})
    ET.SubElement(props, "Option", {"type": "QString", "name": MARKER, "value": "confidence"})
    pipe = ET.SubElement(root, "pipe")
    renderer = ET.SubElement(pipe, "rasterrenderer", {
        "type": "singlebandpseudocolor", "band": str(band), "opacity": "1",
        "alphaBand": "-1", "classificationMin": "0", "classificationMax": "255",
        "nodataColor": ""})
    shader = ET.SubElement(ET.SubElement(renderer, "rastershader"), "colorrampshader", {
        "colorRampType": "INTERPOLATED", "classificationMode": "1", "clip": "0",
        "minimumValue": "0", "maximumValue": "255"})
    for (value, colour), label in zip(CONFIDENCE_RAMP, labels):
        ET.SubElement(shader, "item", {"value": str(value), "color": colour,
                                       "label": label, "alpha": "255"})
    return _finish(root, pipe)


def legend_scheme(key: str, title: str, rows: Sequence[tuple]) -> Scheme:
    """A scheme for a raster that is not land cover (agreement map...): (value, label,
    colour) rows, styled and recognised like the FLAIR ones."""
    return Scheme(key, title, tuple(SchemeEntry(v, label, colour, ()) for v, label, colour
                                    in rows))


def is_our_style(qml_path: PathLike) -> bool:
    """True if ``qml_path`` is a sidecar this plugin wrote (safe to replace)."""
    try:
        root = ET.parse(str(qml_path)).getroot()
    except (ET.ParseError, OSError):
        return False
    return any(o.get("name") == MARKER for o in root.iter("Option"))


def palette_values(qml_path: PathLike) -> list:
    """The values a paletted style names, in its order (empty if none)."""
    return [int(e.get("value")) for e in ET.parse(str(qml_path)).getroot().iter("paletteEntry")]


def would_replace_users_style(target: PathLike, replace: bool = False) -> bool:
    """True when writing ``target`` would replace a style this plugin did not write."""
    return Path(target).exists() and not replace and not is_our_style(target)


class StyleExistsError(OutputExistsError):
    """A style file that is not ours sits where the sidecar would go."""


def write_sidecar(raster_path: PathLike, scheme: Union[str, Scheme], band: int = 1,
                  codes: Optional[Sequence[int]] = None, replace: bool = False,
                  language: str = "en", text: Optional[str] = None) -> Path:
    """Write ``<raster>.qml``; refuse to replace a user's own style unless ``replace``.

    Written to a temporary file and renamed, so a reader never sees half a style; a
    style that appears meanwhile where there was none is kept (OutputExistsError).

    Raises:
        StyleExistsError: ``target`` is a user's style and ``replace`` is False.
        OutputExistsError: a style appeared at ``target`` while this one was written.

    ``language``: of the class names; ``text``: a ready QML (e.g. :func:`confidence_qml`)
    written instead of the scheme's palette.
    """
    target = sidecar_path(raster_path)
    if would_replace_users_style(target, replace):
        raise StyleExistsError(
            f"{target} already exists and was not written by FLAIR Land Cover; it is "
            "kept. Move it away, or allow replacing existing styles.")
    text = text if text is not None else paletted_qml(scheme, band, codes, language)
    with atomic_open(target, "w", overwrite=target.exists(), encoding="utf-8") as f:
        f.write(text)
    return target
