"""Writing output files safely: checked before any work, written atomically.

Every file fastw2v writes (vectors, checkpoints, vocabularies, logs, classes,
images) goes through here. :func:`check_output_path` fails early, before any
training, when a path cannot be written; :func:`atomic_write` writes to a
temporary file in the target directory and renames it over the target only
once complete, so a failure never leaves a half-written file and never damages
an existing one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .errors import FastW2VError


def check_output_path(path: str | os.PathLike) -> Path:
    """Fail early (before any training) if ``path`` cannot be written."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FastW2VError(f"output directory does not exist: {parent}")
    if path.is_dir():
        raise FastW2VError(f"output path is a directory: {path}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise FastW2VError(f"output directory is not writable: {parent}")
    if path.exists() and not os.access(path, os.W_OK):
        raise FastW2VError(f"output file is not writable: {path}")
    return path


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb"):
    """Open a temporary file beside ``path``; rename it over ``path`` on success."""
    path = Path(path)
    check_output_path(path)
    try:  # the directory may have turned read-only, or the disk run out of inodes, since the check
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    except OSError as exc:
        raise FastW2VError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise FastW2VError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
