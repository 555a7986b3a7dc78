"""What the operating system says about paths, in words, and flushing a file to disk: shared
by the engine's atomic writes (``engine.features.files``), ``sa`` and ``sa-engine``. Standard
library only, so that ``sa-client`` and the preset tools stay free of torch."""

from __future__ import annotations

import errno
import os
from pathlib import Path


def fsync_file(path: Path) -> None:
    """Flush a written file to disk before it gets its final name."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


OS_REASONS = {
    errno.ELOOP: "it goes through a symbolic link that leads back to itself (a link loop)",
    errno.ENOTDIR: "a part of it that should be a directory is a file",
    errno.EISDIR: "it is a directory",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "the disk is full",
}


def os_reason(error: OSError) -> str:
    """Why the operating system refused a path (`error` from stat, open, link, ...)."""
    if error.errno == errno.ENAMETOOLONG:
        longest = max((len(part.encode()) for part in Path(error.filename or "/").parts),
                      default=0)
        return (f"a name in it is too long for the file system (the longest has {longest} "
                "bytes; names may have at most 255, whole paths 4096)")
    return OS_REASONS.get(error.errno, error.strerror or type(error).__name__)
