"""What a user reads while an algorithm runs: a first message at once, progress texts with
the share done and the time left (not one per tile), one line per training epoch."""

import time

import processing
from helpers_models import our_checkpoint
from qgis.core import QgsProcessingFeedback

from flair_landcover.flair_plugin.algorithms.engine_bridge import (
    FeedbackCallbacks,
    duration_text,
)
from flair_landcover.synthetic.generator import write_dataset, write_mosaic


class Recorder(QgsProcessingFeedback):
    """Keeps every log line and progress text, with when it came."""

    def __init__(self):
        super().__init__()
        self.started = time.monotonic()
        self.infos, self.texts, self.progress_calls = [], [], 0

    def pushInfo(self, info):  # noqa: N802
        super().pushInfo(info)
        self.infos.append((time.monotonic() - self.started, info))

    def setProgressText(self, text):  # noqa: N802
        super().setProgressText(text)
        self.texts.append(text)

    def setProgress(self, value):  # noqa: N802
        super().setProgress(value)
        self.progress_calls += 1


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_texts_say_the_time_left_and_are_not_one_per_call(qgis_app):
    feedback, clock = Recorder(), Clock()
    bridge = FeedbackCallbacks(feedback, text_every_s=10, clock=clock)
    bridge.progress(0.0, "0/100 tiles")
    for tile in range(1, 26):  # a tile every 0.4 s: 25 tiles in 10 s
        clock.now = 0.4 * tile
        bridge.progress(tile / 100, f"{tile}/100 tiles, 1.20 Mpx/s")
    assert feedback.texts == ["0/100 tiles",  # at once: what is being done
                              "25/100 tiles, 1.20 Mpx/s — 25 % done, about 30 s left"]
    assert feedback.progress() == 25
    assert [duration_text(s) for s in (45, 250, 7500)] == ["45 s", "4 min 10 s", "2 h 05 min"]


def test_segmentation_speaks_within_a_second(flair_plugin, tmp_path):
    image = tmp_path / "area.tif"
    write_mosaic(image, tmp_path / "area_MSK.tif", 96, 96, seed=2)
    model = our_checkpoint(tmp_path / "tiny.flair.safetensors")
    feedback = Recorder()
    processing.run("flair:segmentaerial", {"INPUT": str(image), "MODEL": str(model),
                                           "BLOCK": 64, "HALO": 32,
                                           "OUTPUT": str(tmp_path / "out.tif")},
                   feedback=feedback)
    first_at, first = feedback.infos[0]
    assert first_at < 1.0 and "PyTorch" in first
    assert any("Mpx/s" in text for _, text in feedback.infos)


def test_training_logs_one_line_per_epoch_with_the_time_left(flair_plugin, tmp_path):
    root = tmp_path / "flair"
    write_dataset(root, layout="github", domains={"train": ["D006_2020"], "val": ["D004_2021"]},
                  zones_per_domain=1, patches_per_zone=8, size=64, seed=1, sentinel=False)
    feedback = Recorder()
    processing.run("flair:train", {
        "DATASET": str(root), "TRAIN_DOMAINS": "D006", "VAL_DOMAINS": "D004",
        "SCHEME": "15cl", "BANDS": "rgbie", "ENCODER": "resnet18", "EPOCHS": 3, "BATCH": 2,
        "OPTIMIZER": "adamw", "DEVICE": "cpu", "OUTPUT_DIR": str(tmp_path / "run")},
        feedback=feedback)
    lines = [text for _, text in feedback.infos]
    epochs = [text for text in lines if text.lower().startswith("epoch")]
    assert len(epochs) == 3, lines
    assert all("left" in text for text in epochs[:-1])  # the last one has nothing left
    assert not [text for text in lines + feedback.texts if "step" in text.lower()]
    assert feedback.progress_calls >= 3 * 4  # 4 steps an epoch moved the bar
