"""Running ``qgis_process`` from tests."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

QGIS_PROCESS = "/usr/bin/qgis_process.bin"  # /usr/bin/qgis_process is broken on Debian 12


def qgis_process_env(plugin_dir: Path, profile: Path, with_venv: bool = True) -> dict:
    """Environment for qgis_process with our plugin folder and a throw-away profile.

    ``with_venv=False`` runs QGIS's bare Python, where torch & co. are not installed.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(QT_QPA_PLATFORM="offscreen", QGIS_PLUGINPATH=str(plugin_dir),
               QGIS_CUSTOM_CONFIG_PATH=str(profile))
    if with_venv:
        import site

        env["PYTHONPATH"] = os.pathsep.join(site.getsitepackages())
    return env


def run_qgis_process(args, env, check=True, timeout=300):
    if shutil.which(QGIS_PROCESS) is None:
        pytest.fail(f"{QGIS_PROCESS} is missing: install the Debian package qgis (make setup)")
    result = subprocess.run([QGIS_PROCESS, *args], env=env, capture_output=True, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"qgis_process {' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def linked_plugin_env(folder: Path) -> dict:
    """qgis_process with this repository linked in as the enabled plugin flair_landcover."""
    plugins = folder / "plugins"
    plugins.mkdir()
    (plugins / "flair_landcover").symlink_to(Path(__file__).resolve().parents[1],
                                             target_is_directory=True)
    env = qgis_process_env(plugins, folder / "profile")
    run_qgis_process(["plugins", "enable", "flair_landcover"], env)
    return env


def desktop_profile(root: Path) -> None:
    """A QGIS desktop profile with this repository installed (linked) and enabled."""
    profile = root / "profiles" / "default"
    plugins = profile / "python" / "plugins"
    plugins.mkdir(parents=True)
    (plugins / "flair_landcover").symlink_to(Path(__file__).resolve().parents[1],
                                             target_is_directory=True)
    (profile / "QGIS").mkdir()
    (profile / "QGIS" / "QGIS3.ini").write_text(
        "[PythonPlugins]\nflair_landcover=true\n\n[qgis]\ncheckVersion=false\n"
        "showTips=false\n")
