"""Where outputs go and how they are written safely.

Every file fastw2v writes (vectors, checkpoints, vocabularies, classes, images,
projector files) goes through :func:`atomic_write`, and every output path is
checked by :func:`classify_output` before any work. An output path is one of:

* a **new file**: its directory must exist and be writable. A dangling symlink
  names a new file too: its target is created and the link is left as it is.
* an **existing regular file** (following symlinks): the *target* is replaced
  atomically by a temporary file written beside it (so the rename stays on one
  file system), fsynced, given the old file's permission bits and, where
  allowed, its owner and group, then renamed over it. A symlink stays a symlink.
* a **special file**: a character device or a FIFO (following symlinks), and
  any path under ``/dev/fd/``, ``/proc/self/fd/``, ``/proc/<pid>/fd/`` and
  ``/dev/stdout`` / ``/dev/stderr`` whatever it points to. It is written in
  place: opened for writing (one of this process's own descriptors is
  duplicated, so a shell's ``>>`` keeps appending), no temporary file, no
  rename, no fsync. Nothing is ever created beside it.

A directory, a block device or a socket is refused. Every problem is a
:class:`FastW2VError` whose message is one line naming the path.

:func:`check_distinct` refuses an output that is the same file as an input or as
another output (same device and inode, so symlinks, hard links and ``dir/..``
spellings are caught; the same resolved path for files that do not exist yet).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import FastW2VError

NEW, FILE, SPECIAL = "new", "file", "special"

# /dev/fd/N, /proc/self/fd/N, /proc/thread-self/fd/N, /proc/<pid>/fd/N (N may be anything: refused later).
_FD_PATH = re.compile(r"/(?:dev|proc/(?:self|thread-self|(?P<pid>\d+)))/fd/(?P<fd>[^/]+)")
_STD_STREAMS = {"/dev/stdout": 1, "/dev/stderr": 2}


@dataclass(frozen=True)
class Output:
    """A classified output path (see :func:`classify_output`)."""

    path: Path  # as the user gave it: what messages name
    kind: str  # NEW, FILE or SPECIAL
    target: Path  # the file written: a symlink's final target; ``path`` for SPECIAL
    fd: int | None = None  # SPECIAL naming one of this process's descriptors: that descriptor

    @property
    def scratch_dir(self) -> Path | None:
        """Where temporary files for this output go: beside the file written, or the
        system's temporary directory (None) for a special file."""
        return None if self.kind == SPECIAL else self.target.parent


