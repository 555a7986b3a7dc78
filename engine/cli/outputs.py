"""Where ``sa generate`` and ``sa edit`` write their WAV files.

Every output path is checked before the model loads (a folder, a file in the way, an existing
file without --overwrite, the input itself). The takes are then written as hidden temporary
files in the output folder, all of them, before any gets its final name, so a failure leaves no
half-written file and no partial set of variations; with --overwrite, the files a failed run had
already replaced are put back. Files get the user's umask, as the daemon's
do (``bridge/output.py``); its ``write_new_file`` is not used because it picks a free name
(``name-2.wav``) where ``sa`` must write the name it was given or refuse.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

from semanticaudio.bridge.output import check_writable, claim_name, file_kind
from semanticaudio.engine.fsutil import fsync_file, os_reason

OUTPUT_SUFFIX = ".wav"
SUBTYPE = "PCM_24"  # what the daemon writes by default (job_settings.DEFAULT_BIT_DEPTH)


class OutputError(ValueError):
    """An output path that cannot be written; the message says why and what is accepted."""


def output_paths(path: str, count: int) -> list[Path]:
    """out.wav for one result; out_v1.wav, out_v2.wav … for several."""
    target = Path(path)
    if target.suffix.lower() != OUTPUT_SUFFIX:
        raise OutputError(
            f"-o must name a .wav file (sa writes WAV files only), got {path!r}; "
            f"for example {str(target.with_suffix(OUTPUT_SUFFIX))!r}"
        )
    if count == 1:
        return [target]
    return [target.with_name(f"{target.stem}_v{i}{target.suffix}") for i in range(1, count + 1)]


def check_outputs(paths: list[Path], overwrite: bool, input_path: Path | None = None) -> None:
    """Refuse, before any work, every output that could not or must not be written.

    ``input_path`` (an edit's recording) is never written, with or without --overwrite: it is
    compared with each path after resolving links, and as the same file on disk (a hard link)."""
    for path in paths:
        if input_path is not None and _same_file(path, input_path):
            same = "" if str(path) == str(input_path) else f" ({input_path}, the same file)"
            raise OutputError(
                f"{path} is the input file{same}; sa never overwrites the recording it edits "
                "(not even with --overwrite): choose another -o"
            )
        _check_target(path, overwrite)
    for folder in dict.fromkeys(path.parent for path in paths):
        _check_folder(folder)


def write_takes(paths: list[Path], takes: list, sample_rate_hz: int, overwrite: bool,
                subtype: str = SUBTYPE) -> None:
    """Write each `(channels, frames)` float take to its path as WAV of soundfile's `subtype`
    (24-bit unless a preset's [output] bit_depth says otherwise): all or none. With
    `overwrite`, a file replaced before a later one fails is put back as it was."""
    temporary: list[Path] = []
    published: list[Path] = []
    kept: dict[Path, Path] = {}  # a replaced file → its hidden copy, until all are written
    current = paths[0]
    try:
        for folder in dict.fromkeys(path.parent for path in paths):
            folder.mkdir(parents=True, exist_ok=True)
        for current, take in zip(paths, takes, strict=True):
            temporary.append(_write_temporary(current, take, sample_rate_hz, subtype))
        for current, temp in zip(paths, temporary, strict=True):
            if overwrite and current.is_file():
                kept[current] = _keep_aside(current)
            _publish(temp, current, overwrite)
            published.append(current)
    except (OSError, RuntimeError) as error:  # RuntimeError: soundfile's LibsndfileError
        _undo(published, kept)
        reason = os_reason(error) if isinstance(error, OSError) else str(error)
        raise OutputError(
            f"{current} could not be written: {reason}; no output of this run was kept"
            + (" and the files it was replacing are back" if kept else "")
        ) from None
    except BaseException:
        _undo(published, kept)
        raise
    finally:
        _remove(temporary)
        _remove(list(kept.values()))


def _same_file(path: Path, other: Path) -> bool:
    """The same path once links are resolved, or the same file on disk (a hard link)."""
    with contextlib.suppress(OSError, RuntimeError):  # RuntimeError: a symbolic link loop
        if path.resolve() == other.resolve():
            return True
    with contextlib.suppress(OSError):
        return path.samefile(other)
    return False


def _check_target(path: Path, overwrite: bool) -> None:
    """The output path itself: nothing there, or (with --overwrite) a file."""
    try:
        found = path.lstat()
    except FileNotFoundError:
        return
    except NotADirectoryError:  # a parent is a file: _check_folder says which one
        return
    except OSError as error:
        raise OutputError(f"-o {path} cannot be used: {os_reason(error)}") from None
    mode = found.st_mode
    if stat.S_ISDIR(mode) or (stat.S_ISLNK(mode) and path.is_dir()):
        raise OutputError(
            f"{path} is a folder; -o takes the path of a .wav file to write, "
            f"for example {str(path / 'out.wav')!r}"
        )
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise OutputError(
            f"{path} is {file_kind(mode)}, not a regular file; -o takes the path of a .wav file "
            "to write"
        )
    if not overwrite:
        raise OutputError(f"{path} exists; choose another name or pass --overwrite")


def _check_folder(folder: Path) -> None:
    """The output's folder exists and accepts new files, or can be created (its nearest
    existing ancestor is a folder that accepts new files)."""
    for candidate in [folder, *folder.parents]:
        try:
            found = candidate.stat()
        except (FileNotFoundError, NotADirectoryError):
            continue  # created when the files are written
        except OSError as error:
            raise OutputError(f"the output folder {folder} cannot be used: {os_reason(error)}") \
                from None
        if not stat.S_ISDIR(found.st_mode):
            raise OutputError(
                f"the output folder {folder} cannot be created: {candidate} is "
                f"{file_kind(found.st_mode)}, not a folder; choose an -o inside a folder"
            )
        _check_writable(candidate, folder)
        return


def _check_writable(existing: Path, folder: Path) -> None:
    """A file can be created in `existing` (the output folder or its nearest existing parent)."""
    try:
        check_writable(existing)
    except OSError as error:
        where = f"the output folder {folder}" if existing == folder else (
            f"the output folder {folder} cannot be created: {existing}")
        # ENOENT on creating a file: a virtual file system such as /proc or /sys
        reason = "the file system refuses new files" if error.errno == errno.ENOENT else (
            os_reason(error))
        raise OutputError(
            f"{where} does not accept new files ({reason}); choose an -o in a folder you can "
            "write to"
        ) from None


def _write_temporary(path: Path, take, sample_rate_hz: int, subtype: str) -> Path:
    """`take` `(channels, frames)` → a hidden finished file next to `path`, flushed to disk."""
    import numpy as np
    import soundfile

    temp = path.with_name(f".{path.stem}.{secrets.token_hex(6)}.partial{OUTPUT_SUFFIX}")
    # os.open, not tempfile.mkstemp: the file gets the user's umask (mkstemp makes it 0600)
    os.close(os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    try:
        frames = np.ascontiguousarray(np.asarray(take, dtype=np.float32).T)  # (frames, channels)
        soundfile.write(str(temp), frames, sample_rate_hz, subtype=subtype, format="WAV")
        fsync_file(temp)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _publish(temp: Path, path: Path, overwrite: bool) -> None:
    """Give the finished `temp` the name `path`; without --overwrite, never replace a file
    that appeared while the model ran (the daemon's ``claim_name``)."""
    if overwrite:
        temp.replace(path)  # a folder that appeared meanwhile: IsADirectoryError
    elif not claim_name(temp, path):
        raise OutputError(
            f"{path} appeared while sa was rendering; choose another name or pass --overwrite"
        )


def _keep_aside(path: Path) -> Path:
    """A hidden hard link to `path` beside it (the name keeps pointing at the file until it is
    replaced); a copy where the file system has no hard links."""
    import shutil

    aside = path.with_name(f".{path.name}.{secrets.token_hex(6)}.replaced")
    try:
        os.link(path, aside)
    except OSError:
        shutil.copy2(path, aside)
    return aside


def _undo(published: list[Path], kept: dict[Path, Path]) -> None:
    """Remove what this run published and put back what it replaced."""
    for path in published:
        with contextlib.suppress(OSError):
            if path in kept:
                kept.pop(path).replace(path)
            else:
                path.unlink(missing_ok=True)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
