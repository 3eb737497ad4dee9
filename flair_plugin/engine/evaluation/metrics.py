"""Confusion matrix and the scores of a land-cover map, with FLAIR's mIoU convention.

Numpy only (no rasterio, no qgis, no torch): training, the raster evaluation and tests
all score with the same code.

The matrix is K×K over the *values of one scheme* (``nomenclature.Scheme``), in the
scheme's entry order: rows = reference (annotation), columns = prediction. Index ``i``
stands for ``scheme.entries[i]``.

FLAIR's mIoU convention, as read in IGN's public code
------------------------------------------------------
Two conventions live in the official repositories; which one applies depends on the
class scheme the scores are reported in (:data:`SCHEME_CONVENTIONS`).

* **FLAIR-1 main / FLAIR-INC** (``IGNF/FLAIR-1`` ``src/flair/metrics.py``, function
  ``metrics``) and **FLAIR-HUB** (``IGNF/FLAIR-HUB``
  ``src/flair_hub/writer/metrics_utils.py``, ``compute_and_save_metrics``): the summed
  confusion matrix loses the rows *and* the columns of the classes with loss weight 0
  (``np.delete(..., axis=0)`` then ``axis=1`` / ``confmat[np.ix_(used, used)]``). So a
  pixel whose reference *or* prediction is an ignored class leaves the matrix entirely; it
  is not a false negative or false positive of any scored class. IoU, precision, recall,
  F-score and overall accuracy are then computed on that reduced matrix, an undefined
  value (a class absent from both rasters: 0/0) is **set to 0** (``ious[np.isnan(ious)] =
  0``) and the mIoU is the plain mean over the kept classes, **absent classes counting
  as 0**.
* **FLAIR-1 legacy baseline and FLAIR-2** (``IGNF/FLAIR-1`` ``py_module/generate_miou.py``
  and FLAIR-2's ``generate_miou``, 13 classes): the full matrix is kept ("without
  excluding pixels belonging to the 'other' class"), IoU is computed per class on it and
  the mIoU is ``nansum(ious[:-1]) / count_not_nan(ious[:-1])``: the last class ("other")
  is left out and **absent classes (NaN) are left out of the mean**.

We follow each exactly for the official ``miou`` and ``overall_accuracy``. Per class we
never report an absent class as 0: its IoU/F1 are ``None`` and it is flagged ``absent``;
:attr:`Metrics.miou_present` gives the mean over the scored classes that are present,
which is what the second convention computes anyway. Scores are fractions in 0..1 (FLAIR-1
main prints percentages; the FLAIR papers quote fractions such as 0.5443).

Which classes are ignored comes from ``Scheme.ignored_values`` (never re-typed here):
FLAIR-1 main leaves out codes 15, 16, 17, 19; the 13-class baseline leaves out index 12
"other"; FLAIR-HUB leaves out "undefined".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from ...nomenclature import Scheme
from ...nomenclature import scheme as scheme_by_key

SchemeLike = Union[str, Scheme]


# --------------------------------------------------------------------------- conventions

@dataclass(frozen=True)
class MiouConvention:
    """How an official FLAIR script turns a confusion matrix into its mIoU."""

    key: str
    drop_ignored: bool  # remove the ignored classes' rows and columns before scoring
    absent_counts_zero: bool  # an absent class (IoU 0/0) counts 0 in the mean
    description: str
    source: str

    def to_dict(self) -> Dict[str, object]:
        return {"key": self.key, "drop_ignored_rows_and_columns": self.drop_ignored,
                "absent_classes_count_as_zero": self.absent_counts_zero,
                "description": self.description, "source": self.source}


FLAIR1_MAIN = MiouConvention(
    "flair-1-main", drop_ignored=True, absent_counts_zero=True,
    description="ignored classes' rows and columns removed from the matrix; mean IoU over "
                "the other classes, a class absent from both rasters counting 0",
    source="IGNF/FLAIR-1 src/flair/metrics.py (metrics); IGNF/FLAIR-HUB "
           "src/flair_hub/writer/metrics_utils.py (compute_and_save_metrics)")

FLAIR_BASELINE = MiouConvention(
    "flair-baseline", drop_ignored=False, absent_counts_zero=False,
    description="full matrix kept; mean IoU over the classes that are not ignored, a class "
                "absent from both rasters left out of the mean",
    source="IGNF/FLAIR-1 py_module/generate_miou.py (calc_miou); FLAIR-2 generate_miou")

SCHEME_CONVENTIONS: Dict[str, MiouConvention] = {
    "flair19": FLAIR1_MAIN,
    "flair19-index": FLAIR1_MAIN,
    "flairhub": FLAIR1_MAIN,
    "baseline13": FLAIR_BASELINE,
}


def convention_for(scheme: SchemeLike) -> MiouConvention:
    """The FLAIR convention of the scripts that report in ``scheme`` (FLAIR-1 main otherwise)."""
    return SCHEME_CONVENTIONS.get(_scheme(scheme).key, FLAIR1_MAIN)


def _scheme(value: SchemeLike) -> Scheme:
    return scheme_by_key(value) if isinstance(value, str) else value


# --------------------------------------------------------------------------- the matrix

class ConfusionMatrix:
    """Pixel counts of (reference, prediction) pairs over the values of one scheme.

    ``matrix[i, j]`` = pixels whose reference is ``scheme.entries[i]`` and prediction
    ``scheme.entries[j]``; int64, so 1.5·10¹¹ pixels (a département) fit many times over.
    """

    def __init__(self, scheme: SchemeLike = "flair19",
                 matrix: Optional[np.ndarray] = None) -> None:
        self.scheme = _scheme(scheme)
        k = len(self.scheme.entries)
        if matrix is None:
            matrix = np.zeros((k, k), dtype=np.int64)
        matrix = np.asarray(matrix)
        if matrix.shape != (k, k):
            raise ValueError(f"a confusion matrix of scheme {self.scheme.key!r} is {k}×{k}, "
                             f"got {matrix.shape}")
        if matrix.size and (not np.issubdtype(matrix.dtype, np.integer) or matrix.min() < 0):
            raise ValueError("confusion matrix counts must be non-negative integers")
        self.matrix = matrix.astype(np.int64, copy=True)
        # value -> index; -1 for anything that is not a value of the scheme
        self._index = np.full(256, -1, dtype=np.int64)
        for i, v in enumerate(self.scheme.values):
            self._index[v] = i

    @property
    def size(self) -> int:
        return self.matrix.shape[0]

    @property
    def total(self) -> int:
        return int(self.matrix.sum())

    def update_indices(self, reference: np.ndarray, prediction: np.ndarray) -> None:
        """Count pairs of entry indices (0..K-1, same shape, all valid) in one bincount."""
        k = self.size
        flat = reference.astype(np.int64, copy=False).ravel() * k
        flat += prediction.astype(np.int64, copy=False).ravel()
        self.matrix += np.bincount(flat, minlength=k * k).reshape(k, k)

    def update(self, reference: np.ndarray, prediction: np.ndarray) -> int:
        """Count pairs of scheme *values*; a pair where either is not a value is skipped.

        Returns the number of pixels counted.
        """
        reference, prediction = np.asarray(reference), np.asarray(prediction)
        if reference.shape != prediction.shape:
            raise ValueError(f"reference {reference.shape} and prediction {prediction.shape} "
                             f"differ in shape")
        ref, pred = self.indices_of(reference), self.indices_of(prediction)
        ok = (ref >= 0) & (pred >= 0)
        self.update_indices(ref[ok], pred[ok])
        return int(ok.sum())

    def indices_of(self, values: np.ndarray) -> np.ndarray:
        """Entry index of each value, -1 where the value is not part of the scheme."""
        values = np.asarray(values)
        if not np.issubdtype(values.dtype, np.integer):
            raise ValueError(f"class values must be integers, got {values.dtype}")
        inside = (values >= 0) & (values < 256)
        return np.where(inside, self._index[np.where(inside, values, 0)], -1)

    def __add__(self, other: "ConfusionMatrix") -> "ConfusionMatrix":
        self._check_same_scheme(other)
        return ConfusionMatrix(self.scheme, self.matrix + other.matrix)

    def __iadd__(self, other: "ConfusionMatrix") -> "ConfusionMatrix":
        self._check_same_scheme(other)
        self.matrix += other.matrix
        return self

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ConfusionMatrix) and other.scheme.key == self.scheme.key
                and np.array_equal(self.matrix, other.matrix))

    def __repr__(self) -> str:
        return f"ConfusionMatrix({self.scheme.key!r}, {self.total} pixels)"

    def _check_same_scheme(self, other: "ConfusionMatrix") -> None:
        if not isinstance(other, ConfusionMatrix):
            raise TypeError(f"cannot add {type(other).__name__} to a ConfusionMatrix")
        if other.scheme.key != self.scheme.key or other.size != self.size:
            raise ValueError(f"cannot merge confusion matrices of schemes "
                             f"{self.scheme.key!r} and {other.scheme.key!r}")

    def ignored_indices(self) -> List[int]:
        """Entry indices of the classes FLAIR's convention leaves out of the mIoU."""
        ignored = set(self.scheme.ignored_values)
        return [i for i, v in enumerate(self.scheme.values) if v in ignored]

    def metrics(self, convention: Optional[MiouConvention] = None) -> "Metrics":
        return compute_metrics(self, convention)


