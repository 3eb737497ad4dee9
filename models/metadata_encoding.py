"""The 45-value encoding of a FLAIR aerial metadata record, as FLAIR-1 feeds its MLP.

A record is one entry of ``flair_aerial_metadata.json`` (keyed ``IMG_xxxxxx``)::

    {"patch_centroid_x": 489353.59, "patch_centroid_y": 6587552.2,
     "patch_centroid_z": 55.2, "camera": "UCE-M3-f120-s06", "date": "2021-04-21",
     "time": "10h35", ...}

Layout (values in order):

* 0..31  centroid x (0..15) and y (16..31): sin/cos pairs at 8 frequencies
* 32     altitude / 3164.9099121094 (FLAIR's highest patch)
* 33..34 camera one-hot: [1, 0] for a "UCE" camera, else [0, 1]
* 35..38 year one-hot 2018, 2019, 2020, 2021 (all 0 for any other year)
* 39..44 month, day of month, time of day: sin and cos each, mapped to 0..1

The numbers follow FLAIR-1's encoder exactly, so weights trained there see the inputs
they were trained on. That includes a quirk: FLAIR-1 computes the month angle as
``2π·(month − 1/12)``, a whole number of turns plus a constant, so both month values are
the same for every month (0.25 and ≈0.933). We keep it: "fixing" it would feed
FLAIR-1-trained weights values they never saw.

Pure Python (no numpy, no torch): the QGIS side may build encodings without torch.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Tuple

METADATA_DIM = 45
"""Length of the encoding: 32 position + 1 altitude + 2 camera + 4 year + 6 date/time."""

MAX_ALTITUDE_M = 3164.9099121094
"""FLAIR-1's altitude divisor (the highest patch centroid of the dataset)."""

ENCODED_YEARS: Tuple[int, ...] = (2018, 2019, 2020, 2021)

_COORD_SCALE = 1e8  # FLAIR-1 divides Lambert-93 metres by 10e7 (= 1e8) ...
_COORD_FREQUENCIES = 8  # ... and uses 8 frequencies 1e8 ** (-k / 8), k = 0..7

REQUIRED_KEYS: Tuple[str, ...] = ("patch_centroid_x", "patch_centroid_y", "patch_centroid_z",
                                  "camera", "date", "time")


def encode_aerial_metadata(record: Mapping[str, Any]) -> Tuple[float, ...]:
    """The 45-value encoding of one FLAIR aerial metadata record (see the module doc)."""
    missing = [k for k in REQUIRED_KEYS if k not in record]
    if missing:
        raise ValueError(f"aerial metadata record lacks {', '.join(missing)}; a FLAIR record "
                         f"has {', '.join(REQUIRED_KEYS)}")
    values = (_encode_position(float(record["patch_centroid_x"]))
              + _encode_position(float(record["patch_centroid_y"]))
              + (float(record["patch_centroid_z"]) / MAX_ALTITUDE_M,)
              + _encode_camera(str(record["camera"]))
              + _encode_date_time(str(record["date"]), str(record["time"])))
    assert len(values) == METADATA_DIM
    return values


def _encode_position(metres: float) -> Tuple[float, ...]:
    scaled = metres / _COORD_SCALE
    out = []
    for k in range(_COORD_FREQUENCIES):
        angle = scaled / _COORD_SCALE ** (k / _COORD_FREQUENCIES)
        out += [math.sin(angle), math.cos(angle)]
    return tuple(out)


def _encode_camera(camera: str) -> Tuple[float, float]:
    return (1.0, 0.0) if "UCE" in camera else (0.0, 1.0)


def _encode_date_time(date: str, time: str) -> Tuple[float, ...]:
    year, month, day = _parse_date(date)
    seconds = _parse_time(time)
    years = tuple(1.0 if year == y else 0.0 for y in ENCODED_YEARS)
    month_angle = 2 * math.pi * (month - 1 / 12)  # FLAIR-1's formula, quirk kept (see doc)
    day_angle = 2 * math.pi * day / 31
    time_angle = 2 * math.pi * seconds / 86400
    cyclic = []
    for angle in (month_angle, day_angle, time_angle):
        cyclic += [_unit(math.sin(angle)), _unit(math.cos(angle))]
    return years + tuple(cyclic)


def _unit(value: float) -> float:
    """-1..1 -> 0..1."""
    return (value + 1) / 2


def _parse_date(date: str) -> Tuple[int, int, int]:
    try:
        year, month, day = (int(p) for p in date.split("-"))
    except ValueError:
        raise ValueError(f"aerial metadata date {date!r} is not YYYY-MM-DD") from None
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise ValueError(f"aerial metadata date {date!r} has no such month or day")
    return year, month, day


def _parse_time(time: str) -> int:
    """Seconds since midnight of FLAIR's "HHhMM" (also accepts "HH:MM")."""
    parts = time.lower().replace(":", "h").split("h")
    try:
        hours, minutes = int(parts[0]), int(parts[1])
    except (ValueError, IndexError):
        raise ValueError(f"aerial metadata time {time!r} is not HHhMM (e.g. '10h35')") from None
    if len(parts) != 2 or not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ValueError(f"aerial metadata time {time!r} is not HHhMM (e.g. '10h35')")
    return hours * 3600 + minutes * 60
