"""Atomic writes: whole files, with the permissions a plain write would give."""

import os

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