# --------------------------------------------------------------------------- plain scores
# Each returns NaN where the score is undefined (0/0): the caller decides what that means.

def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def iou_per_class(matrix: np.ndarray) -> np.ndarray:
    """TP / (TP + FP + FN) per class; NaN for a class absent from both rows and columns."""
    tp = np.diag(matrix)
    return _ratio(tp, matrix.sum(0) + matrix.sum(1) - tp)


def precision_per_class(matrix: np.ndarray) -> np.ndarray:
    """TP / predicted pixels; NaN where the class is never predicted."""
    return _ratio(np.diag(matrix), matrix.sum(0))


def recall_per_class(matrix: np.ndarray) -> np.ndarray:
    """TP / reference pixels; NaN where the class is not in the reference."""
    return _ratio(np.diag(matrix), matrix.sum(1))


def f1_per_class(matrix: np.ndarray) -> np.ndarray:
    """2TP / (2TP + FP + FN), the harmonic mean of precision and recall.

    Written this way it is defined (0) for a class predicted but absent from the
    reference, and NaN only for a class absent from both.
    """
    tp = np.diag(matrix)
    return _ratio(2 * tp, matrix.sum(0) + matrix.sum(1))


def overall_accuracy(matrix: np.ndarray) -> float:
    """Share of pixels on the diagonal; NaN for an empty matrix."""
    total = matrix.sum()
    return float(np.trace(matrix) / total) if total else float("nan")


