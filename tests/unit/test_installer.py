"""Installing packages from QGIS: real pip against a real package index on 127.0.0.1.

The index serves small wheels made here (a real wheel's layout), so nothing reaches the
internet and each case is quick: install, the restart decision, cancel, a failure.
"""

import base64
import hashlib
import http.server
import sys
import threading
import zipfile
from functools import partial
from pathlib import Path

import pytest

from flair_landcover.flair_plugin import installer
from flair_landcover.flair_plugin.dependencies import Requirement

NAME, MODULE = "flairdemo-pkg", "flairdemo_pkg"


def make_wheel(index: Path, version: str) -> None:
    """``flairdemo_pkg-<version>`` as a wheel, listed in the index's simple page."""
    files = {f"{MODULE}/__init__.py": f"VERSION = {version!r}\n",
             f"{MODULE}-{version}.dist-info/METADATA":
                 f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {version}\n",
             f"{MODULE}-{version}.dist-info/WHEEL":
                 "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                 "Tag: py3-none-any\n"}
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest())
        record.append(f"{name},sha256={digest.decode().rstrip('=')},{len(text.encode())}")
    record.append(f"{MODULE}-{version}.dist-info/RECORD,,")
    files[f"{MODULE}-{version}.dist-info/RECORD"] = "\n".join(record) + "\n"
    (index / "files").mkdir(parents=True, exist_ok=True)
    wheel = index / "files" / f"{MODULE}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    page = index / "simple" / NAME
    page.mkdir(parents=True, exist_ok=True)
    links = "".join(f'<a href="../../files/{w.name}">{w.name}</a>\n'
                    for w in sorted((index / "files").glob("*.whl")))
    (page / "index.html").write_text(f"<html><body>{links}</body></html>")


@pytest.fixture
def index(tmp_path):
    root = tmp_path / "index"
    make_wheel(root, "1.0")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/simple"
    server.shutdown()


@pytest.fixture
def clean_imports():
    path = list(sys.path)
    yield
    sys.path[:] = path
    sys.modules.pop(MODULE, None)


def test_install_into_the_plugins_folder_with_progress(index, tmp_path, clean_imports):
    _, url = index
    folder = tmp_path / "profile" / "python" / installer.FOLDER_NAME
    lines, fractions = [], []
    result = installer.install([Requirement(NAME, MODULE, (1, 0))], folder, index_url=url,
                               log=lines.append, progress=fractions.append)
    assert result.installed == [MODULE] and not result.restart_needed
    assert (folder / MODULE / "__init__.py").is_file()
    assert fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert any(line.startswith("Collecting flairdemo-pkg") for line in lines)
    assert str(folder) == sys.path[0]  # usable at once, before any restart
    import flairdemo_pkg

    assert flairdemo_pkg.VERSION == "1.0"
    # nothing left beside the folder: pip worked in a staging folder that is gone
    assert [p.name for p in folder.parent.iterdir()] == [installer.FOLDER_NAME]
    # satisfied now: a second call installs nothing and starts no pip
    again = installer.install([Requirement(NAME, MODULE, (1, 0))], folder, index_url=url,
                              log=lines.append)
    assert again.installed == [] and lines[-1].startswith("Every package")


def test_a_loaded_older_copy_means_restart(index, tmp_path, clean_imports):
    root, url = index
    folder = tmp_path / "packages"
    installer.install([Requirement(NAME, MODULE, (1, 0))], folder, index_url=url, log=print)
    import flairdemo_pkg  # noqa: F401  (the old copy is now loaded in this process)

    make_wheel(root, "2.0")
    result = installer.install([Requirement(NAME, MODULE, (2, 0))], folder, index_url=url,
                               log=print)
    assert result.installed == [MODULE] and result.restart_needed
    assert [p.name for p in folder.glob("*.dist-info")] == [f"{MODULE}-2.0.dist-info"]
    assert "2.0" in (folder / MODULE / "__init__.py").read_text()


def test_cancel_leaves_everything_as_it_was(index, tmp_path, clean_imports):
    _, url = index
    folder = tmp_path / "packages"
    with pytest.raises(installer.InstallCancelled, match="nothing was changed"):
        installer.install([Requirement(NAME, MODULE, (1, 0))], folder, index_url=url,
                          log=print, cancel=lambda: True)
    assert list(tmp_path.iterdir()) == [tmp_path / "index"]  # no folder, no staging


def test_a_package_the_index_lacks_is_a_clear_error(index, tmp_path, clean_imports):
    _, url = index
    folder = tmp_path / "packages"
    with pytest.raises(installer.InstallError, match="(?s)pip could not install.*No match"
                                                       ".*proxy settings"):
        installer.install([Requirement("flair-no-such-package", "x", (1, 0))], folder,
                          index_url=url, log=print)
    assert not folder.exists()


def test_the_cpu_build_of_torch_without_an_nvidia_gpu(tmp_path):
    target = tmp_path / "t"
    cpu = installer.pip_command(["torch>=2.1", "numpy>=1.22"], target, "cpu",
                                proxy="http://proxy:3128")
    assert cpu[:3] == [sys.executable, "-m", "pip"]
    assert cpu[cpu.index("--extra-index-url") + 1] == installer.TORCH_CPU_INDEX
    assert cpu[cpu.index("--proxy") + 1] == "http://proxy:3128"
    assert "--extra-index-url" not in installer.pip_command(["torch>=2.1"], target, "cuda")
    # evaluation needs no torch: no torch index either
    assert "--extra-index-url" not in installer.pip_command(["rasterio>=1.3"], target, "cpu")
    auto = installer.pip_command(["torch>=2.1"], target, "auto")
    assert ("--extra-index-url" in auto) == (not installer.has_nvidia_gpu())