def classify_output(path: str | os.PathLike) -> Output:
    """Say what kind of output ``path`` is, or raise FastW2VError if it cannot be written."""
    path = Path(path)
    if _is_descriptor_path(path):
        return _classify_descriptor(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:  # a loop of symlinks, a file used as a directory, ...
        raise FastW2VError(f"cannot write {path}: {exc.strerror or exc}") from None
    if st is None or stat.S_ISREG(st.st_mode):
        target = Path(os.path.realpath(path)) if os.path.islink(path) else path
        parent = target.parent
        if not parent.is_dir():
            raise FastW2VError(f"output directory does not exist: {parent}")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise FastW2VError(f"output directory is not writable: {parent}")
        if st is not None and not os.access(target, os.W_OK):
            raise FastW2VError(f"output file is not writable: {path}")
        return Output(path, NEW if st is None else FILE, target)
    if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
        if not os.access(path, os.W_OK):
            raise FastW2VError(f"output file is not writable: {path}")
        return Output(path, SPECIAL, path)
    what = ("a directory" if stat.S_ISDIR(st.st_mode) else "a block device" if stat.S_ISBLK(st.st_mode)
            else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
    raise FastW2VError(f"output path is {what}: {path}")


def check_output_path(path: str | os.PathLike) -> Path:
    """Fail early (before any training) if ``path`` cannot be written; return it as a Path."""
    return classify_output(path).path


def companion_path(output: str | os.PathLike, suffix: str) -> Path | None:
    """``OUTPUT`` + ``suffix``, the default name of a file kept beside an output
    (``vec.txt.checkpoint``); None when the output is a special file, since
    nothing is created beside a device, a pipe or a descriptor."""
    output = Path(output)
    if classify_output(output).kind == SPECIAL:
        return None
    return output.with_name(output.name + suffix)


def recorded_path(path: str | os.PathLike) -> str:
    """The absolute path to keep for a later run (a checkpoint's output): symlinks
    resolved, except descriptor paths (``/dev/stdout``, ``/dev/fd/N``), which
    name whatever the later run's descriptor is."""
    if _is_descriptor_path(Path(path)):
        return os.path.abspath(path)
    return str(Path(path).resolve())


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb"):
    """Open ``path`` for writing as :func:`classify_output` says: a regular or new
    file through a temporary file renamed over it on success (a failure leaves
    the old file as it was), a special file in place. An OSError becomes
    ``FastW2VError("cannot write PATH: reason")``."""
    output = classify_output(path)
    opener = _write_in_place if output.kind == SPECIAL else _write_replacing
    with opener(output, mode) as f:
        yield f


def check_distinct(outputs: Mapping[str, object], inputs: Mapping[str, object] | None = None,
                   updates: Mapping[str, str] | None = None) -> None:
    """Refuse an output that is the same file as an input or as another output.

    ``outputs`` and ``inputs`` map a role (``"--output"``, ``"the corpus file"``)
    to a path, a list of paths, or None. ``updates`` maps an output role to the
    input role it may be (``{"--checkpoint": "the checkpoint being resumed"}``).
    Character devices never clash (two outputs may both go to /dev/null).
    """
    seen_inputs = [(key, role, p) for role, paths in (inputs or {}).items() for p in _each(paths)
                   if (key := _identity(p)) is not None]
    seen_outputs: list = []
    for role, paths in outputs.items():
        for p in _each(paths):
            key = _identity(p)
            if key is None:
                continue
            for in_key, in_role, in_path in seen_inputs:
                if key == in_key and (updates or {}).get(role) != in_role:
                    raise FastW2VError(f"{role} {p} is {in_role} {in_path}; refusing to overwrite it")
            for out_key, out_role, _ in seen_outputs:
                if key == out_key:
                    raise FastW2VError(f"{role} {p} is the same file as {out_role}")
            seen_outputs.append((key, role, p))


# ---------------------------------------------------------------- writing
@contextlib.contextmanager
def _write_replacing(output: Output, mode: str):
    target = output.target
    old = os.stat(target) if output.kind == FILE else None
    try:  # the directory may have turned read-only, or the disk run out of inodes, since the check
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise FastW2VError(f"cannot write {output.path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as f:
            yield f
            f.flush()
            _set_permissions(f.fileno(), old)
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise FastW2VError(f"cannot write {output.path}: {exc.strerror or exc}") from None
        raise


@contextlib.contextmanager
def _write_in_place(output: Output, mode: str):
    try:
        if output.fd is not None:
            fd = os.dup(output.fd)
        else:  # a FIFO waits here for its reader; a regular file behind /proc/<pid>/fd/N is truncated, as `>` does
            regular = stat.S_ISREG(os.stat(output.path).st_mode)
            fd = os.open(output.path, os.O_WRONLY | (os.O_TRUNC if regular else 0))
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as f:
            yield f
    except OSError as exc:  # ENOSPC from /dev/full, EPIPE from a pipe whose reader left, ...
        raise FastW2VError(f"cannot write {output.path}: {exc.strerror or exc}") from None


def _set_permissions(fd: int, old: os.stat_result | None) -> None:
    """A replaced file keeps its mode bits and (where allowed) owner and group; a new
    file gets what ``open`` would give it (0o666 less the umask), not mkstemp's 0o600."""
    if old is None:
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o666 & ~_umask())
        return
    now = os.fstat(fd)
    if (now.st_uid, now.st_gid) != (old.st_uid, old.st_gid):
        with contextlib.suppress(OSError):  # only root may give a file away
            os.fchown(fd, old.st_uid, old.st_gid)
    with contextlib.suppress(OSError):  # after fchown, which clears set-user-ID bits
        os.fchmod(fd, stat.S_IMODE(old.st_mode))


def _umask() -> int:
    """The process umask, read without changing it (other threads may create files)."""
    with contextlib.suppress(OSError, ValueError, IndexError), open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# ---------------------------------------------------------------- descriptor paths
def _is_descriptor_path(path: Path) -> bool:
    name = os.path.abspath(path)
    return name in _STD_STREAMS or _FD_PATH.fullmatch(name) is not None


def _own_descriptor(path: Path) -> int | None:
    """The number of this process's descriptor that a descriptor path names, or None
    (another process's descriptor, or a name that is not a number)."""
    name = os.path.abspath(path)
    if name in _STD_STREAMS:
        return _STD_STREAMS[name]
    match = _FD_PATH.fullmatch(name)
    if match["pid"] is not None and int(match["pid"]) != os.getpid() or not match["fd"].isdigit():
        return None
    return int(match["fd"])


def _classify_descriptor(path: Path) -> Output:
    fd = _own_descriptor(path)
    try:
        if fd is None:
            os.stat(path)
        else:
            os.fstat(fd)
            if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY:
                raise FastW2VError(f"cannot write {path}: the descriptor is open for reading only")
    except OverflowError:  # /dev/fd/99999999999999999999
        raise FastW2VError(f"cannot write {path}: {os.strerror(errno.EBADF)}") from None
    except OSError as exc:
        raise FastW2VError(f"cannot write {path}: {exc.strerror or exc}") from None
    return Output(path, SPECIAL, path, fd)


# ---------------------------------------------------------------- sameness
def _each(paths) -> list:
    if paths is None:
        return []
    if isinstance(paths, (str, os.PathLike)):
        return [paths]
    return [p for p in paths if p is not None]


def _identity(path) -> tuple | None:
    """What makes two paths the same file: (device, inode) of an existing file, the
    resolved path of one that does not exist yet; None for a character device."""
    try:
        st = os.stat(path)
    except OSError:
        return ("path", os.path.realpath(path))
    if stat.S_ISCHR(st.st_mode):
        return None
    return ("inode", st.st_dev, st.st_ino)