def cohen_kappa(matrix: np.ndarray) -> float:
    """Cohen's kappa: (p_o - p_e) / (1 - p_e), p_e from the row and column marginals.

    NaN for an empty matrix and where p_e = 1 (both rasters hold one and the same class
    only: agreement by chance is certain, kappa is undefined).
    """
    m = matrix.astype(np.float64)
    total = m.sum()
    if not total:
        return float("nan")
    po = np.trace(m) / total
    pe = float((m.sum(0) * m.sum(1)).sum() / (total * total))
    if pe >= 1.0:
        return float("nan")
    return float((po - pe) / (1.0 - pe))


def flair_miou(matrix: np.ndarray, ignored: Sequence[int],
               convention: MiouConvention) -> float:
    """FLAIR's mIoU of ``matrix`` leaving out entry indices ``ignored`` (see module doc).

    NaN when nothing is left to score (an empty matrix), rather than FLAIR-1 main's 0.
    """
    scored = [i for i in range(matrix.shape[0]) if i not in set(ignored)]
    if not scored:
        return float("nan")
    if convention.drop_ignored:
        reduced = matrix[np.ix_(scored, scored)]
        if not reduced.sum():
            return float("nan")
        ious = iou_per_class(reduced)
    else:
        ious = iou_per_class(matrix)[scored]
    if convention.absent_counts_zero:
        return float(np.nan_to_num(ious, nan=0.0).mean())
    return float(np.nanmean(ious)) if np.isfinite(ious).any() else float("nan")


# --------------------------------------------------------------------------- summaries

@dataclass(frozen=True)
class ClassMetrics:
    """The scores of one class. ``None`` = undefined (0/0), never a made-up 0 or 1.

    ``reference_pixels``/``predicted_pixels`` count the whole matrix. The ratios of a
    scored class come from the matrix FLAIR's convention scores (under FLAIR-1 main: after
    removing the ignored classes' rows and columns); those of an ignored class from the
    full matrix, for information only. ``absent``: no pixel of the class in that matrix,
    reference or prediction (in practice: absent from both rasters), so it has no IoU.
    """

    index: int
    value: int
    name: str
    colour: str
    codes: Tuple[int, ...]
    reference_pixels: int
    predicted_pixels: int
    true_positives: int
    iou: Optional[float]
    precision: Optional[float]
    recall: Optional[float]
    f1: Optional[float]
    ignored: bool
    absent: bool

    def to_dict(self) -> Dict[str, object]:
        return {"value": self.value, "name": self.name, "colour": self.colour,
                "codes": list(self.codes), "reference_pixels": self.reference_pixels,
                "predicted_pixels": self.predicted_pixels,
                "true_positives": self.true_positives, "iou": self.iou,
                "precision": self.precision, "recall": self.recall, "f1": self.f1,
                "ignored_by_flair_convention": self.ignored,
                "absent_from_both": self.absent}


