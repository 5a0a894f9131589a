"""Atomic file writes: a temporary file in the same folder, then ``os.replace``,
so an interrupted command never leaves half a file behind.

The temporary file is named ``.<name>.<pid>@<host>.<random>.tmp``: a command cleaning up
after a killed one (``fragscope sweep``) can tell a writer that is gone from one still
writing (:func:`temporary_writer`)."""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

TMP_SUFFIX = ".tmp"


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder."""
    _atomic(path, lambda f: f.write(text), "w")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` (e.g. a Parquet file) to ``path`` through a temporary file."""
    _atomic(path, lambda f: f.write(data), "wb")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic(path: Path, write, mode: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}@{socket.gethostname()}.",
                               suffix=TMP_SUFFIX)
    try:
        with os.fdopen(fd, mode, **({"newline": ""} if "b" not in mode else {})) as f:
            write(f)
        # mkstemp creates the file 0600; give it the permissions a plain open() would
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def temporary_writer(tmp: Path) -> tuple[int, str] | None:
    """(process id, host) of the command writing temporary file ``tmp``; None for a
    name that does not say (another program's, or an older fragscope's)."""
    name = tmp.name
    if not name.endswith(TMP_SUFFIX) or "@" not in name:
        return None
    left, right = name[:-len(TMP_SUFFIX)].rsplit("@", 1)
    pid, host = left.rsplit(".", 1)[-1], right.rsplit(".", 1)[0]
    if not pid.isdigit() or not host or "." not in right:
        return None
    return int(pid), host
