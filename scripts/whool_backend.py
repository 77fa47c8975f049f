"""PEP 517 build backend: whool, whatever the name of the checkout's folder.

whool derives the addon (and distribution) name from the name of the directory it
builds, which is the physical current directory (symlinks resolved). When this
checkout lives in a folder named otherwise (a CI clone, say), the hooks below build
from ``build/addon/<addon>``, a link to the checkout, so that whool sees the right
name. In a folder already named after the addon they are exactly whool's hooks.
"""

from pathlib import Path

from whool import buildapi

ADDON_NAME = "pan_mcp_pro_governance"


def _addon_dir():
    root = Path.cwd()
    if root.name == ADDON_NAME:
        return root
    build_dir = root / "build"
    build_dir.mkdir(exist_ok=True)
    build_dir.joinpath(".gitignore").write_text("*")
    link = build_dir / "addon" / ADDON_NAME
    link.parent.mkdir(exist_ok=True)
    if link.is_symlink() and link.resolve() != root.resolve():
        link.unlink()
    if not link.is_symlink():
        link.symlink_to(root, target_is_directory=True)
    return link


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return buildapi._build_wheel(_addon_dir(), Path(wheel_directory), editable=False)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return buildapi._build_wheel(_addon_dir(), Path(wheel_directory), editable=True)


def build_sdist(sdist_directory, config_settings=None):
    return buildapi._build_sdist(_addon_dir(), Path(sdist_directory))


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    metadata = buildapi._get_metadata(_addon_dir())
    return buildapi._make_dist_info(metadata, Path(metadata_directory))


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel
