"""Commands that write a checkpoint folder (``sa init-tiny``, ``sa export``) never write into a
folder that holds anything without --overwrite, nor over a file, nor through a symbolic link; an
interrupted --overwrite leaves the old checkpoint whole; a damaged tokenizer file in a checkpoint
is named."""

import shutil
import sys

import pytest
from semanticaudio.engine.cli import main


def test_init_tiny_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    assert main(["init-tiny", str(folder)]) == 1
    err = capsys.readouterr().err
    assert f"DIR {folder} is not empty (it holds notes.txt)" in err and "--overwrite" in err
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]

    assert main(["init-tiny", str(folder), "--overwrite"]) == 0
    assert (folder / "config.json").is_file() and (folder / "notes.txt").read_text() == "mine"
    config = (folder / "config.json").read_bytes()
    assert main(["init-tiny", str(folder), "--seed", "3"]) == 1  # now it holds a checkpoint
    assert "is not empty (it holds codec, config.json" in capsys.readouterr().err
    assert (folder / "config.json").read_bytes() == config


def test_init_tiny_into_a_file_or_below_one(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["init-tiny", str(afile)]) == 1
    assert f"DIR {afile} is a file; a checkpoint is a folder" in capsys.readouterr().err
    assert main(["init-tiny", str(afile / "model")]) == 1
    err = capsys.readouterr().err
    assert f"cannot be created: {afile} is a file" in err and "Errno" not in err


def test_export_refuses_an_existing_checkpoint_and_a_file(tmp_path, tiny_checkpoint_dir, capsys):
    existing = tmp_path / "model"
    shutil.copytree(tiny_checkpoint_dir, existing)
    run = tmp_path / "run"  # never read: --out is checked first
    assert main(["export", str(run), "--out", str(existing)]) == 1
    assert f"--out {existing} is not empty" in capsys.readouterr().err

    wav = tmp_path / "existing_file.wav"
    wav.write_bytes(b"audio")
    assert main(["export", str(run), "--out", str(wav)]) == 1
    err = capsys.readouterr().err
    assert f"--out {wav} is a file; a checkpoint is a folder" in err and "Errno" not in err
    assert wav.read_bytes() == b"audio"


def test_a_tokenizer_file_that_is_not_json_is_named(tmp_path, tiny_checkpoint_dir, capsys):
    checkpoint = tmp_path / "model"
    shutil.copytree(tiny_checkpoint_dir, checkpoint)
    broken = checkpoint / "text_tokens" / "tokenizer.json"
    broken.write_text("garbage\n")
    assert main(["info", str(checkpoint)]) == 1
    assert f"{broken} is not valid JSON" in capsys.readouterr().err


def test_an_interrupted_overwrite_keeps_the_old_checkpoint(tmp_path, monkeypatch, capsys):
    import semanticaudio.engine.checkpoint as module

    folder = tmp_path / "model"
    assert main(["init-tiny", str(folder)]) == 0
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    def interrupted(*args, **kwargs):  # Ctrl-C after the components, before the weights
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "save_safetensors_atomic", interrupted)
    assert main(["init-tiny", str(folder), "--seed", "1", "--overwrite"]) == 130
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    assert main(["init-tiny", str(tmp_path / "new")]) == 130
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # nothing half-written, no leftovers


def test_init_tiny_refuses_a_symbolic_link_in_words(tmp_path, capsys):
    dangling = tmp_path / "link"
    dangling.symlink_to(tmp_path / "nowhere")
    assert main(["init-tiny", str(dangling)]) == 1
    err = capsys.readouterr().err
    assert f"{dangling} is a symbolic link (to {tmp_path / 'nowhere'})" in err
    assert "File exists" not in err and not (tmp_path / "nowhere").exists()


@pytest.mark.skipif(sys.platform != "linux", reason="/sys refuses new folders on Linux")
def test_init_tiny_names_a_place_that_refuses_new_folders(capsys):
    assert main(["init-tiny", "/sys/sa_checkpoint"]) == 1
    err = capsys.readouterr().err
    assert "cannot write /sys/sa_checkpoint: /sys refuses a new folder" in err
    assert "/sys must be writable" in err


@pytest.mark.parametrize(("options", "message"), [
    (["--size", "paper"], "either a checkpoint folder or --size, not both"),
    (["--model-type", "base"], "--model-type describes a --size"),
])
def test_info_refuses_options_it_would_ignore(tiny_checkpoint_dir, capsys, options, message):
    assert main(["info", str(tiny_checkpoint_dir), *options]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_info_shows_a_part_under_a_tenth_of_a_million_parameters_exactly(tiny_checkpoint_dir,
                                                                         capsys):
    from semanticaudio.engine.checkpoint import load_checkpoint

    counts = load_checkpoint(tiny_checkpoint_dir).model.stage_parameter_counts()
    assert main(["info", str(tiny_checkpoint_dir)]) == 0
    out = capsys.readouterr().out
    assert f"  head: {counts['head']:,} parameters" in out and "0.0 M" not in out
