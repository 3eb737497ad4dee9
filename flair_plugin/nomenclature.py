"""The FLAIR nomenclature: the one source of truth for classes, colours and schemes.

Everything that names or colours a class (styles, the engine, metrics, training) reads
it from here, so a fix to a name or a colour reaches every output at once.

Vocabulary used across the project:

* a **code** is FLAIR's own class number, 1..19, as stored in the ``MSK_*.tif``
  annotations. Our prediction rasters hold codes too (0 = no data), so a prediction and
  an annotation read, style and compare the same way.
* a **scheme** says what the *values* of a raster mean. Other tools write other values:
  the FLAIR-1 baseline writes 0-based indices of a 13-class grouping, the official FLAIR-1
  zone detection writes ``code - 1``, FLAIR-HUB writes its own re-ordered 0-based indices.
  A scheme maps each raster value to a name, a colour and the FLAIR codes it stands for.
* a **class set** says which codes a model is trained on / scored on (19, 15, 12 classes).

This module is pure Python (no numpy, no qgis) so the toolbox can import it for free.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

NODATA = 0
"""Value written where a prediction has no data. FLAIR codes start at 1, so 0 is free."""

NOT_ANNOTATED = NODATA
"""Mask value of a pixel no annotation covers (patches exported from polygons): the
training ignores it (no loss, no score), as the evaluation ignores a reference's 0."""


@dataclass(frozen=True)
class FlairClass:
    """One class of the FLAIR nomenclature."""

    code: int
    name: str
    colour: str  # "#rrggbb", the official FLAIR colour
    name_fr: str = ""  # IGN's official French name (FLAIR-HUB's documentation)

    def label(self, language: str = "en") -> str:
        """The class name in ``language`` ("fr" or "en"); English for any other."""
        return self.name_fr if language == "fr" and self.name_fr else self.name

    @property
    def rgb(self) -> Tuple[int, int, int]:
        return hex_to_rgb(self.colour)


CLASSES: Tuple[FlairClass, ...] = (
    FlairClass(1, "building", "#db0e9a", "bâtiment"),
    FlairClass(2, "pervious surface", "#938e7b", "zone perméable"),
    FlairClass(3, "impervious surface", "#f80c00", "zone imperméable"),
    FlairClass(4, "bare soil", "#a97101", "sol nu"),
    FlairClass(5, "water", "#1553ae", "eau"),
    FlairClass(6, "coniferous", "#194a26", "conifère"),
    FlairClass(7, "deciduous", "#46e483", "feuillu"),
    FlairClass(8, "brushwood", "#f3a60d", "broussaille"),
    FlairClass(9, "vineyard", "#660082", "vigne"),
    FlairClass(10, "herbaceous vegetation", "#55ff00", "surface herbacée"),
    FlairClass(11, "agricultural land", "#fff30d", "culture"),
    FlairClass(12, "plowed land", "#e4df7c", "terre labourée"),
    FlairClass(13, "swimming pool", "#3de6eb", "piscine"),
    FlairClass(14, "snow", "#ffffff", "neige"),
    FlairClass(15, "clear cut", "#8ab3a0", "coupe"),
    FlairClass(16, "mixed", "#6b714f", "mixte"),
    FlairClass(17, "ligneous", "#c5dc42", "ligneux"),
    FlairClass(18, "greenhouse", "#9999ff", "serre"),
    FlairClass(19, "other", "#000000", "autre"),
)

CLASS_BY_CODE: Dict[int, FlairClass] = {c.code: c for c in CLASSES}
CODES: Tuple[int, ...] = tuple(c.code for c in CLASSES)


def hex_to_rgb(colour: str) -> Tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def flair_class(code: int) -> FlairClass:
    """The class of a FLAIR code, with an error that says what codes exist."""
    try:
        return CLASS_BY_CODE[int(code)]
    except KeyError:
        raise ValueError(f"{code} is not a FLAIR class code; codes are 1..19") from None


