"""Nothing lost, ever: the faults of an adversarial review, each replayed for real.

Full disks (RLIMIT_FSIZE on a real child process), real signals to real processes, two
runs racing for one output, outputs naming inputs, killed runs' leftovers, huge halos,
damaged inputs, odd file names: every case must end in one clear line (or succeed
correctly), never replace a user's file without an explicit overwrite of that very
output, and never leave an incomplete file under a final name.
"""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
from helpers_models import our_checkpoint
from helpers_processes import (
    run,
    run_on_a_full_disk,
    start,
    temporaries,
    wait_until,
)
from helpers_rasters import write_raster

from flair_landcover.flair_plugin.engine.checkpoints.store import load_model, save_checkpoint
from flair_landcover.flair_plugin.engine.cli.main import main
from flair_landcover.flair_plugin.engine.errors import InputError, OutputWriteError
from flair_landcover.flair_plugin.engine.io import atomic
from flair_landcover.flair_plugin.engine.io.outputs import (
    OutputSet,
    OutputTarget,
    check_output_paths,
)
from flair_landcover.flair_plugin.engine.tiling import fit_batch_to_memory
from flair_landcover.flair_plugin.engine.training import trainer as tr
from flair_landcover.synthetic.generator import write_dataset

FAST = ("--device", "cpu", "--block", "64", "--halo", "32", "--quiet")


def image(height, width, bands=5, seed=0, dtype=np.uint8):
    return np.random.default_rng(seed).integers(1, 250, (bands, height, width)).astype(dtype)


def digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return our_checkpoint(tmp_path_factory.mktemp("model") / "tiny.flair.safetensors")


@pytest.fixture
def raster(tmp_path):
    return write_raster(tmp_path / "in.tif", image(96, 96))


def predict(raster, model, output, *extra):
    return main(["predict", "--input", str(raster), "--model", str(model), "--output",
                 str(output), *FAST, *extra])


def one_line_error(capsys, *fragments):
    """The run's stderr ends with its one error line (notes and warnings may come before)."""
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith("flair-landcover: error: ") and err.count(" error: ") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in last, err
    return last


# --------------------------------------------------------------------------- 1. full disk

def test_predict_on_a_full_disk_fails_and_leaves_nothing(model, tmp_path):
    """GDAL only prints an error when the disk fills up as it flushes at close: the file
    looked whole (4 KiB), was renamed and the run said "wrote". It is verified now."""
    src = write_raster(tmp_path / "in.tif", image(512, 512, seed=1))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    done = run_on_a_full_disk(16 * 1024, "predict", "--input", src, "--model", model,
                              "--output", out_dir / "out.tif", *FAST)
    assert done.returncode == 2, done.stderr
    assert "wrote" not in done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("flair-landcover: error: ") and "out.tif" in last, done.stderr
    assert "disk full" in last and "nothing was left under its name" in last
    assert "Traceback" not in done.stderr
    assert os.listdir(out_dir) == []
    # control: with room, the same run writes a file larger than the limit
    done = run("predict", "--input", src, "--model", model, "--output", out_dir / "out.tif",
               *FAST)
    assert done.returncode == 0 and (out_dir / "out.tif").stat().st_size > 16 * 1024


def test_evaluate_on_a_full_disk_writes_no_agreement_and_no_report(tmp_path):
    rng = np.random.default_rng(4)
    reference = rng.integers(1, 13, (512, 512)).astype(np.uint8)
    pred = write_raster(tmp_path / "pred.tif", np.roll(reference, 3, axis=1)[None])
    ref = write_raster(tmp_path / "ref.tif", reference[None])
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for outputs in (["--agreement", out_dir / "a.tif"], ["--report", out_dir / "r.html"]):
        done = run_on_a_full_disk(4096, "evaluate", "--prediction", pred, "--reference", ref,
                                  *outputs, "--quiet")
        assert done.returncode == 2, done.stderr
        last = done.stderr.strip().splitlines()[-1]
        assert f"cannot write {outputs[1]}" in last or f"{outputs[1]} could not be" in last, \
            done.stderr
        assert "Traceback" not in done.stderr and os.listdir(out_dir) == []


