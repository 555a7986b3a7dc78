"""Where ``sa generate`` and ``sa edit`` write: refused before the model loads when a path
cannot or must not be written, files with the user's umask, all variations or none."""

import os

import pytest
import soundfile
from semanticaudio.engine.cli import common, main

from tests.engine.cli.helpers import QUICK, write_tones


def _generate(out, *extra):
    return ["generate", "rain", "--duration", "0.5", *QUICK, "-o", str(out), *extra]


@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]])
def test_a_folder_as_output_is_refused_before_the_model_loads(tmp_path, model, no_model_load,
                                                              capsys, overwrite):
    folder = tmp_path / "isdir.wav"
    folder.mkdir()
    assert main(_generate(folder, *overwrite, *model)) == 1
    err = capsys.readouterr().err
    assert f"{folder} is a folder; -o takes the path of a .wav file" in err
    assert "pass --overwrite" not in err and "Traceback" not in err


def test_a_folder_among_the_variations_leaves_no_partial_set(tmp_path, model, no_model_load,
                                                             capsys):
    (tmp_path / "t_v2.wav").mkdir()
    assert main(_generate(tmp_path / "t.wav", "--variations", "2", "--overwrite", *model)) == 1
    assert "t_v2.wav is a folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t_v2.wav"]


def test_a_file_where_the_output_folder_should_be(tmp_path, model, no_model_load, capsys):
    afile = tmp_path / "afile"
    afile.write_text("notes")
    assert main(_generate(afile / "x.wav", *model)) == 1
    err = capsys.readouterr().err
    assert f"{afile} is a file, not a folder" in err and "Errno" not in err
    assert afile.read_text() == "notes"


class _FolderAppears:
    """The real pipeline; after it renders, a folder appears where the second take goes."""

    def __init__(self, pipeline, folder):
        self.pipeline, self.folder = pipeline, folder

    def __getattr__(self, name):
        return getattr(self.pipeline, name)

    def generate(self, *args, **kwargs):
        result = self.pipeline.generate(*args, **kwargs)
        self.folder.mkdir()
        return result


@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]])
def test_a_take_that_cannot_be_written_removes_the_ones_written_before(
        tmp_path, model, monkeypatch, capsys, overwrite):
    real_load = common.load
    monkeypatch.setattr(common, "load",
                        lambda args: _FolderAppears(real_load(args), tmp_path / "t_v2.wav"))
    assert main(_generate(tmp_path / "t.wav", "--variations", "2", *overwrite, *model)) == 1
    err = capsys.readouterr().err
    assert "t_v2.wav" in err and "Traceback" not in err and "Errno" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t_v2.wav"]  # no t_v1, no temp file


def test_outputs_get_the_users_umask_and_no_temporary_file_stays(tmp_path, model, capsys):
    previous = os.umask(0o022)
    try:
        assert main(_generate(tmp_path / "out.wav", "--variations", "2", *model)) == 0
    finally:
        os.umask(previous)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out_v1.wav", "out_v2.wav"]
    for path in tmp_path.iterdir():
        assert path.stat().st_mode & 0o777 == 0o644


def test_a_new_output_folder_is_created(tmp_path, model, capsys):
    out = tmp_path / "new" / "deeper" / "out.wav"
    assert main(_generate(out, *model)) == 0
    assert soundfile.info(str(out)).frames == 8000


def test_wrong_extension_and_existing_files_are_refused_before_the_model_loads(
        tmp_path, model, no_model_load, capsys):
    assert main(_generate(tmp_path / "g.mp3", *model)) == 1
    assert "-o must name a .wav file" in capsys.readouterr().err

    existing = tmp_path / "keep_v2.wav"
    existing.write_bytes(b"precious")
    assert main(_generate(tmp_path / "keep.wav", "--variations", "2", *model)) == 1
    assert f"{existing} exists; choose another name or pass --overwrite" in capsys.readouterr().err
    assert existing.read_bytes() == b"precious" and not (tmp_path / "keep_v1.wav").exists()

    source = tmp_path / "source.wav"
    write_tones(source, (0.3,))
    assert main(["edit", str(source), "--target", "rain", "-o", str(existing), *model]) == 1
    assert "exists; choose another name or pass --overwrite" in capsys.readouterr().err
    assert main(["edit", str(source), "--target", "rain", "-o", str(tmp_path / "e.flac"),
                 *model]) == 1
    assert "-o must name a .wav file" in capsys.readouterr().err


def test_ctrl_c_while_the_takes_are_written_leaves_no_file(tmp_path, model, monkeypatch, capsys):
    real_write = soundfile.write
    calls = []

    def write(*args, **kwargs):  # the first take is written, Ctrl-C arrives in the second
        calls.append(args[0])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_write(*args, **kwargs)

    monkeypatch.setattr(soundfile, "write", write)
    assert main(_generate(tmp_path / "t.wav", "--variations", "2", *model)) == 130
    assert "interrupted" in capsys.readouterr().err
    assert len(calls) == 2 and list(tmp_path.iterdir()) == []


def test_an_overwrite_that_fails_midway_puts_the_replaced_takes_back(
        tmp_path, model, monkeypatch, capsys):
    """--overwrite replaces out_v1.wav, then out_v2.wav cannot be written: the user keeps both
    old takes, as they were, and no hidden copy stays."""
    from semanticaudio.engine.cli import outputs

    old = {}
    for name in ("t_v1.wav", "t_v2.wav"):
        soundfile.write(str(tmp_path / name), [[0.25]] * 800, 16000)
        old[name] = (tmp_path / name).read_bytes()
    real_publish = outputs._publish

    def failing_second(temp, path, overwrite):
        if path.name == "t_v2.wav":
            raise OSError(28, "No space left on device")
        real_publish(temp, path, overwrite)

    monkeypatch.setattr(outputs, "_publish", failing_second)
    assert main(_generate(tmp_path / "t.wav", "--variations", "2", "--overwrite", *model)) == 1
    assert "the disk is full" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t_v1.wav", "t_v2.wav"]
    assert {name: (tmp_path / name).read_bytes() for name in old} == old