# --------------------------------------------------------------------------- class sets
# Which codes a model predicts or a metric scores. FLAIR-1 main / FLAIR-INC models have
# 19 logits (index = code - 1) but train with weight 0 on some of them.

CLASS_SETS: Dict[str, Tuple[int, ...]] = {
    "19cl": CODES,
    # FLAIR-INC "15cl": clear cut, mixed, ligneous and other are inactive.
    "15cl": tuple(c for c in CODES if c not in (15, 16, 17, 19)),
    # FLAIR-INC "12cl": only the first 12 logits are used.
    "12cl": tuple(range(1, 13)),
}

FLAIR1_SCORED_CODES: Tuple[int, ...] = CLASS_SETS["15cl"]
"""Codes that FLAIR-1 main keeps in its confusion matrix (15, 16, 17, 19 leave it)."""


# --------------------------------------------------------------------------- schemes


@dataclass(frozen=True)
class SchemeEntry:
    """One raster value of a scheme: what it is called, its colour, the codes it stands for."""

    value: int
    name: str
    colour: str
    codes: Tuple[int, ...]
    name_fr: str = ""  # French name; empty = the English one

    def label(self, language: str = "en") -> str:
        """The name in ``language`` ("fr" or "en"); English for any other."""
        return self.name_fr if language == "fr" and self.name_fr else self.name


@dataclass(frozen=True)
class Scheme:
    """What the values of a class raster mean."""

    key: str
    title: str
    entries: Tuple[SchemeEntry, ...]
    ignored_values: Tuple[int, ...] = ()  # left out of mIoU by FLAIR's convention

    @property
    def values(self) -> Tuple[int, ...]:
        return tuple(e.value for e in self.entries)

    def entry(self, value: int) -> SchemeEntry:
        for e in self.entries:
            if e.value == value:
                return e
        raise KeyError(f"value {value} is not part of scheme {self.key!r}")

    def value_of_code(self, code: int) -> int:
        """The raster value that stands for a FLAIR code under this scheme."""
        for e in self.entries:
            if code in e.codes:
                return e.value
        raise KeyError(f"code {code} has no value in scheme {self.key!r}")

    def code_to_value_table(self, fill: int = 255) -> List[int]:
        """A 256-entry lookup table code -> value (``fill`` where a code has none)."""
        table = [fill] * 256
        for e in self.entries:
            for c in e.codes:
                table[c] = e.value
        return table

    def value_to_code_table(self, fill: int = NODATA) -> List[int]:
        """A 256-entry lookup table value -> representative FLAIR code.

        A grouped value (baseline "other") maps to its first code; that is what a
        metric in FLAIR-19 terms can do with it.
        """
        table = [fill] * 256
        for e in self.entries:
            table[e.value] = e.codes[0]
        return table

    def subset(self, codes: Iterable[int]) -> "Scheme":
        """The same scheme restricted to entries standing for some of ``codes``.

        Used to show only the classes a model can predict in a legend.
        """
        wanted = set(codes)
        kept = tuple(e for e in self.entries if wanted.intersection(e.codes))
        return Scheme(self.key, self.title, kept, self.ignored_values)

    def localized(self, language: str) -> "Scheme":
        """The same scheme with its entries named in ``language`` (reports, legends)."""
        entries = tuple(SchemeEntry(e.value, e.label(language), e.colour, e.codes, e.name_fr)
                        for e in self.entries)
        return Scheme(self.key, self.title, entries, self.ignored_values)

    def labels(self, language: str = "en") -> Dict[int, str]:
        """Raster value -> class name in ``language`` (legends, reports)."""
        return {e.value: e.label(language) for e in self.entries}


def _flair19() -> Scheme:
    entries = tuple(SchemeEntry(c.code, c.name, c.colour, (c.code,), c.name_fr)
                    for c in CLASSES)
    ignored = tuple(c for c in CODES if c not in FLAIR1_SCORED_CODES)
    return Scheme("flair19", "FLAIR codes 1..19 (annotations, this plugin's predictions)",
                  entries, ignored)


