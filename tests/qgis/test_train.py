"""``flair:train`` in a real QGIS: train, cancel, resume, and segment with the result."""

import csv

import numpy as np
import processing
import pytest
import rasterio
from qgis.core import QgsProcessingFeedback

from flair_landcover.synthetic.generator import write_dataset, write_mosaic


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("flair")
    write_dataset(root, layout="github",
                  domains={"train": ["D006_2020"], "val": ["D004_2021"]},
                  zones_per_domain=1, patches_per_zone=4, size=64, seed=1, sentinel=False)
    return root


def params(dataset, out, **extra):
    base = {"DATASET": str(dataset), "TRAIN_DOMAINS": "D006", "VAL_DOMAINS": "D004",
            "SCHEME": "15cl", "BANDS": "rgbie", "ENCODER": "resnet18", "EPOCHS": 2,
            "BATCH": 4, "OPTIMIZER": "adamw", "LR": 0.003, "DEVICE": "cpu",
            "OUTPUT_DIR": str(out)}
    base.update(extra)
    return base


def logged_epochs(run):
    if not (run / "training_log.csv").exists():
        return []
    with open(run / "training_log.csv") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


class CancelAfter(QgsProcessingFeedback):
    """Cancels once progress passes ``fraction`` (a user pressing Cancel mid-run)."""

    def __init__(self, fraction):
        super().__init__()
        self.fraction = fraction

    def setProgress(self, value):  # noqa: N802
        super().setProgress(value)
        if value >= 100 * self.fraction:
            self.cancel()


class ErrorsFeedback(QgsProcessingFeedback):
    """Keeps the errors QGIS reports (processing.run raises a generic one after them)."""

    def __init__(self):
        super().__init__()
        self.errors = []

    def reportError(self, error, fatalError=False):  # noqa: N802, N803
        self.errors.append(error)
        super().reportError(error, fatalError)


def test_train_cancel_resume_and_segment(flair_plugin, dataset, tmp_path):
    from qgis.core import QgsProcessingException

    out = tmp_path / "run"
    # a cancelled training fails, as a cancelled segmentation does: a model or batch run
    # must not go on with an unfinished model; the message says how to resume
    with pytest.raises(QgsProcessingException, match="Cancelled: training cancelled.*--resume"):
        processing.run("flair:train", params(dataset, out), feedback=CancelAfter(0.3))
    assert (out / "last.ckpt").exists()  # a resumable state was kept
    assert len(logged_epochs(out)) < 2

    done = processing.run("flair:train", params(dataset, out, RESUME=True),
                          feedback=QgsProcessingFeedback())
    assert logged_epochs(out)[-1] == 2
    assert 0.0 <= done["BEST_MIOU"] <= 1.0
    assert done["BEST_MODEL"].endswith("best.flair.safetensors")
    assert done["OUTPUT_DIR"] == str(out)

    image, mask = tmp_path / "area.tif", tmp_path / "area_MSK.tif"
    write_mosaic(image, mask, 160, 96, seed=2)
    result = processing.run("flair:segmentaerial", {
        "INPUT": str(image), "MODEL": done["BEST_MODEL"], "BLOCK": 64, "HALO": 32,
        "OUTPUT": str(tmp_path / "landcover.tif")}, feedback=QgsProcessingFeedback())
    with rasterio.open(result["OUTPUT"]) as src:
        codes = set(np.unique(src.read(1)))
    assert codes <= {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 18}


def test_bad_dataset_is_a_clear_error_before_training(flair_plugin, tmp_path):
    from qgis.core import QgsProcessingException

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(QgsProcessingException, match="no IMG_") as error:
        processing.run("flair:train", params(empty, tmp_path / "run"),
                       feedback=QgsProcessingFeedback())
    assert not str(error.value).startswith("DatasetError")  # the engine's text, as is
    with pytest.raises(QgsProcessingException, match="EPOCHS"):  # QGIS checks the minimum
        processing.run("flair:train", params(empty, tmp_path / "run2", EPOCHS=0),
                       feedback=QgsProcessingFeedback())


def test_without_a_folder_the_run_is_kept_beside_the_project_and_resumed(flair_plugin,
                                                                         dataset, tmp_path):
    """QGIS deletes its temporary folder on exit: an unnamed run must land elsewhere, and
    'Resume' without a folder must find it."""
    from qgis.core import QgsProcessingException, QgsProcessingUtils, QgsProject

    project = QgsProject.instance()
    project.setFileName(str(tmp_path / "atlas.qgz"))
    try:
        first = params(dataset, None, EPOCHS=1)
        del first["OUTPUT_DIR"]
        done = processing.run("flair:train", first, feedback=QgsProcessingFeedback())
        run = tmp_path / "FLAIR trainings"
        folders = list(run.iterdir())
        assert [str(f) for f in folders] == [done["OUTPUT_DIR"]]
        assert folders[0].name.startswith("unet-rgbie-15cl ")
        assert (folders[0] / "best.flair.safetensors").is_file()
        assert QgsProcessingUtils.tempFolder() not in done["OUTPUT_DIR"]

        again = processing.run("flair:train", dict(params(dataset, "TEMPORARY_OUTPUT"),
                                                    RESUME=True, EPOCHS=2),
                               feedback=QgsProcessingFeedback())
        assert again["OUTPUT_DIR"] == done["OUTPUT_DIR"]
        assert logged_epochs(folders[0]) == [1, 2]

        project.setFileName(str(tmp_path / "elsewhere" / "new.qgz"))
        errors = ErrorsFeedback()
        with pytest.raises(QgsProcessingException):
            processing.run("flair:train", dict(first, RESUME=True), feedback=errors)
        assert any("Nothing to resume" in e and "elsewhere" in e for e in errors.errors)
    finally:
        project.clear()
