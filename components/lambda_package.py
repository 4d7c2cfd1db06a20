"""The function's deployment package: the handler package and nothing else.

Only the ``.py`` files of ``handler/`` go in, listed explicitly (but the local preview, ``__main__.py``): no tests, no
``__pycache__`` (a ``.pyc`` changes the archive's hash, so every ``pulumi up``
would update the function), no editor or OS droppings.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pulumi

HANDLER_DIR = Path(__file__).resolve().parent.parent / "handler"
PACKAGE = HANDLER_DIR.name
ENTRY_POINT = f"{PACKAGE}.app.handler"
# `python -m handler`, the local preview, is for people at a terminal: Lambda never runs it.
LOCAL_ONLY = frozenset({"__main__.py"})
# A fixed date keeps the zip the same bytes for the same sources.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def handler_files(handler_dir: Path = HANDLER_DIR) -> dict[str, Path]:
    """Archive path -> source file, sorted, e.g. 'handler/app.py'."""
    return {
        f"{PACKAGE}/{path.name}": path
        for path in sorted(handler_dir.glob("*.py"))
        if path.is_file() and path.name not in LOCAL_ONLY
    }


def handler_archive(handler_dir: Path = HANDLER_DIR) -> pulumi.AssetArchive:
    files = handler_files(handler_dir)
    if f"{PACKAGE}/app.py" not in files:
        raise FileNotFoundError(f"{handler_dir / 'app.py'} is missing; the function's entry point is {ENTRY_POINT}")
    return pulumi.AssetArchive({name: pulumi.FileAsset(str(path)) for name, path in files.items()})


def handler_zip(handler_dir: Path = HANDLER_DIR) -> bytes:
    """The same files as a zip, byte for byte reproducible: for benchmarks and rehearsals."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in handler_files(handler_dir).items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()
