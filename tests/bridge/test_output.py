"""Output files: descriptive names, atomic publication, never overwriting."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from semanticaudio.bridge.output import output_stem, slugify, write_new_file


def write_text(content: str):
    def write(path: Path) -> None:
        path.write_text(content)

    return write


@pytest.mark.parametrize(
    ("text", "slug"),
    [("Dog barks, far away!", "dog-barks-far-away"), ("Café  crème", "cafe-creme"),
     ("../../etc/passwd", "etc-passwd"), ("   ", "untitled"), ("雨", "untitled"),
     ("a" * 80, "a" * 40)],
)
def test_slugify_makes_safe_short_names(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_stem_names_kind_prompt_and_job() -> None:
    assert output_stem("edit", "A cat meows", "j1") == "sa_edit_a-cat-meows_j1"


def test_new_files_never_overwrite(tmp_path: Path) -> None:
    first = write_new_file(tmp_path, "take", ".wav", write_text("one"))
    second = write_new_file(tmp_path, "take", ".wav", write_text("two"))
    (tmp_path / "take-3.wav").write_text("someone else's")
    third = write_new_file(tmp_path, "take", ".wav", write_text("three"))
    assert [first.name, second.name, third.name] == ["take.wav", "take-2.wav", "take-4.wav"]
    assert first.read_text() == "one"
    assert (tmp_path / "take-3.wav").read_text() == "someone else's"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "take-2.wav", "take-3.wav", "take-4.wav", "take.wav"]  # no temporary files left


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    def fail(path: Path) -> None:
        path.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_new_file(tmp_path, "take", ".wav", fail)
    assert list(tmp_path.iterdir()) == []


def test_files_get_the_users_umask_not_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = write_new_file(tmp_path, "take", ".wav", write_text("x"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_without_hard_links_the_name_is_reserved_then_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(source: object, target: object) -> None:
        raise PermissionError("this file system has no hard links")

    monkeypatch.setattr(os, "link", no_links)
    (tmp_path / "take.wav").write_text("keep")
    path = write_new_file(tmp_path, "take", ".wav", write_text("new"))
    assert path.name == "take-2.wav"
    assert path.read_text() == "new"
    assert (tmp_path / "take.wav").read_text() == "keep"
    assert len(list(tmp_path.iterdir())) == 2


def test_without_hard_links_a_failed_replace_leaves_no_empty_placeholder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some network and FUSE file systems have no hard links and refuse a rename over an
    existing file: the empty file that reserved the name used to stay behind, looking like
    a result, while the job reported that no file was kept."""

    def no_links(source: object, target: object) -> None:
        raise PermissionError("this file system has no hard links")

    def no_rename_over(self: Path, target: object) -> Path:
        raise PermissionError(f"cannot rename over {target}")

    monkeypatch.setattr(os, "link", no_links)
    monkeypatch.setattr(Path, "replace", no_rename_over)
    with pytest.raises(PermissionError, match="cannot rename over"):
        write_new_file(tmp_path, "take", ".wav", write_text("new"))
    assert list(tmp_path.iterdir()) == []
