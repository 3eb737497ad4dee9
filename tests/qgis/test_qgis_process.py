"""The packaged plugin end to end through ``qgis_process``, as batch users run it."""

import json
import zipfile

import pytest
from helpers_qgis import qgis_process_env, run_qgis_process
from helpers_rasters import class_raster

from flair_landcover.flair_plugin.styling import qml


def install(plugin_zip, plugins_dir, folder):
    """Unzip like QGIS's "Install from ZIP", optionally under another folder name."""
    with zipfile.ZipFile(plugin_zip) as archive:
        names = archive.namelist()
        assert {n.split("/")[0] for n in names} == {"flair_landcover"}
        archive.extractall(plugins_dir / "unzipped")
    (plugins_dir / "unzipped" / "flair_landcover").rename(plugins_dir / folder)
    (plugins_dir / "unzipped").rmdir()


@pytest.fixture(params=[("flair_landcover", True), ("flair-landcover-qgis-main", False)],
                ids=["installed-name-with-torch", "other-folder-without-torch"])
def qgis_process(request, plugin_zip, tmp_path):
    """qgis_process with the zip installed and enabled.

    The second variant uses the folder name of a GitHub "Download ZIP" and QGIS's bare
    Python (no torch, rasterio...): the toolbox and styling must work there too.
    """
    folder, with_venv = request.param
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    install(plugin_zip, plugins, folder)
    env = qgis_process_env(plugins, tmp_path / "profile", with_venv=with_venv)
    run_qgis_process(["plugins", "enable", folder], env)
    return env


def test_zip_holds_runtime_files_only(plugin_zip):
    names = zipfile.ZipFile(plugin_zip).namelist()
    assert "flair_landcover/metadata.txt" in names
    assert "flair_landcover/__init__.py" in names
    assert "flair_landcover/resources/icons/flair.svg" in names
    assert not [n for n in names if "/tests/" in n or ".venv" in n or "__pycache__" in n]


def test_list_help_and_run(qgis_process, tmp_path):
    listed = run_qgis_process(["list"], qgis_process).stdout
    assert "flair:applystyle" in listed
    assert "FLAIR land cover" in listed

    help_text = run_qgis_process(["help", "flair:applystyle"], qgis_process).stdout
    assert "Apply FLAIR land-cover style" in help_text
    assert "SCHEME" in help_text and "flairhub" in help_text

    raster = class_raster(tmp_path / "MSK_000042.tif", range(0, 19))
    done = run_qgis_process(["run", "flair:applystyle", "--json", "--",
                             f"INPUT={raster}", "SCHEME=flairhub"], qgis_process)
    payload = json.loads(done.stdout[done.stdout.index("{"):])
    assert payload["results"]["OUTPUT"] == str(raster)
    assert qml.is_our_style(tmp_path / "MSK_000042.qml")
    assert 'label="greenhouse"' in (tmp_path / "MSK_000042.qml").read_text()


def test_bad_input_fails_with_a_clear_message(qgis_process, tmp_path):
    raster = class_raster(tmp_path / "x.tif", [1, 2])
    failed = run_qgis_process(["run", "flair:applystyle", "--", f"INPUT={raster}", "BAND=4"],
                              qgis_process, check=False)
    assert failed.returncode != 0
    assert "Band 4 does not exist" in failed.stdout + failed.stderr
    assert not (tmp_path / "x.qml").exists()


def test_installing_packages_from_qgis_uses_its_python_and_fails_cleanly(qgis_process,
                                                                          tmp_path):
    """The installer runs pip with QGIS's own Python against the index given (here a
    local one that lacks the packages): a clear error, and no folder left behind."""
    import http.server
    import threading
    from functools import partial

    (tmp_path / "index" / "simple").mkdir(parents=True)
    handler = partial(http.server.SimpleHTTPRequestHandler,
                      directory=str(tmp_path / "index"))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/simple"
        done = run_qgis_process(["run", "flair:installpackages", "--", "WHAT=1",
                                 f"INDEX_URL={url}"], qgis_process, check=False)
    finally:
        server.shutdown()
    output = done.stdout + done.stderr
    if "PYTHONPATH" not in qgis_process:  # QGIS's bare Python: rasterio is missing
        assert done.returncode != 0
        assert "pip could not install the packages" in output
        assert "rasterio" in output and "proxy settings" in output
        assert not [p for p in tmp_path.rglob("*flair_landcover_packages*")]
    else:  # the venv: everything is there, pip never runs
        assert done.returncode == 0, output
        assert "Every package FLAIR needs is installed already" in output
