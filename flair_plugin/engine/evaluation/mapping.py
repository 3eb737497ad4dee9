"""Class mapping tables: a user's nomenclature -> FLAIR codes.

Photo-interpreters annotate in their own nomenclature (OCS GE, a regional land-use
map...). A table maps each of their values to a FLAIR code; the user edits it as a CSV
or a QGIS table layer. Pure Python (csv only): the toolbox and styling use it without
numpy or rasterio.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from typing import Dict, Iterable, Mapping, Optional, Sequence, Union

from ...nomenclature import CLASSES
from ..errors import InputError

PathLike = Union[str, os.PathLike]

EXCLUDED = 0
"""Code a mapping gives a value left out on purpose (an empty or 0 code in the table)."""


def code_of(text: str) -> Optional[int]:
    """A FLAIR code from a table cell: the code (1..19), a class name, or EXCLUDED."""
    text = text.strip()
    if text in ("", "0", "-"):
        return EXCLUDED
    try:
        number = float(text)
    except ValueError:
        names = {c.name.lower(): c.code for c in CLASSES}
        return names.get(text.lower())
    if number == int(number) and any(c.code == int(number) for c in CLASSES):
        return int(number)
    return None


def value_key(value: object) -> Optional[str]:
    """The comparable text of a class value: ``3``, ``3.0`` and ``'3'`` are one value."""
    if value is None:
        return None
    if isinstance(value, float) and value == int(value):
        value = int(value)
    text = str(value).strip()
    try:
        number = float(text)
        if number == int(number):
            return str(int(number))
    except ValueError:
        pass
    return text


@dataclass(frozen=True)
class ClassMapping:
    """Class values of an annotation (any nomenclature) -> FLAIR codes (0: left out)."""

    codes: Mapping[str, int]
    source: str = "table"

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[object]], source: str = "table"
                  ) -> "ClassMapping":
        """(value, FLAIR code or English class name) rows; a header row is skipped.

        Raises:
            InputError: a code that is neither a FLAIR code nor a class name, a value
                given twice with different codes, or no row at all.
        """
        codes: Dict[str, int] = {}
        for number, row in enumerate(rows, start=1):
            if len(row) < 2 or all(c in (None, "") for c in row[:2]):
                continue
            value, target = value_key(row[0]), "" if row[1] is None else str(row[1])
            code = code_of(target)
            if code is None:
                if number == 1:  # a header such as "value,flair_code"
                    continue
                raise InputError(
                    f"{source}, row {number}: {target!r} is neither a FLAIR code (1..19) nor "
                    f"a FLAIR class name; write the code, or leave it empty to leave value "
                    f"{row[0]!r} out of the evaluation")
            if value in codes and codes[value] != code:
                raise InputError(f"{source}: value {row[0]!r} is mapped twice, to "
                                 f"{codes[value]} and {code}; keep one row per value")
            codes[value] = code
        if not codes:
            raise InputError(f"{source} holds no (value, FLAIR code) row: write one row per "
                             f"class of your nomenclature, e.g. 'CS1.1.1.1,1'")
        return cls(dict(codes), source)

    @classmethod
    def from_csv(cls, path: PathLike) -> "ClassMapping":
        """A CSV of (value, FLAIR code) rows; comma, semicolon or tab separated.

        Raises:
            InputError: a missing or unreadable file, or a bad row (see :meth:`from_rows`).
        """
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise InputError(f"class mapping table {path} does not exist")
        with open(path, encoding="utf-8-sig", newline="") as f:
            text = f.read()
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        return cls.from_rows(csv.reader(text.splitlines(), dialect),
                             source=f"mapping table {os.path.basename(path)}")

    def code(self, value: object) -> Optional[int]:
        """The FLAIR code of ``value``; EXCLUDED when left out; None when not mapped."""
        return self.codes.get(value_key(value))