def _flair19_index() -> Scheme:
    entries = tuple(SchemeEntry(c.code - 1, c.name, c.colour, (c.code,), c.name_fr)
                    for c in CLASSES)
    ignored = tuple(c - 1 for c in CODES if c not in FLAIR1_SCORED_CODES)
    return Scheme("flair19-index", "FLAIR codes minus 1, 0..18 (official FLAIR-1 zone "
                  "detection output)", entries, ignored)


def _baseline13() -> Scheme:
    # FLAIR-1 legacy / FLAIR-2: codes > 13 become 13, then minus 1; index 12 is "other".
    entries = [SchemeEntry(c.code - 1, c.name, c.colour, (c.code,), c.name_fr)
               for c in CLASSES[:12]]
    other = CLASS_BY_CODE[19]
    entries.append(SchemeEntry(12, other.name, other.colour, tuple(range(13, 20)),
                               other.name_fr))
    return Scheme("baseline13", "13-class baseline, 0..12 (FLAIR-1 legacy and FLAIR-2)",
                  tuple(entries), (12,))


FLAIRHUB_ORDER: Tuple[int, ...] = (1, 18, 13, 3, 2, 4, 5, 14, 10, 11, 12, 9, 7, 6, 8, 15, 17,
                                   16, 19)
"""FLAIR code of each FLAIR-HUB index 0..18 (FLAIR-HUB is 0-based and re-ordered)."""


HUB_LANDCOVER_TASK = "AERIAL_LABEL-COSIA"
"""FLAIR-HUB's land-cover task: 19 logits in :data:`FLAIRHUB_ORDER`."""
HUB_CROP_TASK = "ALL_LABEL-LPIS"
"""FLAIR-HUB's crop-type task (French LPIS): 23 logits, :data:`LPIS_CLASSES`."""
HUB_LANDCOVER_TRAINED = 15
"""FLAIR-HUB trains its land-cover logits 0..14 only (clear cut, ligneous, mixed and
undefined carry no loss weight): those four are never predicted."""
HUB_AERIAL = "AERIAL_RGBI"
HUB_SENTINEL2 = "SENTINEL2_TS"
HUB_SERIES_OPTIONS: Dict[str, str] = {
    "SENTINEL2_TS": "the Sentinel-2 series (--sentinel / Sentinel-2)",
    "SENTINEL1-ASC_TS": "the Sentinel-1 ascending series (--sentinel1-asc / Sentinel-1 "
                        "ascending)",
    "SENTINEL1-DESC_TS": "the Sentinel-1 descending series (--sentinel1-desc / Sentinel-1 "
                         "descending)",
}
"""Where each FLAIR-HUB series is given, in the command and in QGIS."""
HUB_AERIAL_BANDS: Tuple[str, ...] = ("red", "green", "blue", "nir")
"""Band order of FLAIR-HUB's aerial rasters (its channels are 1-based in this order)."""
HUB_AERIAL_MEANS: Tuple[float, ...] = (106.59, 105.66, 111.35)
HUB_AERIAL_STDS: Tuple[float, ...] = (39.78, 52.23, 45.62)
"""FLAIR-HUB's aerial normalisation for its default channels 4, 1, 2 (NIR, R, G), in
that order: ``(x - mean) / std`` per channel position."""
HUB_REFERENCE_DAY: Tuple[int, int] = (5, 15)
"""FLAIR-HUB dates a series' images in days from 15 May of each image's own year."""
HUB_AERIAL_IR_CHANNELS: Tuple[int, ...] = (4, 1, 2)
HUB_AERIAL_RGB_CHANNELS: Tuple[int, ...] = (1, 2, 3)


@dataclass(frozen=True)
class CropClass:
    """One class of FLAIR-HUB's crop-type (LPIS) task; ``value`` = logit index + 1 in our
    rasters (0 is no data)."""

    index: int
    name: str
    name_fr: str
    colour: str

    @property
    def value(self) -> int:
        return self.index + 1


