"""Atomic writes: whole files, with the permissions a plain write would give."""

import os

import pytest
import torch
from semanticaudio.engine.features.files import (
    load_safetensors,
    save_safetensors_atomic,
    write_json_atomic,
)


def test_atomic_writes_get_the_users_umask_and_leave_no_temporary_file(tmp_path):
    previous = os.umask(0o022)
    try:
        write_json_atomic(tmp_path / "config.json", {"a": 1})
        save_safetensors_atomic(tmp_path / "model.safetensors", {"w": torch.ones(2)})
    finally:
        os.umask(previous)
    for name in ("config.json", "model.safetensors"):  # 0600 would lock out a daemon's user
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors"]
    assert torch.equal(load_safetensors(tmp_path / "model.safetensors")["w"], torch.ones(2))


def test_a_folder_put_in_place_keeps_the_set_group_id_a_plain_mkdir_gives(tmp_path):
    """In a group-shared folder (chmod g+s) every new folder inherits the group bit, so that the
    files later made in it belong to the group: a replaced folder must not lose it."""
    from semanticaudio.engine.features.files import replace_folder_atomic

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o2775)
    (shared / "plain").mkdir()
    if not (shared / "plain").stat().st_mode & 0o2000:
        pytest.skip("this file system does not pass the set-group-id bit on")

    def write(new):
        (new / "codec").mkdir()
        (new / "codec" / "config.json").write_text("{}")

    folder = replace_folder_atomic(shared / "model", write)
    for path in (folder, folder / "codec"):
        assert path.stat().st_mode & 0o2000, path
    assert not (folder / "codec" / "config.json").stat().st_mode & 0o7000
