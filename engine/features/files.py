"""Atomic file and folder writes (a reader, or a resumed job, sees the old file or folder or the
whole new one), and the one safetensors reader the engine loads weights with."""

from __future__ import annotations

import ctypes
import errno
import json
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import torch
from semanticaudio.engine.fsutil import fsync_file, os_reason


def _temporary_beside(path: Path) -> Path:
    """A new empty hidden file beside ``path``. os.open, not mkstemp: the file gets the user's
    umask, as the file it replaces would (mkstemp makes it 0600: unreadable to a daemon or a
    colleague that reads the checkpoint)."""
    temporary = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    os.close(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    return temporary


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) through a temporary file beside ``path`` and a rename."""
    temporary = _temporary_beside(path)
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def write_json_atomic(path: Path, document: Any) -> None:
    """Write ``document`` as indented JSON through a temporary file and a rename."""
    write_text_atomic(path, json.dumps(document, indent=2) + "\n")


def save_safetensors_atomic(
    path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None
) -> None:
    """``safetensors.torch.save_file`` through a temporary file and a rename."""
    from safetensors.torch import save_file

    temporary = _temporary_beside(path)
    try:
        mode = temporary.stat().st_mode & 0o777  # the umask's: save_file leaves 0600
        contiguous = {name: t.detach().contiguous().cpu() for name, t in tensors.items()}
        save_file(contiguous, str(temporary), metadata=metadata)
        temporary.chmod(mode)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def replace_folder_atomic(
    folder: str | Path, write: Callable[[Path], None], keep: Callable[[str], bool] | None = None
) -> Path:
    """Call ``write(new)`` on an empty hidden folder beside ``folder``, flush it to disk and put it
    in place of ``folder`` in one rename. A reader sees the old folder or the whole new one; a
    failure (or Ctrl-C) leaves ``folder`` as it was and removes the hidden one. Entries of the old
    folder whose names ``keep`` accepts (and ``write`` did not make) move into the new one; the
    rest go with the old folder. → the folder (absolute)."""
    folder = check_replaceable(folder)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OSError(f"cannot create {folder.parent}: {os_reason(error)}") from None
    existed = folder.exists()
    new = _make_hidden_folder(folder, "new")
    moved: list[str] = []
    try:
        write(new)
        # safetensors' writer (ours and transformers') leaves 0600; the files get the umask's
        # modes, which mkdir gave the hidden folder, so that another user's daemon can read them
        # (and its folders the set-group-id bit a group-shared parent passes on, as mkdir does)
        _settle_tree(new, folder_mode=new.stat().st_mode & 0o7777)
        # (before the kept entries come in: those are on disk already, with their own modes)
        if existed and keep is not None:
            for entry in sorted(folder.iterdir()):
                if keep(entry.name) and not os.path.lexists(new / entry.name):
                    entry.rename(new / entry.name)
                    moved.append(entry.name)
        if existed:  # the old folder's permissions (last: they may forbid writing)
            new.chmod(folder.stat().st_mode & 0o7777)
        fsync_file(new)
        old = _swap_in(new, folder) if existed else None
        if not existed:
            _rename(new, folder)
    except BaseException:
        if _put_back(moved, new, folder):  # else the hidden folder still holds some: keep it
            shutil.rmtree(new, ignore_errors=True)
        raise
    fsync_file(folder.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)  # a leftover is hidden, never under the name
    return folder


def _put_back(names: list[str], new: Path, folder: Path) -> bool:
    """Move the kept entries back into the old folder. → whether all of them went back."""
    back = True
    for name in names:
        try:
            (new / name).rename(folder / name)
        except OSError:
            back = False
    return back


def check_replaceable(folder: str | Path) -> Path:
    """Refuse, before any work, a ``folder`` that ``replace_folder_atomic`` would get wrong: a
    symbolic link, a file, the root. → the folder as an absolute path."""
    # "." and "x/.." get a real name and parent; resolve() would follow a link we must refuse
    folder = Path(os.path.abspath(folder))  # noqa: PTH100
    if folder.is_symlink():
        raise ValueError(
            f"{folder} is a symbolic link (to {folder.readlink()}); the folder written here is "
            "put in place as a whole, which would replace the link, not what it points to: name "
            "the folder itself or a new one"
        )
    if folder == folder.parent:
        raise ValueError(f"{folder} is the root folder; name a folder inside it")
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder} is a file, not a folder: name a new or empty folder")
    return folder


def _make_hidden_folder(folder: Path, tag: str) -> Path:
    """A new empty folder ``.NAME.<random>.TAG`` beside ``folder``; mkdir, not mkdtemp, so it
    gets the user's umask (mkdtemp would make it 0700)."""
    hidden = folder.parent / f".{folder.name}.{secrets.token_hex(4)}.{tag}"
    try:
        hidden.mkdir()
    except OSError as error:
        raise OSError(
            f"cannot write {folder}: {folder.parent} refuses a new folder ({os_reason(error)}); "
            "the new folder is built beside its final place and renamed into it, so "
            f"{folder.parent} must be writable"
        ) from None
    return hidden


def _settle_tree(root: Path, folder_mode: int) -> None:
    """Give every folder under ``root`` ``folder_mode`` and every file the same without execute
    or special bits, and flush them to disk (folders last, so their entries are named)."""
    for path, _, files in os.walk(root, topdown=False):
        for name in files:
            (Path(path) / name).chmod(folder_mode & 0o666)
            fsync_file(Path(path) / name)
        Path(path).chmod(folder_mode)
        fsync_file(Path(path))


def _swap_in(new: Path, folder: Path) -> Path:
    """Put ``new`` in place of the existing ``folder``. → where the old folder now is."""
    if _exchange(new, folder):
        return new
    aside = folder.parent / f".{folder.name}.{secrets.token_hex(4)}.old"
    _rename(folder, aside)
    try:
        _rename(new, folder)
    except BaseException:
        aside.rename(folder)
        raise
    return aside


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE), so that no reader finds
    neither folder. False where the system or file system cannot; then two renames do it."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2  # from <fcntl.h> and <linux/fs.h>
    if renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange):
        code = ctypes.get_errno()
        if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            return False
        _raise_rename_error(OSError(code, os.strerror(code), str(second)), second)
    return True


def _rename(source: Path, target: Path) -> None:
    try:
        source.rename(target)
    except OSError as error:
        _raise_rename_error(error, target)


def _raise_rename_error(error: OSError, folder: Path) -> NoReturn:
    hint = (": a mount point cannot be replaced as a whole, name a folder inside it"
            if error.errno in (errno.EBUSY, errno.EXDEV) else "")
    raise OSError(f"cannot put the new folder in place of {folder}: {os_reason(error)}{hint}") \
        from None


def load_safetensors(path: str | Path) -> dict[str, torch.Tensor]:
    """``safetensors.torch.load_file``, with a CheckpointError that names the file when it is
    missing, truncated or not safetensors at all (a pickle renamed, a partial copy)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    from semanticaudio.engine.errors import CheckpointError

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"weights file {path} is missing")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(
            f"{path} is not a readable safetensors file ({exc}): it may be truncated or saved "
            "in another format; weights load only from safetensors, so export or copy it again"
        ) from None