LPIS_CLASSES: Tuple[CropClass, ...] = tuple(CropClass(i, n, f, c) for i, (n, f, c) in enumerate((
    ("grasses", "herbe prédominante", "#92d050"), ("wheat", "blé", "#d7e600"),
    ("barley", "orge", "#e0e000"), ("maize", "maïs", "#fff100"),
    ("other cereals", "autres céréales", "#ffff00"), ("rice", "riz", "#e8e8e8"),
    ("hemp/flax/tobacco", "lin/chanvre/tabac", "#dceaf7"),
    ("sunflower", "tournesol", "#d29ead"), ("rapeseed", "colza", "#d29ed0"),
    ("other oilseed crops", "autres oléagineux", "#ffbe99"), ("soy", "soja", "#ffc000"),
    ("other protein crops", "autres protéagineux", "#ff9000"),
    ("fodder legumes", "légumineuses fourragères", "#009999"),
    ("beetroots", "betterave", "#808000"), ("potatoes", "pomme de terre", "#a7a700"),
    ("other arable crops", "autres arables", "#89896d"), ("vineyard", "vigne", "#f2cfee"),
    ("olive groves", "oliveraie", "#6f6633"), ("fruit orchards", "verger fruits", "#ac8141"),
    ("nut orchards", "verger noix", "#996633"),
    ("other permanent crops", "autres pérennes", "#80c1d7"),
    ("mixed crops", "mélange", "#000000"), ("background", "autres", "#000000"))))
"""FLAIR-HUB's 23 crop-type classes (``flair-hub-qgis-style-lpis-num.qml``), index order."""


def lpis_scheme() -> "Scheme":
    """The values of a crop-type raster (1..23 = :data:`LPIS_CLASSES`), for its style."""
    entries = tuple(SchemeEntry(c.value, c.name, c.colour, (c.value,)) for c in LPIS_CLASSES)
    return Scheme("lpis", "FLAIR-HUB crop types (LPIS), 1..23", entries)


def hub_landcover_codes(num_logits: int = len(FLAIRHUB_ORDER)) -> Tuple[int, ...]:
    """FLAIR code of each FLAIR-HUB land-cover logit (0 = never predicted).

    Raises:
        ValueError: not FLAIR-HUB's 19 land-cover logits.
    """
    if num_logits != len(FLAIRHUB_ORDER):
        raise ValueError(f"FLAIR-HUB's land-cover task has {len(FLAIRHUB_ORDER)} logits, "
                         f"got {num_logits}")
    return tuple(code if i < HUB_LANDCOVER_TRAINED else NODATA
                 for i, code in enumerate(FLAIRHUB_ORDER))


def _flairhub() -> Scheme:
    entries = []
    for index, code in enumerate(FLAIRHUB_ORDER):
        c = CLASS_BY_CODE[code]
        name, name_fr = ("undefined", "indéterminé") if code == 19 else (c.name, c.name_fr)
        entries.append(SchemeEntry(index, name, c.colour, (code,), name_fr))
    # FLAIR-HUB leaves "undefined" out of its scores (*unconfirmed*: see README).
    return Scheme("flairhub", "FLAIR-HUB order, 0..18", tuple(entries), (18,))


SCHEMES: Dict[str, Scheme] = {s.key: s for s in (_flair19(), _baseline13(), _flairhub(),
                                                  _flair19_index())}
SCHEME_KEYS: Tuple[str, ...] = tuple(SCHEMES)


def scheme(key: str) -> Scheme:
    try:
        return SCHEMES[key]
    except KeyError:
        raise ValueError(f"unknown class scheme {key!r}; choose one of "
                         f"{', '.join(SCHEME_KEYS)}") from None


def schemes_covering(values: Iterable[int]) -> List[str]:
    """Keys of the schemes whose values include all of ``values`` (a hint for users)."""
    wanted = set(values)
    return [k for k, s in SCHEMES.items() if wanted.issubset(s.values)]


def code_to_baseline13(code: int) -> int:
    """FLAIR code -> 13-class baseline index (0..12)."""
    return SCHEMES["baseline13"].value_of_code(code)