def test_a_truncated_block_is_caught_before_the_rename(tmp_path):
    """The writer's own check: a block it wrote that is not in the closed file."""
    from flair_landcover.flair_plugin.engine.geo import Grid, PixelWindow

    grid = Grid(None, rasterio.transform.from_origin(0, 64, 1, 1), 64, 64)
    outputs = OutputSet(grid, [OutputTarget(str(tmp_path / "x.tif"))], 32)
    outputs.write(0, PixelWindow(0, 0, 64, 64), np.full((64, 64), 7, np.uint8))
    outputs._close_all()
    temp = outputs.temp_paths[0]
    os.truncate(temp, os.path.getsize(temp) // 2)
    with pytest.raises(OutputWriteError, match=r"x\.tif.*nothing was left under its name"):
        outputs.verify(0, temp)
    outputs.abort()
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------- 2, 3. inputs

def test_no_output_may_be_an_input_even_with_overwrite(model, raster, tmp_path, capsys):
    kept = {p: digest(p) for p in (model, raster)}
    assert predict(raster, model, model, "--overwrite") == 2
    one_line_error(capsys, "is one of the inputs", "even when overwriting is allowed")
    link = tmp_path / "link.tif"
    os.link(raster, link)  # the same file under another name
    assert predict(raster, model, link, "--overwrite") == 2
    one_line_error(capsys, "is one of the inputs")
    dates = tmp_path / "dates.txt"
    dates.write_text("20210115\n")
    assert predict(raster, model, tmp_path / "o.tif", "--probabilities", str(dates),
                   "--overwrite") == 2
    one_line_error(capsys, "dates.txt")
    assert dates.read_text() == "20210115\n"
    # a model loaded first (as QGIS does, to show its bands) still knows its file
    from flair_landcover.flair_plugin.engine.inference.predict import predict as engine_predict

    with pytest.raises(InputError, match="is one of the inputs"):
        engine_predict(raster, load_model(model), model, overwrite=True, device="cpu")
    assert {p: digest(p) for p in kept} == kept


def test_reports_and_metrics_never_replace_an_input(model, split_dataset, tmp_path, capsys):
    reference = np.random.default_rng(5).integers(1, 13, (40, 40)).astype(np.uint8)
    pred = write_raster(tmp_path / "pred.tif", reference[None])
    ref = write_raster(tmp_path / "ref.tif", reference[None])
    kept = {p: digest(p) for p in (pred, ref, model)}
    for outputs in (["--report", ref], ["--metrics", pred], ["--agreement", ref]):
        status = main(["evaluate", "--prediction", str(pred), "--reference", str(ref),
                       *map(str, outputs), "--overwrite", "--quiet"])
        assert status == 2
        one_line_error(capsys, "is one of the inputs")
    status = main(["evaluate-split", "--model", str(model), "--dataset", str(split_dataset),
                   "--domains", "D015", "--report", str(model), "--overwrite", "--quiet"])
    assert status == 2
    one_line_error(capsys, "is one of the inputs")
    assert {p: digest(p) for p in kept} == kept


@pytest.fixture(scope="module")
def split_dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("split")
    write_dataset(root, layout="domain", domains={"train": ["D006_2020"],
                                                  "test": ["D015_2020"]},
                  zones_per_domain=1, patches_per_zone=2, size=64, seed=2, sentinel=False)
    return root


def test_keep_predictions_never_replaces_without_overwrite(model, split_dataset, tmp_path,
                                                           capsys):
    kept = tmp_path / "kept"
    args = ["evaluate-split", "--model", str(model), "--dataset", str(split_dataset),
            "--domains", "D015", "--device", "cpu", "--keep-predictions", str(kept), "--quiet"]
    assert main(args) == 0
    capsys.readouterr()
    first = sorted(kept.glob("PRED_*.tif"))
    assert len(first) == 2
    first[0].write_bytes(b"the user's own file")
    assert main(args) == 2
    one_line_error(capsys, first[0].name, "already exists")
    assert first[0].read_bytes() == b"the user's own file"
    assert main(args + ["--overwrite"]) == 0
    with rasterio.open(first[0]) as src:
        assert src.shape == (64, 64)
    assert temporaries(kept) == []
    mask = next(split_dataset.rglob("MSK_*.tif"))
    before = digest(mask)
    assert main(args[:-3] + ["--keep-predictions", str(mask.parent), "--report",
                             str(mask), "--overwrite", "--quiet"]) == 2
    one_line_error(capsys, "is one of the inputs")
    assert digest(mask) == before


# --------------------------------------------------------------------------- 4. races

def test_a_slower_run_never_replaces_what_a_faster_one_wrote(model, tmp_path):
    """Two real runs, one output, no --overwrite. The slower one started first (its check
    passed: no file yet) and is held (SIGSTOP) while the faster one writes the output; let
    go, it must fail at its rename instead of replacing the other's file."""
    slow_in = write_raster(tmp_path / "slow.tif", image(512, 512, seed=2))
    fast_in = write_raster(tmp_path / "fast.tif", image(64, 64, seed=3))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "out.tif"
    slow = start("predict", "--input", slow_in, "--model", model, "--output", out,
                 *FAST, "--batch-size", "1")
    try:
        wait_until(lambda: temporaries(out_dir), slow)  # checked, writing
        slow.send_signal(signal.SIGSTOP)
        fast = run("predict", "--input", fast_in, "--model", model, "--output", out, *FAST)
        assert fast.returncode == 0, fast.stderr
        slow.send_signal(signal.SIGCONT)
        _, err = slow.communicate(timeout=600)
    finally:
        if slow.poll() is None:
            slow.send_signal(signal.SIGCONT)
            slow.kill()
    assert slow.returncode == 2, err
    assert "appeared while it was being written and was kept as it is" in err
    with rasterio.open(out) as src:
        assert src.shape == (64, 64)  # the faster run's file, untouched
    assert temporaries(out_dir) == []


# --------------------------------------------------------------------------- 6. leftovers

def test_a_killed_runs_temporary_is_removed_by_the_next_run(model, tmp_path):
    src = write_raster(tmp_path / "in.tif", image(512, 512, seed=6))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    killed = start("predict", "--input", src, "--model", model, "--output",
                   out_dir / "out.tif", *FAST, "--batch-size", "1")
    wait_until(lambda: temporaries(out_dir), killed)
    killed.send_signal(signal.SIGKILL)  # nothing can clean up after this
    killed.communicate(timeout=60)
    leftover = temporaries(out_dir)
    assert leftover and str(killed.pid) in leftover[0]
    done = run("predict", "--input", src, "--model", model, "--output", out_dir / "out.tif",
               *FAST)
    assert done.returncode == 0, done.stderr
    assert temporaries(out_dir) == [] and (out_dir / "out.tif").is_file()


def test_stale_temporaries_of_live_or_other_writers_are_kept(tmp_path):
    final = tmp_path / "out.tif"
    ours = atomic.temp_path_for(final)  # this process: alive
    ours.write_bytes(b"x")
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        alive = Path(str(ours).replace(f"-{os.getpid()}-", f"-{live.pid}-"))
        alive.write_bytes(b"x")
        dead_child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                                    capture_output=True, text=True)
        dead = Path(str(ours).replace(f"-{os.getpid()}-", f"-{dead_child.stdout.strip()}-"))
        dead.write_bytes(b"x")
        other_host = tmp_path / f".out.ffff-{dead_child.stdout.strip()}-0123abcd.part.tif"
        if atomic._HOST == "ffff":
            other_host = tmp_path / f".out.fffe-{dead_child.stdout.strip()}-0123abcd.part.tif"
        other_host.write_bytes(b"x")
        other_output = tmp_path / f".out.b.{dead.name.split('.', 2)[2]}"
        other_output.write_bytes(b"x")
        removed = atomic.remove_stale_temporaries(final)
    finally:
        live.kill()
        live.wait()
    assert removed == [dead]
    assert ours.exists() and alive.exists() and other_host.exists() and other_output.exists()
    assert all(atomic.is_temp_path(p) for p in (ours, alive, dead, other_host))


