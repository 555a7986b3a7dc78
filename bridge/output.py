"""Output files: descriptive unique names, written atomically, never overwriting anything.

A file is written under a hidden temporary name in `out_dir`, flushed to disk, then given its
final name with `os.link`, which fails instead of replacing an existing file. Where the file
system has no hard links, the final name is first reserved with O_CREAT|O_EXCL and the finished
file is renamed over that empty placeholder (os.replace). A reader never sees a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Callable
from pathlib import Path

from semanticaudio.engine.fsutil import fsync_file

MAX_SLUG_CHARS = 40
MAX_NAME_TRIES = 1000  # name-2 … name-1000 before giving up (the job id already makes it unique)


def slugify(text: str, max_chars: int = MAX_SLUG_CHARS) -> str:
    """A short lowercase ASCII file-name fragment: "Dog barks, far away!" → "dog-barks-far-away"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_chars].rstrip("-") or "untitled"


def output_stem(kind: str, prompt: str, job_id: str) -> str:
    """`sa_<kind>_<slug of prompt>_<job id>`, e.g. `sa_edit_a-cat-meows_1f3a9c`."""
    return f"sa_{kind}_{slugify(prompt)}_{job_id}"


def claim_name(temp: Path, final: Path) -> bool:
    """Give the finished `temp` the name `final` unless something has that name. True when it
    did (`temp` is then gone); False leaves `temp` as it was."""
    try:
        os.link(temp, final)
    except FileExistsError:
        return False
    except OSError:  # no hard links here (FAT, some network shares): reserve, then replace
        try:
            os.close(os.open(final, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            return False
        try:
            temp.replace(final)
        except BaseException:
            final.unlink(missing_ok=True)  # our empty placeholder, not a result
            raise
        return True
    temp.unlink()
    return True


# Why the operating system refused a path, in words a DAW user can act on.
def file_kind(mode: int) -> str:
    """What a file is (`mode` from os.stat), for a message: "a directory", "a device file"..."""
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def check_writable(out_dir: Path) -> None:
    """Create and remove a hidden empty file in `out_dir`; raises the OSError when that fails.

    Asking the file system is the only sure test: os.access answers yes to root for read-only
    and virtual file systems (/proc, /sys) that then refuse every new file."""
    probe = out_dir / f".sa_probe_{secrets.token_hex(8)}"
    os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    probe.unlink()


def write_new_file(out_dir: Path, stem: str, suffix: str, write: Callable[[Path], None]) -> Path:
    """Call `write(temp_path)`, then publish it as `out_dir/stem+suffix` (or `stem-2+suffix`, …)
    without ever replacing an existing file. The temporary file is removed on any failure."""
    temp = out_dir / f".sa_tmp_{secrets.token_hex(8)}{suffix}"
    # os.open, not mkstemp: the file gets the user's umask (mkstemp would make it 0600)
    os.close(os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    try:
        write(temp)
        fsync_file(temp)
        for attempt in range(1, MAX_NAME_TRIES + 1):
            final = out_dir / (stem + (f"-{attempt}" if attempt > 1 else "") + suffix)
            if claim_name(temp, final):
                return final
        raise FileExistsError(f"{out_dir} already holds {stem}{suffix} and {MAX_NAME_TRIES} more")
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
