"""Commands that write a checkpoint folder (``sa init-tiny``, ``sa export``) never write into a
folder that holds anything without --overwrite, nor over a file; a damaged tokenizer file in a
checkpoint is named."""

import shutil

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