def test_files_keep_the_permissions_of_a_new_file(tmp_path, model):
    """safetensors writes through mkstemp (0600): a model nobody else could read."""
    expected = 0o666 & ~_umask()
    assert model.stat().st_mode & 0o777 == expected
    path = save_checkpoint(tmp_path / "m.flair.safetensors", load_model(model).module,
                           load_model(model).meta)
    assert path.stat().st_mode & 0o777 == expected
    path.chmod(0o640)  # a file replaced keeps the mode its owner gave it
    save_checkpoint(path, load_model(model).module, load_model(model).meta)
    assert path.stat().st_mode & 0o777 == 0o640


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# --------------------------------------------------------------------------- 8. memory

def test_a_halo_beyond_memory_is_refused_before_any_work(raster, model, tmp_path, capsys):
    started = time.perf_counter()
    assert predict(raster, model, tmp_path / "o.tif", "--halo", "8192") == 2
    err = one_line_error(capsys, "tiles of 16448 px", "use a halo of at most")
    assert time.perf_counter() - started < 60 and not (tmp_path / "o.tif").exists()
    assert "GB of RAM" in err


def test_batches_shrink_to_memory_or_are_refused_with_the_limit():
    gb = 2 ** 30
    assert fit_batch_to_memory(512, 128, 5, None, 2, 19, 2 * gb, default_batch=8) == 4
    assert fit_batch_to_memory(512, 128, 5, 8, 2, 19, 64 * gb) == 8
    with pytest.raises(InputError, match="batches of 8 .* or a smaller batch"):
        fit_batch_to_memory(512, 128, 5, 8, 2, 19, 2 * gb)
    with pytest.raises(InputError, match="GB of GPU memory") as refused:
        fit_batch_to_memory(512, 8192, 5, None, 4, 19, 64 * gb, device_bytes=16 * gb)
    largest = int(str(refused.value).split("halo of at most ")[1])
    assert fit_batch_to_memory(512, largest, 5, None, 4, 19, 64 * gb, 16 * gb) == 1
    with pytest.raises(InputError):
        fit_batch_to_memory(512, largest + 32, 5, None, 4, 19, 64 * gb, 16 * gb)
    assert fit_batch_to_memory(512, 8192, 5, None, 2, 19, None) == 1  # unknown: no refusal


