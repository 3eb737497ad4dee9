"""Catalogue inference on a real Ray cluster: `ray start --head` on 127.0.0.1, 2 CPUs.

The cluster runs in a subprocess of the test (`ray start --block`, stopped by SIGTERM at
the end; no Ray process may outlive the module). Two actors of one CPU each compute the
tiles: the mosaic equals one prediction over the whole image, a worker killed mid-run has
its tile retried, and a job stopped and rerun computes only the missing tiles; the
`flair-landcover catalogue --ray-address` command does the same end to end.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from helpers_catalogue import CPU, PIXEL, image, leftovers, read, write_catalogue
from helpers_models import our_checkpoint
from helpers_rasters import write_raster

from flair_landcover.flair_plugin.engine.catalogue import run_catalogue
from flair_landcover.flair_plugin.engine.catalogue.executors import Finished, Started
from flair_landcover.flair_plugin.engine.catalogue.manifest import manifest_paths
from flair_landcover.flair_plugin.engine.errors import PredictionCancelled
from flair_landcover.flair_plugin.engine.inference.predict import predict

# Read when Ray is first imported: keep every Ray address on the loopback (Ray otherwise
# swaps 127.0.0.1 for the machine's network address), send no usage statistics, and let
# the driver join the test's own loopback-only head without a token from the home folder.
RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0",
           "RAY_AUTH_MODE": "disabled"}
os.environ.update(RAY_ENV)
ray = pytest.importorskip("ray")
if ray._private.ray_constants.ENABLE_RAY_CLUSTER:  # Ray was imported before this module
    pytest.skip("Ray was imported with its network address on: its tests would leave "
                "127.0.0.1", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _processes_using(marker: str):
    """pids of the processes whose command line holds ``marker`` (our cluster's folder)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def cluster():
    """A Ray head on 127.0.0.1 with 2 CPUs, started and stopped by this test."""
    # Short: Ray's Unix sockets live under it, and socket paths must stay under 108 bytes.
    temp = tempfile.mkdtemp(prefix="fr", dir="/tmp")
    port = _free_port()
    ray_cli = Path(sys.executable).with_name("ray")
    log = open(Path(temp) / "head.log", "w")
    head = subprocess.Popen(
        [str(ray_cli), "start", "--head", "--block", f"--port={port}",
         "--node-ip-address=127.0.0.1", "--num-cpus=2", "--num-gpus=0",
         "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp}"],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **RAY_ENV})
    try:
        deadline = time.monotonic() + 120
        while True:
            assert head.poll() is None, (Path(temp) / "head.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the Ray head did not start"
                time.sleep(0.5)
        yield f"127.0.0.1:{port}"
    finally:
        head.send_signal(signal.SIGTERM)
        head.wait(timeout=120)
        log.close()
        stray = _processes_using(temp)
        for pid in stray:  # ours (they name our folder): none may outlive the tests
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(temp, ignore_errors=True)
        assert not stray, f"Ray processes left running after the head stopped: {stray}"


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    import torch

    folder = tmp_path_factory.mktemp("ray_scene")
    data = image(seed=4)
    write_catalogue(folder / "tiles", data)
    model = our_checkpoint(folder / "tiny.flair.safetensors")
    whole = write_raster(folder / "whole.tif", data, pixel=PIXEL)
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # as each actor (one CPU); two threads spin on a shared CPU
    reference = {}
    try:
        for blend in ("crop", "hann"):
            predict(whole, model, folder / f"{blend}.tif", blend=blend, **CPU)
            reference[blend] = read(folder / f"{blend}.tif")
    finally:
        torch.set_num_threads(before)
    return dict(tiles=folder / "tiles", model=model, reference=reference)


def _executor(address):
    from flair_landcover.flair_plugin.engine.catalogue.ray_executor import RayExecutor

    return RayExecutor(address, workers=2, cpus_per_worker=1)


def _records(folder):
    return {t["name"]: t for p in manifest_paths(folder)
            for t in json.loads(p.read_text())["tiles"]}


def test_ray_equals_one_run_and_survives_a_killed_worker(cluster, scene, tmp_path):
    out = tmp_path / "out"
    killed = []

    def kill_first(event):  # an actor is computing a tile: kill its process
        if isinstance(event, Started) and not killed:
            killed.append(int(event.worker.rsplit(":", 1)[1]))
            os.kill(killed[0], signal.SIGKILL)

    result = run_catalogue(scene["tiles"], scene["model"], out, blend="hann",
                           executor=_executor(cluster), on_event=kill_first,
                           **{k: v for k, v in CPU.items() if k != "blend"})
    assert result.executor.startswith("2 Ray actors of 1 CPU each on 127.0.0.1:")
    assert killed and result.retries >= 1 and result.tiles_computed == 9
    records = _records(out)
    assert max(r["attempts"] for r in records.values()) == 2
    assert all(not r["worker"].endswith(f":{killed[0]}") for r in records.values())
    assert np.array_equal(read(result.mosaic), scene["reference"]["hann"])
    assert not leftovers(out)


def test_ray_job_stopped_then_rerun_computes_only_the_missing(cluster, scene, tmp_path):
    out = tmp_path / "out"
    finished = []

    def count(event):
        if isinstance(event, Finished):
            finished.append(event.name)

    with pytest.raises(PredictionCancelled):
        run_catalogue(scene["tiles"], scene["model"], out, executor=_executor(cluster),
                      on_event=count, cancel=lambda: len(finished) >= 3, **CPU)
    done = _records(out)
    assert len(done) >= 3 and set(done) <= set(finished)
    assert not leftovers(out)
    result = run_catalogue(scene["tiles"], scene["model"], out, executor=_executor(cluster),
                           **CPU)
    assert (result.tiles_reused, result.tiles_computed) == (len(done), 9 - len(done))
    assert np.array_equal(read(result.mosaic), scene["reference"]["crop"])


def test_command_on_the_ray_cluster(cluster, scene, tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "flair_landcover.flair_plugin.engine.cli", "catalogue",
           "--input", str(scene["tiles"]), "--model", str(scene["model"]), "--output",
           str(out), "--ray-address", cluster, "--workers", "2", "--cpus-per-worker", "1",
           "--device", "cpu", "--precision", "fp32", "--runtime", "torch", "--block", "32",
           "--halo", "32", "--batch-size", "1", "--readers", "1", "--quiet"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **RAY_ENV})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "landcover.vrt (9 tiles): 9 tiles computed" in done.stdout
    assert "2 Ray actors of 1 CPU each" in done.stdout
    assert np.array_equal(read(out / "landcover.vrt"), scene["reference"]["crop"])
