"""The real QGIS desktop in tests: a throw-away profile with this plugin enabled."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def make_profile(root: Path) -> None:
    """A QGIS profile with the plugin installed (linked) and enabled."""
    profile = root / "profiles" / "default"
    plugins = profile / "python" / "plugins"
    plugins.mkdir(parents=True)
    (plugins / "flair_landcover").symlink_to(REPO, target_is_directory=True)
    (profile / "QGIS").mkdir()
    (profile / "QGIS" / "QGIS3.ini").write_text(
        "[PythonPlugins]\nflair_landcover=true\n\n[qgis]\ncheckVersion=false\n"
        "showTips=false\n")