# --------------------------------------------------------------------------- 9, 10. training

@pytest.fixture(scope="module")
def training_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("flair")
    write_dataset(root, layout="github", domains={"train": ["D006_2020"], "val": ["D004_2021"]},
                  zones_per_domain=1, patches_per_zone=4, size=64, seed=1, sentinel=False)
    return root


TRAIN = ("--train-domains", "D006", "--val-domains", "D004", "--encoder", "resnet18",
         "--encoder-depth", "2", "--batch-size", "4", "--optimizer", "adamw",
         "--device", "cpu", "--workers", "0", "--quiet")


def test_sigterm_stops_training_with_a_resumable_state_and_a_failure_status(training_data,
                                                                             tmp_path):
    out = tmp_path / "run"
    proc = start("train", "--dataset", training_data, "--output-dir", out, "--epochs", "500",
                 *TRAIN)
    try:
        wait_until(lambda: (out / tr.LOG_CSV).exists(), proc, timeout=300)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err  # a scheduler must not read a stopped run as done
    assert "training cancelled at epoch" in err and "--resume" in err
    assert "Traceback" not in err
    state = tr.read_state(out / tr.STATE_FILE)
    assert state["flair"]["config"]["epochs"] == 500
    assert temporaries(out) == []
    modes = {p.name: p.stat().st_mode & 0o777 for p in out.iterdir()}
    assert len(set(modes.values())) == 1, modes  # models and state as readable as the log


def test_a_run_stopped_before_its_first_state_is_usable(training_data, tmp_path, model):
    """Killed while the first state was saved: a log and a model, no last.ckpt. A new run
    says to pass --resume, and --resume starts it again (it once said the opposite)."""
    out = tmp_path / "run"
    out.mkdir()
    (out / tr.LOG_CSV).write_text("epoch,train_loss\n1,0.5\n")
    shutil.copy(model, out / tr.LAST_MODEL)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    leftover = out / f".last.{atomic._HOST}-{dead}-0123abcd.part.ckpt"
    leftover.write_bytes(b"half a state")
    config = dict(output_dir=str(out), dataset=str(training_data), train_domains=["D006"],
                  val_domains=["D004"], encoder="resnet18", encoder_depth=2,
                  decoder_channels=(16, 8), batch_size=4, num_workers=0, epochs=1,
                  optimizer="adamw", limit_train_batches=1, limit_val_batches=1)
    with pytest.raises(tr.TrainingError, match="stopped before it saved a resumable state.*"
                                               "pass --resume"):
        tr.train(tr.TrainConfig(**config))
    lines = []
    result = tr.train(tr.TrainConfig(**config, resume=True), log=lines.append)
    assert any("starting it again from epoch 1" in line for line in lines)
    assert result.epochs_done == 1 and (out / tr.STATE_FILE).is_file()
    assert not leftover.exists() and temporaries(out) == []
    assert [r["epoch"] for r in tr.read_log(out / tr.LOG_CSV)] == [1]


