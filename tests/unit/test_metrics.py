"""Confusion matrix maths and FLAIR's mIoU convention, against hand-computed numbers."""

import json

import numpy as np
import pytest

from flair_landcover.flair_plugin import nomenclature as n
from flair_landcover.flair_plugin.engine.evaluation import metrics as m

# rows = reference, columns = prediction
HAND = np.array([[5, 1, 0],
                 [2, 3, 1],
                 [0, 0, 4]])
# TP 5,3,4; reference (row) sums 6,6,4; predicted (column) sums 7,4,5; N = 16


def test_plain_scores_of_a_hand_computed_matrix():
    np.testing.assert_allclose(m.iou_per_class(HAND), [5 / 8, 3 / 7, 4 / 5])
    np.testing.assert_allclose(m.precision_per_class(HAND), [5 / 7, 3 / 4, 4 / 5])
    np.testing.assert_allclose(m.recall_per_class(HAND), [5 / 6, 3 / 6, 4 / 4])
    np.testing.assert_allclose(m.f1_per_class(HAND), [10 / 13, 6 / 10, 8 / 9])
    assert m.overall_accuracy(HAND) == pytest.approx(12 / 16)
    # p_o = 12/16, p_e = (6*7 + 6*4 + 4*5) / 16² = 86/256 -> kappa = 106/170
    assert m.cohen_kappa(HAND) == pytest.approx(106 / 170)


def test_f1_is_harmonic_mean_of_precision_and_recall():
    p, r = m.precision_per_class(HAND), m.recall_per_class(HAND)
    np.testing.assert_allclose(m.f1_per_class(HAND), 2 * p * r / (p + r))


def test_absent_class_has_no_iou_and_undefined_kappa_is_nan():
    padded = np.zeros((4, 4), dtype=np.int64)
    padded[:3, :3] = HAND
    iou = m.iou_per_class(padded)
    assert np.isnan(iou[3]) and not np.isnan(iou[:3]).any()
    assert np.isnan(m.precision_per_class(padded)[3]) and np.isnan(m.f1_per_class(padded)[3])
    # a class predicted but absent from the reference: precision 0, recall undefined, F1 0
    only_pred = np.array([[3, 2], [0, 0]])
    assert m.precision_per_class(only_pred)[1] == 0 and np.isnan(m.recall_per_class(only_pred)[1])
    assert m.f1_per_class(only_pred)[1] == 0
    assert np.isnan(m.cohen_kappa(np.array([[7, 0], [0, 0]])))  # one class only: p_e = 1
    assert np.isnan(m.cohen_kappa(np.zeros((2, 2))))
    assert np.isnan(m.overall_accuracy(np.zeros((2, 2))))


def test_update_by_values_uses_bincount_and_skips_values_outside_the_scheme():
    ref = np.array([[1, 1, 2], [3, 0, 19]], dtype=np.uint8)
    pred = np.array([[1, 2, 2], [3, 5, 25]], dtype=np.uint8)
    cm = m.ConfusionMatrix("flair19")
    assert cm.update(ref, pred) == 4  # (0, 5) and (19, 25) hold a non-value
    expected = np.zeros((19, 19), dtype=np.int64)
    for r, p in [(1, 1), (1, 2), (2, 2), (3, 3)]:
        expected[r - 1, p - 1] += 1
    np.testing.assert_array_equal(cm.matrix, expected)
    assert cm.matrix.dtype == np.int64 and cm.total == 4
    with pytest.raises(ValueError, match="shape"):
        cm.update(ref, pred[:1])


def test_merge_equals_one_update_of_everything():
    rng = np.random.default_rng(3)
    a_ref, a_pred, b_ref, b_pred = (rng.integers(0, 13, size=(20, 30)) for _ in range(4))
    a = m.confusion_from_arrays(a_ref, a_pred, "baseline13")
    b = m.confusion_from_arrays(b_ref, b_pred, "baseline13")
    both = m.confusion_from_arrays(np.concatenate([a_ref, b_ref]),
                                   np.concatenate([a_pred, b_pred]), "baseline13")
    assert a + b == both
    assert m.merge([a, b]) == both
    a += b
    assert a == both
    with pytest.raises(ValueError, match="schemes"):
        a + m.ConfusionMatrix("flairhub")
    with pytest.raises(ValueError, match="13×13"):
        m.ConfusionMatrix("baseline13", np.zeros((19, 19), dtype=np.int64))


@pytest.mark.parametrize("key, ignored_names", [
    ("flair19", ["clear cut", "mixed", "ligneous", "other"]),
    ("flair19-index", ["clear cut", "mixed", "ligneous", "other"]),
    ("baseline13", ["other"]),
    ("flairhub", ["undefined"]),
])
def test_flair_convention_ignores_the_right_classes_per_scheme(key, ignored_names):
    cm = m.ConfusionMatrix(key)
    s = n.scheme(key)
    assert [s.entries[i].name for i in cm.ignored_indices()] == ignored_names
    rng = np.random.default_rng(0)
    cm.matrix[:] = rng.integers(0, 50, size=cm.matrix.shape)
    result = cm.metrics()
    assert [c.name for c in result.classes if c.ignored] == ignored_names
    assert len(result.scored_classes) == len(s.entries) - len(ignored_names)


