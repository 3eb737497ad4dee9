"""Atomic writes: a file appears whole or not at all, and a user's file is never replaced
unless asked; the training run's own files go through the same helper."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flair_landcover.flair_plugin.engine.errors import OutputExistsError, UserError
from flair_landcover.flair_plugin.engine.io import atomic
from flair_landcover.flair_plugin.engine.io.atomic import (
    atomic_open,
    atomic_path,
    commit,
    discard,
    is_temp_path,
    temp_path_for,
)


def _names(folder: Path) -> list:
    return sorted(os.listdir(folder))


# --------------------------------------------------------------------------- names


def test_temp_path_is_hidden_unique_beside_the_file_and_keeps_the_suffix(tmp_path):
    final = tmp_path / "last.flair.safetensors"
    a, b = temp_path_for(final), temp_path_for(final)
    assert a != b and a.parent == tmp_path
    assert a.name.startswith(".last.flair.") and a.suffix == ".safetensors"
    assert is_temp_path(a) and not is_temp_path(final)
    assert temp_path_for(tmp_path / "curves.png").suffix == ".png"  # savefig's format
    assert is_temp_path(temp_path_for(tmp_path / "no_suffix"))
    long = temp_path_for(tmp_path / ("x" * 250 + ".tif"))
    assert len(long.name) < 255 and long.suffix == ".tif"


# --------------------------------------------------------------------------- success


def test_atomic_path_commits_and_replaces_by_default(tmp_path):
    final = tmp_path / "report.json"
    final.write_text("old")
    with atomic_path(final) as temp:
        assert not temp.exists() and temp.parent == tmp_path
        temp.write_text("new")
        assert final.read_text() == "old"  # nothing visible before the commit
    assert final.read_text() == "new" and _names(tmp_path) == ["report.json"]


def test_atomic_open_writes_text_and_bytes(tmp_path):
    with atomic_open(tmp_path / "a.csv", "w", newline="", encoding="utf-8") as f:
        f.write("é,1\n")
    with atomic_open(tmp_path / "b.bin", "wb") as f:
        f.write(b"\x00\x01")
    assert (tmp_path / "a.csv").read_text(encoding="utf-8") == "é,1\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert _names(tmp_path) == ["a.csv", "b.bin"]


def test_atomic_open_refuses_modes_that_do_not_write_a_new_file(tmp_path):
    for mode in ("a", "r", "r+", "w+"):
        with pytest.raises(ValueError, match="mode"):
            with atomic_open(tmp_path / "x.txt", mode):
                pass
    assert _names(tmp_path) == []


def test_the_new_file_gets_the_usual_permissions(tmp_path):
    with atomic_open(tmp_path / "style.qml") as f:
        f.write("<qgis/>")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "style.qml").stat().st_mode & 0o777 == 0o666 & ~umask


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize("error", [ValueError("bad value"), KeyboardInterrupt()])
def test_a_failure_inside_leaves_neither_temp_nor_final(tmp_path, error):
    final = tmp_path / "model.safetensors"
    with pytest.raises(type(error)):
        with atomic_path(final) as temp:
            temp.write_bytes(b"half a model")
            raise error
    assert _names(tmp_path) == []


def test_a_failure_keeps_the_previous_file_intact(tmp_path):
    final = tmp_path / "training_log.csv"
    final.write_text("epoch\n1\n")
    with pytest.raises(RuntimeError):
        with atomic_open(final) as f:
            f.write("epoch\n")
            raise RuntimeError("the row could not be written")
    assert final.read_text() == "epoch\n1\n" and _names(tmp_path) == ["training_log.csv"]


def test_a_block_that_writes_nothing_is_an_error_not_an_empty_file(tmp_path):
    with pytest.raises(OSError, match="cannot write .*x.png: nothing was written"):
        with atomic_path(tmp_path / "x.png"):
            pass
    assert _names(tmp_path) == []


def test_discard_ignores_a_missing_file(tmp_path):
    temp = temp_path_for(tmp_path / "x.tif")
    discard(temp)
    temp.write_bytes(b"x")
    discard(temp)
    discard(temp)
    assert _names(tmp_path) == []


# --------------------------------------------------------------------------- overwrite=False


def test_no_overwrite_refuses_an_existing_file_before_writing(tmp_path):
    final = tmp_path / "prediction.tif"
    final.write_text("the user's")
    ran = []
    with pytest.raises(OutputExistsError, match="prediction.tif already exists"):
        with atomic_path(final, overwrite=False):
            ran.append(True)
    assert not ran and final.read_text() == "the user's"


def test_no_overwrite_refuses_a_file_that_appeared_meanwhile_and_keeps_it(tmp_path):
    final = tmp_path / "prediction.tif"
    with pytest.raises(OutputExistsError) as caught:
        with atomic_path(final, overwrite=False) as temp:
            temp.write_text("ours")
            final.write_text("the user's")  # another program, while we were writing
    message = str(caught.value)
    assert "prediction.tif appeared while it was being written" in message
    assert "choose another name" in message and isinstance(caught.value, UserError)
    assert final.read_text() == "the user's" and _names(tmp_path) == ["prediction.tif"]


def test_commit_without_overwrite_leaves_the_temp_for_discard(tmp_path):
    final, temp = tmp_path / "a.tif", temp_path_for(tmp_path / "a.tif")
    temp.write_text("ours")
    final.write_text("theirs")
    with pytest.raises(OutputExistsError):
        commit(temp, final, overwrite=False)
    assert temp.read_text() == "ours" and final.read_text() == "theirs"
    discard(temp)
    commit_temp = temp_path_for(tmp_path / "b.tif")
    commit_temp.write_text("b")
    commit(commit_temp, tmp_path / "b.tif", overwrite=False)
    assert _names(tmp_path) == ["a.tif", "b.tif"]


def test_no_overwrite_where_hard_links_are_unsupported(tmp_path, monkeypatch):
    """FAT or some network shares: the exclusive rename falls back to check + rename."""
    def no_links(src, dst):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(atomic.os, "link", no_links)
    with atomic_path(tmp_path / "new.tif", overwrite=False) as temp:
        temp.write_text("ours")
    assert (tmp_path / "new.tif").read_text() == "ours"
    with pytest.raises(OutputExistsError):
        with atomic_path(tmp_path / "late.tif", overwrite=False) as temp:
            temp.write_text("ours")
            (tmp_path / "late.tif").write_text("theirs")
    assert (tmp_path / "late.tif").read_text() == "theirs"
    assert _names(tmp_path) == ["late.tif", "new.tif"]


# --------------------------------------------------------------------------- training files


def test_a_failed_training_log_write_leaves_the_old_log_and_no_temp(tmp_path):
    from flair_landcover.flair_plugin.engine.data.patches import training_scheme
    from flair_landcover.flair_plugin.engine.training import trainer as tr

    scheme = training_scheme("15cl")
    log = tmp_path / tr.LOG_CSV
    row = {"epoch": 1, "train_loss": 1.0, "val_loss": 1.0, "val_miou": 0.1, "lr": 0.01,
           "seconds": 1.0}
    tr._write_log(log, [row], scheme)
    before = log.read_bytes()

    class Unwritable(float):
        def __repr__(self):  # what the csv module writes for a float
            raise OSError("No space left on device")

    with pytest.raises(OSError, match="No space left"):
        tr._write_log(log, [row, dict(row, epoch=2, train_loss=Unwritable(0.5))], scheme)
    assert log.read_bytes() == before and _names(tmp_path) == [tr.LOG_CSV]
    assert [r["epoch"] for r in tr.read_log(log)] == [1]


def test_a_failed_curves_plot_leaves_no_temp(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from flair_landcover.flair_plugin.engine.training import trainer as tr

    def half_written(self, fname, *args, **kwargs):
        assert str(fname).endswith(".png")  # the format comes from the suffix
        Path(fname).write_bytes(b"\x89PNG half")
        raise OSError("No space left on device")

    rows = [{"epoch": e, "train_loss": 1.0 / e, "val_loss": 1.1 / e, "val_miou": 0.1 * e,
             "lr": 0.01} for e in (1, 2)]
    assert tr._plot_curves(tmp_path / tr.CURVES_PNG, rows)
    assert _names(tmp_path) == [tr.CURVES_PNG]
    monkeypatch.setattr(Figure, "savefig", half_written)
    with pytest.raises(OSError, match="No space left"):
        tr._plot_curves(tmp_path / tr.CURVES_PNG, rows + [dict(rows[-1], epoch=3)])
    assert _names(tmp_path) == [tr.CURVES_PNG]