def test_training_folder_problems_are_refused_before_the_set_up(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    started = time.perf_counter()
    status = main(["train", "--dataset", str(tmp_path / "none"), "--output-dir",
                   str(blocker / "run"), "--device", "cpu", "--quiet"])
    assert status == 2 and time.perf_counter() - started < 30
    one_line_error(capsys, "cannot be created or written", "is a file")


def test_an_input_inside_the_run_files_is_refused(tmp_path, model):
    out = tmp_path / "run"
    out.mkdir()
    init = out / tr.LAST_MODEL
    shutil.copy(model, init)
    (out / tr.LOG_CSV).write_text("epoch\n")
    with pytest.raises(tr.TrainingError, match="is one of the inputs"):
        tr.train(tr.TrainConfig(output_dir=str(out), dataset="x", init_checkpoint=str(init)))


# --------------------------------------------------------------------------- 11. messages

def test_a_truncated_training_patch_is_one_line(training_data, tmp_path):
    """The data check reads headers and masks; the image is read at the first batch, in
    a worker process whose error torch wraps with its whole traceback."""
    data = tmp_path / "data"
    shutil.copytree(training_data, data)
    patch = sorted(p for p in data.rglob("IMG_*.tif") if "D006" in str(p))[0]
    os.truncate(patch, patch.stat().st_size // 2)
    done = run("train", "--dataset", data, "--output-dir", tmp_path / "run", "--epochs", "1",
               *TRAIN[:-5], "--device", "cpu", "--workers", "1", "--quiet", timeout=600)
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("flair-landcover: error: cannot read the patch"), done.stderr
    assert patch.name in last and "truncated" in last
    assert "Traceback" not in done.stderr and "Original" not in done.stderr


def test_a_binary_pairs_csv_is_one_line(tmp_path, capsys):
    csv = tmp_path / "pairs.csv"
    csv.write_bytes(bytes(range(256)) * 8)
    assert main(["train", "--pairs-csv", str(csv), "--output-dir", str(tmp_path / "run"),
                 "--device", "cpu", "--quiet"]) == 2
    one_line_error(capsys, "is not a text CSV file")


def test_a_name_that_is_not_utf8_is_one_line(model, raster, tmp_path, capsys):
    folder = os.fsencode(tmp_path) + b"/dossier_\xe9t\xe9"  # Latin-1 accents
    os.mkdir(folder)
    shutil.copy(os.fsencode(raster), folder + b"/in.tif")
    inside = os.fsdecode(folder + b"/in.tif")
    assert predict(inside, model, tmp_path / "o.tif") == 2
    one_line_error(capsys, "dossier_\\xe9t\\xe9", "not UTF-8 text")
    assert predict(raster, model, os.fsdecode(folder + b"/o.tif")) == 2
    one_line_error(capsys, "not UTF-8 text")


def test_a_damaged_input_names_the_file(model, tmp_path, capsys):
    src = write_raster(tmp_path / "damaged.tif", image(256, 256, seed=8))
    os.truncate(src, src.stat().st_size // 2)
    assert predict(src, model, tmp_path / "o.tif") == 2
    one_line_error(capsys, "cannot read", "damaged.tif", "damaged or truncated")
    assert temporaries(tmp_path) == [] and not (tmp_path / "o.tif").exists()


def test_ctrl_c_while_the_command_starts_is_quiet(tmp_path):
    """Python imports the package before running ``-m ...cli.main``: the quiet handler is
    in place from then on; a real Ctrl-C during the start gives one line, status 130."""
    code = ("import sys, signal\nsys.argv = ['-m']\n"
            "import flair_landcover.flair_plugin.engine.cli\n"
            "print(signal.getsignal(signal.SIGINT).__qualname__)\n")
    from helpers_processes import package_env

    shown = subprocess.run([sys.executable, "-c", code], env=package_env(),
                           capture_output=True, text=True)
    assert shown.stdout.strip() == "stop_quietly_while_starting.<locals>.stop", shown.stderr
    reference = np.tile(np.random.default_rng(3).integers(1, 6, (256, 256)).astype(np.uint8),
                        (24, 24))
    pred = write_raster(tmp_path / "pred.tif", np.roll(reference, 1, axis=1)[None])
    ref = write_raster(tmp_path / "ref.tif", reference[None])
    for delay in (0.15, 0.4):
        proc = start("evaluate", "--prediction", pred, "--reference", ref, "--report",
                     tmp_path / "r.html", "--quiet")
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, err
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
        assert not (tmp_path / "r.html").exists()


# --------------------------------------------------------------------------- weak spots

def test_every_check_runs_before_the_work(model, raster, tmp_path, capsys):
    garbage = tmp_path / "garbage.flair.safetensors"
    garbage.write_bytes(b"\0" * 100)
    # a missing input is reported without loading the model (garbage would say otherwise)
    assert predict(tmp_path / "missing.tif", garbage, tmp_path / "o.tif") == 2
    one_line_error(capsys, "missing.tif does not exist")
    # a report folder that does not exist: refused before the evaluation, not after it
    reference = np.random.default_rng(5).integers(1, 13, (40, 40)).astype(np.uint8)
    ref = write_raster(tmp_path / "ref.tif", reference[None])
    status = main(["evaluate", "--prediction", str(ref), "--reference", str(ref),
                   "--report", str(tmp_path / "nowhere" / "r.html"), "--agreement",
                   str(tmp_path / "a.tif"), "--quiet"])
    assert status == 2 and not (tmp_path / "a.tif").exists()
    one_line_error(capsys, "nowhere does not exist")
    assert predict(raster, model, tmp_path / "x.png") == 2
    one_line_error(capsys, "x.png is written as a GeoTIFF: give it a .tif name")


def test_negative_values_need_no_equals_sign(model, tmp_path, capsys):
    signed = write_raster(tmp_path / "int16.tif", image(64, 64, dtype=np.int16) - 128)
    assert predict(signed, model, tmp_path / "o.tif", "--input-scale", "-128,127") == 0
    assert "wrote" in capsys.readouterr().out


def test_nodata_means_every_band_and_the_log_counts_it(model, tmp_path, capsys):
    data = image(64, 64, seed=9)
    data[:, :, :16] = 0  # no data on every band
    data[4, 40:50, 40:50] = 0  # the ground in the elevation band: data
    src = write_raster(tmp_path / "in.tif", data, nodata=0)
    assert predict(src, model, tmp_path / "o.tif") == 0
    assert "1024 px no data (25.0 %)" in capsys.readouterr().out
    with rasterio.open(tmp_path / "o.tif") as out:
        codes = out.read(1)
    assert (codes[:, :16] == 0).all() and (codes[40:50, 40:50] > 0).all()


def test_an_alpha_band_beyond_the_fourth_masks_the_data(model, tmp_path, capsys):
    """GDAL uses alpha masks of 2- and 4-band rasters only: a 6th alpha band was ignored."""
    from rasterio.enums import ColorInterp

    data = image(64, 64, bands=6, seed=10)
    data[5] = 255
    data[5, :, 48:] = 0  # transparent: no data
    src = tmp_path / "rgbie_alpha.tif"
    write_raster(src, data)
    with rasterio.open(src, "r+") as ds:
        ds.colorinterp = [ColorInterp.red, ColorInterp.green, ColorInterp.blue,
                          ColorInterp.undefined, ColorInterp.undefined, ColorInterp.alpha]
    assert predict(src, model, tmp_path / "o.tif") == 0
    assert "1024 px no data" in capsys.readouterr().out
    with rasterio.open(tmp_path / "o.tif") as out:
        codes = out.read(1)
    assert (codes[:, 48:] == 0).all() and (codes[:, :48] > 0).all()


def test_check_output_paths_is_the_one_place(tmp_path):
    a = tmp_path / "a.tif"
    a.write_bytes(b"x")
    with pytest.raises(InputError, match="is given twice"):
        check_output_paths([tmp_path / "o.tif", tmp_path / "o.tif"], [], False)
    with pytest.raises(InputError, match="is one of the inputs"):
        check_output_paths([a], [a], True)
    with pytest.raises(InputError, match="already exists"):
        check_output_paths([a], [], False)
    check_output_paths([a, None], [tmp_path / "missing.tif"], True)