@dataclass(frozen=True)
class Metrics:
    """Every score of one confusion matrix. Fractions in 0..1, ``None`` when undefined.

    * ``miou``: the official number, FLAIR's convention for the scheme (``convention``).
    * ``miou_present``: mean IoU over the scored classes present in either raster.
    * ``overall_accuracy``, ``kappa``: on the matrix the convention scores (under FLAIR-1
      main, without the ignored classes' pixels, as FLAIR-1 computes its OA).
    * ``overall_accuracy_all``: on the full matrix, every compared pixel counted.
    """

    scheme_key: str
    convention: MiouConvention
    classes: Tuple[ClassMetrics, ...]
    miou: Optional[float]
    miou_present: Optional[float]
    overall_accuracy: Optional[float]
    overall_accuracy_all: Optional[float]
    kappa: Optional[float]
    mean_f1: Optional[float]
    pixels_compared: int
    pixels_scored: int

    @property
    def scored_classes(self) -> Tuple[ClassMetrics, ...]:
        return tuple(c for c in self.classes if not c.ignored)

    @property
    def absent_classes(self) -> Tuple[ClassMetrics, ...]:
        """Scored classes absent from both rasters (no IoU; FLAIR-1 main counts them 0)."""
        return tuple(c for c in self.scored_classes if c.absent)

    def to_dict(self) -> Dict[str, object]:
        return {
            "scheme": self.scheme_key,
            "convention": self.convention.to_dict(),
            "miou": self.miou, "miou_present_classes": self.miou_present,
            "overall_accuracy": self.overall_accuracy,
            "overall_accuracy_all_classes": self.overall_accuracy_all,
            "kappa": self.kappa, "mean_f1": self.mean_f1,
            "pixels_compared": self.pixels_compared, "pixels_scored": self.pixels_scored,
            "absent_classes": [c.name for c in self.absent_classes],
            "ignored_classes": [c.name for c in self.classes if c.ignored],
            "classes": [c.to_dict() for c in self.classes],
        }


def _opt(x: float) -> Optional[float]:
    return None if x is None or not np.isfinite(x) else float(x)


def _scores(matrix: np.ndarray) -> Dict[str, np.ndarray]:
    tp = np.diag(matrix)
    return {"iou": iou_per_class(matrix), "precision": precision_per_class(matrix),
            "recall": recall_per_class(matrix), "f1": f1_per_class(matrix),
            "union": matrix.sum(0) + matrix.sum(1) - tp}


def compute_metrics(cm: ConfusionMatrix,
                    convention: Optional[MiouConvention] = None) -> Metrics:
    """All scores of ``cm`` under FLAIR's convention for its scheme (or ``convention``)."""
    convention = convention or convention_for(cm.scheme)
    full = cm.matrix
    ignored = cm.ignored_indices()
    scored = [i for i in range(cm.size) if i not in ignored]
    scoring = full[np.ix_(scored, scored)] if convention.drop_ignored else full

    # Row i of ``per_class`` holds class i's scores from the matrix that scores it.
    per_class = _scores(full)
    if convention.drop_ignored and scored:
        reduced = _scores(scoring)
        for key, values in per_class.items():
            values[scored] = reduced[key]

    classes = []
    for i, entry in enumerate(cm.scheme.entries):
        classes.append(ClassMetrics(
            index=i, value=entry.value, name=entry.name, colour=entry.colour,
            codes=tuple(entry.codes), reference_pixels=int(full[i].sum()),
            predicted_pixels=int(full[:, i].sum()), true_positives=int(full[i, i]),
            iou=_opt(per_class["iou"][i]), precision=_opt(per_class["precision"][i]),
            recall=_opt(per_class["recall"][i]), f1=_opt(per_class["f1"][i]),
            ignored=i in ignored, absent=bool(per_class["union"][i] == 0)))

    present_ious = [c.iou for c in classes if not c.ignored and c.iou is not None]
    present_f1 = [c.f1 for c in classes if not c.ignored and c.f1 is not None]
    return Metrics(
        scheme_key=cm.scheme.key, convention=convention, classes=tuple(classes),
        miou=_opt(flair_miou(full, ignored, convention)),
        miou_present=float(np.mean(present_ious)) if present_ious else None,
        overall_accuracy=_opt(overall_accuracy(scoring)),
        overall_accuracy_all=_opt(overall_accuracy(full)),
        kappa=_opt(cohen_kappa(scoring)),
        mean_f1=float(np.mean(present_f1)) if present_f1 else None,
        pixels_compared=int(full.sum()), pixels_scored=int(scoring.sum()))


def confusion_from_arrays(reference: np.ndarray, prediction: np.ndarray,
                          scheme: SchemeLike = "flair19") -> ConfusionMatrix:
    """One-shot confusion matrix of two arrays of scheme values (tests, small patches)."""
    cm = ConfusionMatrix(scheme)
    cm.update(reference, prediction)
    return cm


def merge(matrices: Iterable[ConfusionMatrix]) -> ConfusionMatrix:
    """The sum of several matrices of one scheme (patches of a split, blocks of a raster)."""
    matrices = list(matrices)
    if not matrices:
        raise ValueError("no confusion matrix to merge")
    total = ConfusionMatrix(matrices[0].scheme)
    for m in matrices:
        total += m
    return total