def _flair1_main_miou(confmat, unused):
    """FLAIR-1 main's own steps (src/flair/metrics.py), retyped for the comparison."""
    cleaned = np.delete(confmat, unused, axis=0)
    cleaned = np.delete(cleaned, unused, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ious = np.diag(cleaned) / (cleaned.sum(1) + cleaned.sum(0) - np.diag(cleaned))
    ious[np.isnan(ious)] = 0
    oa = np.trace(cleaned) / cleaned.sum()
    return ious.mean(), oa, ious


def _flair_baseline_miou(confmat):
    """FLAIR-1 legacy / FLAIR-2 calc_miou: full matrix, last class out, NaN out."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ious = np.diag(confmat) / (confmat.sum(0) + confmat.sum(1) - np.diag(confmat))
    return np.nansum(ious[:-1]) / np.logical_not(np.isnan(ious[:-1])).sum()


def _random_matrix(k, seed, absent=()):
    rng = np.random.default_rng(seed)
    matrix = rng.integers(0, 30, size=(k, k)) * (rng.random((k, k)) < 0.4)
    matrix += np.diag(rng.integers(20, 200, size=k))
    for i in absent:
        matrix[i, :] = 0
        matrix[:, i] = 0
    return matrix.astype(np.int64)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_flair19_miou_is_flair1_main_exactly(seed):
    # codes 4 (bare soil) and 14 (snow) absent; ignored classes hold pixels paired with
    # scored ones, which FLAIR-1 main drops together with their rows and columns
    matrix = _random_matrix(19, seed, absent=(3, 13))
    cm = m.ConfusionMatrix("flair19", matrix)
    unused = [c - 1 for c in (15, 16, 17, 19)]
    miou, oa, ious = _flair1_main_miou(matrix, unused)
    result = cm.metrics()
    assert result.convention is m.FLAIR1_MAIN
    assert result.miou == pytest.approx(miou)
    assert result.overall_accuracy == pytest.approx(oa)
    scored = [c for c in result.classes if not c.ignored]
    assert [c.iou if c.iou is not None else 0.0 for c in scored] == pytest.approx(list(ious))
    # absent classes: no IoU (not 0), flagged; FLAIR's mean counts them 0
    absent = {c.name for c in result.absent_classes}
    assert absent == {"bare soil", "snow"}
    assert result.miou == pytest.approx(sum(c.iou for c in scored if c.iou is not None) / 15)
    assert result.miou_present == pytest.approx(
        np.mean([c.iou for c in scored if c.iou is not None]))
    assert result.pixels_scored == matrix[np.ix_(
        [i for i in range(19) if i not in unused], [i for i in range(19) if i not in unused])].sum()


@pytest.mark.parametrize("seed", [0, 1])
def test_baseline13_miou_is_flair_legacy_exactly(seed):
    matrix = _random_matrix(13, seed, absent=(4,))
    result = m.ConfusionMatrix("baseline13", matrix).metrics()
    assert result.convention is m.FLAIR_BASELINE
    assert result.miou == pytest.approx(_flair_baseline_miou(matrix))
    assert result.miou == pytest.approx(result.miou_present)  # absent left out of the mean
    # legacy keeps "other" in the matrix: the OA counts every pixel
    assert result.overall_accuracy == pytest.approx(np.trace(matrix) / matrix.sum())
    assert [c.name for c in result.absent_classes] == ["water"]


def test_flairhub_drops_undefined_like_flair_hub_code():
    matrix = _random_matrix(19, 5)
    miou, oa, _ = _flair1_main_miou(matrix, [18])
    result = m.ConfusionMatrix("flairhub", matrix).metrics()
    assert result.miou == pytest.approx(miou) and result.overall_accuracy == pytest.approx(oa)


def test_two_perfect_classes_show_how_absent_classes_weigh():
    ref = np.array([1, 1, 6, 6, 6], dtype=np.uint8)  # building, coniferous
    cm = m.confusion_from_arrays(ref, ref.copy(), "flair19")
    r = cm.metrics()
    assert r.miou == pytest.approx(2 / 15)  # FLAIR-1 main: 13 absent classes count 0
    assert r.miou_present == 1.0 and r.overall_accuracy == 1.0 and r.kappa == 1.0
    building = r.classes[0]
    assert (building.iou, building.precision, building.recall, building.f1) == (1, 1, 1, 1)
    water = r.classes[4]
    assert water.absent and water.iou is None and water.f1 is None
    # the same pixels in the 13-class baseline: absent classes are left out
    cm13 = m.confusion_from_arrays(ref - 1, ref - 1, "baseline13")
    assert cm13.metrics().miou == 1.0


def test_ignored_class_pixels_leave_the_flair1_matrix_but_keep_their_counts():
    # building predicted as "other" (19): under FLAIR-1 main that pixel leaves the matrix,
    # so building's recall stays 1; its counts still show it
    ref = np.array([1, 1, 1, 19], dtype=np.uint8)
    pred = np.array([1, 1, 19, 19], dtype=np.uint8)
    r = m.confusion_from_arrays(ref, pred).metrics()
    building, other = r.classes[0], r.classes[18]
    assert building.recall == 1.0 and building.iou == 1.0 and building.reference_pixels == 3
    assert other.ignored and other.iou == pytest.approx(1 / 2)  # full matrix, for information
    assert r.pixels_compared == 4 and r.pixels_scored == 2
    assert r.overall_accuracy == 1.0 and r.overall_accuracy_all == pytest.approx(3 / 4)


def test_empty_matrix_has_no_scores_and_to_dict_is_strict_json():
    r = m.ConfusionMatrix("flair19").metrics()
    assert r.miou is None and r.overall_accuracy is None and r.kappa is None
    text = json.dumps(m.confusion_from_arrays(np.array([1, 2]), np.array([1, 3]))
                      .metrics().to_dict(), allow_nan=False)
    data = json.loads(text)
    assert data["convention"]["key"] == "flair-1-main"
    assert data["classes"][3]["absent_from_both"] is True and data["classes"][3]["iou"] is None
    assert "clear cut" in data["ignored_classes"]