# --------------------------------------------------------------------------- splits
# Official FLAIR domain splits (dataset card, "Data Splits").

DOMAINS_TRAIN: Tuple[str, ...] = (
    "D006_2020", "D007_2020", "D008_2019", "D009_2019", "D013_2020", "D016_2020",
    "D017_2018", "D021_2020", "D023_2020", "D030_2021", "D032_2019", "D033_2021",
    "D034_2021", "D035_2020", "D038_2021", "D041_2021", "D044_2020", "D046_2019",
    "D049_2020", "D051_2019", "D052_2019", "D055_2018", "D060_2021", "D063_2019",
    "D070_2020", "D072_2019", "D074_2020", "D078_2021", "D080_2021", "D081_2020",
    "D086_2020", "D091_2021")
DOMAINS_VAL: Tuple[str, ...] = (
    "D004_2021", "D014_2020", "D029_2021", "D031_2019", "D058_2020", "D066_2021",
    "D067_2021", "D077_2021")
DOMAINS_TEST_FLAIR2: Tuple[str, ...] = (
    "D015_2020", "D022_2021", "D026_2020", "D036_2020", "D061_2020", "D064_2021",
    "D068_2021", "D069_2020", "D071_2020", "D084_2021")
DEPARTMENTS_TEST_FLAIR1: Tuple[str, ...] = (
    "D012", "D022", "D026", "D064", "D068", "D071", "D075", "D076", "D083", "D085")


# --------------------------------------------------------------------------- bands

AERIAL_BANDS: Tuple[str, ...] = ("red", "green", "blue", "nir", "elevation")
"""The five bands of a FLAIR aerial patch, in file order."""

BAND_SETS: Dict[str, Tuple[str, ...]] = {
    "rgb": AERIAL_BANDS[:3],
    "rgbi": AERIAL_BANDS[:4],
    "rgbie": AERIAL_BANDS,
}

TRAIN_BAND_SETS: Dict[str, Tuple[str, ...]] = {
    **BAND_SETS,
    # FLAIR-HUB's aerial models (_IR_): near-infrared, red, green, read from R,G,B,NIR
    "nirrg": ("nir", "red", "green"),
}
"""Bands a training reads from FLAIR patches (R, G, B, NIR, elevation), by name."""


def patch_band_indexes(names: Sequence[str]) -> Tuple[int, ...]:
    """1-based bands of a FLAIR patch (R, G, B, NIR, elevation) holding ``names``.

    Raises:
        ValueError: a name that is not a FLAIR aerial band.
    """
    unknown = [n for n in names if n not in AERIAL_BANDS]
    if unknown:
        raise ValueError(f"bands {unknown} are not FLAIR aerial bands "
                         f"({', '.join(AERIAL_BANDS)})")
    return tuple(AERIAL_BANDS.index(n) + 1 for n in names)


FLAIR1_MEANS: Tuple[float, ...] = (105.08, 110.87, 101.82, 106.38, 53.26)
FLAIR1_STDS: Tuple[float, ...] = (52.17, 45.38, 44.00, 39.69, 79.30)
"""Per-band normalisation of FLAIR-1 main / FLAIR-INC on raw 0..255 values (R,G,B,NIR,E)."""

SENTINEL2_BANDS: Tuple[str, ...] = ("B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B11",
                                    "B12")

PIXEL_SIZE_M = 0.2
PATCH_SIZE = 512


def legend(scheme_key: str = "flair19", codes: Optional[Sequence[int]] = None,
           language: str = "en") -> List[Tuple[int, str, str]]:
    """(value, name, colour) rows of a scheme, optionally only for some codes, named in
    ``language`` ("en" or "fr")."""
    s = scheme(scheme_key)
    if codes is not None:
        s = s.subset(codes)
    return [(e.value, e.label(language), e.colour) for e in s.entries]


def class_names(codes: Iterable[int], language: str = "en") -> Mapping[int, str]:
    """FLAIR code -> class name in ``language`` ("en" or "fr")."""
    return {c: flair_class(c).label(language) for c in codes}
