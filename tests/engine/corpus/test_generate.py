"""Corpus files: deterministic by seed, the shared manifest format, disjoint held-out captions."""

import argparse
import json

import pytest
import soundfile
from semanticaudio.engine.corpus import (
    SPLITS,
    cli,
    generate_corpus,
    group_events,
    is_heldout,
    read_timelines,
    sample_clip,
    single_event_records,
)
from semanticaudio.engine.corpus.cli import add_corpus_parser
from semanticaudio.engine.corpus.generate import SPLIT_CHOICES
from semanticaudio.engine.corpus.sampling import content_key

SMALL = {"sample_rate_hz": 8000, "clip_duration_s": 2.0, "progress": False}


def _files(folder):
    return {
        path.relative_to(folder): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_same_seed_gives_bit_identical_files(tmp_path):
    generate_corpus(tmp_path / "a", num_clips=8, seed=4, **SMALL)
    generate_corpus(tmp_path / "b", num_clips=8, seed=4, **SMALL)
    generate_corpus(tmp_path / "c", num_clips=8, seed=5, **SMALL)
    files_a, files_b, files_c = (_files(tmp_path / name) for name in "abc")
    assert files_a == files_b
    assert len(files_a) > 8
    wavs = [name for name in files_a if name.suffix == ".wav"]
    assert any(files_a[name] != files_c.get(name) for name in wavs)


def test_manifest_and_timelines_format(tmp_path):
    summary = generate_corpus(tmp_path, num_clips=12, seed=1, **SMALL)
    assert summary.num_clips == 12
    assert set(summary.clips_per_split) == set(SPLITS)
    for split in SPLITS:
        lines = summary.manifests[split].read_text().splitlines()
        assert len(lines) == summary.clips_per_split[split]
        records = read_timelines(summary.timelines[split])
        for line, record in zip(lines, records, strict=True):
            entry = json.loads(line)
            assert set(entry) == {"audio", "caption", "offset_s", "duration_s"}
            audio, rate = soundfile.read(tmp_path / entry["audio"])
            assert rate == 8000
            assert audio.shape == (16000,)
            assert soundfile.info(tmp_path / entry["audio"]).subtype == "PCM_16"
            assert record.audio_path == tmp_path / entry["audio"]
            assert record.caption == entry["caption"]
    for record in read_timelines(summary.timelines["train"]):
        index = int(record.audio_path.stem.split("_")[1])
        assert record.spec == sample_clip(1, index, 2.0).spec  # timelines round-trip exactly


def test_heldout_captions_never_appear_in_training():
    clips = [sample_clip(seed, index, 5.0) for seed in (0, 1) for index in range(1500)]
    train = [clip for clip in clips if clip.split == "train"]
    heldout = [clip for clip in clips if clip.split == "heldout"]
    assert 0.05 < len(heldout) / len(clips) < 0.2
    assert not {c.caption for c in train} & {c.caption for c in heldout}
    train_keys = {content_key(group_events(c.spec.events)) for c in train}
    assert not train_keys & {content_key(group_events(c.spec.events)) for c in heldout}
    single = [c for c in heldout if len(group_events(c.spec.events)) == 1]
    assert single, "some held-out prompts are single events"
    assert {c.spec.labels[0] for c in single} <= {label for c in train for label in c.spec.labels}
    assert all(is_heldout(c.spec) for c in heldout)


def test_single_split_generation(tmp_path):
    summary = generate_corpus(tmp_path, num_clips=3, seed=2, split="heldout", **SMALL)
    assert summary.clips_per_split == {"heldout": 3}
    assert all(is_heldout(r.spec) for r in read_timelines(summary.timelines["heldout"]))
    assert not (tmp_path / "train.jsonl").exists()


def test_cli_writes_a_corpus(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="sa")
    add_corpus_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        [
            "corpus",
            "--out",
            str(tmp_path),
            "--clips",
            "4",
            "--seed",
            "3",
            "--sample-rate",
            "8000",
            "--duration",
            "1.5",
        ]
    )
    assert args.run(args) == 0
    assert "wrote 4 clips" in capsys.readouterr().out
    assert json.loads((tmp_path / "corpus.json").read_text())["seed"] == 3


def test_cli_split_choices_match_the_generator():
    assert cli.SPLIT_CHOICES == SPLIT_CHOICES


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_clips": 0}, "num_clips must be at least 1, got 0"),
        ({"split": "test"}, "split must be one of"),
        ({"sample_rate_hz": 1000}, "sample_rate_hz must be at least 4000, got 1000"),
    ],
)
def test_bad_arguments_are_explained(tmp_path, kwargs, message):
    arguments = {"num_clips": 2, "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=message):
        generate_corpus(tmp_path, **arguments)


def test_single_event_records_are_the_first_one_event_clips_in_file_order(tmp_path):
    summary = generate_corpus(tmp_path, num_clips=40, seed=2, **SMALL)
    every = read_timelines(summary.timelines["train"])
    singles = [record for record in every if len(record.spec.events) == 1]
    assert 2 <= len(singles) < len(every)  # the corpus mixes one to three events per clip
    assert single_event_records(tmp_path, "train") == singles
    assert single_event_records(tmp_path, "train", 2) == singles[:2]


def _listed_and_stored_clips(folder):
    listed = {json.loads(line)["audio"] for split in SPLITS
              if (folder / f"{split}.jsonl").exists()
              for line in (folder / f"{split}.jsonl").read_text().splitlines()}
    stored = {str(path.relative_to(folder)) for path in folder.rglob("*.wav")}
    return listed, stored


def test_a_corpus_is_not_overwritten_unless_asked(tmp_path):
    generate_corpus(tmp_path, num_clips=10, seed=1, **SMALL)
    before = _files(tmp_path)
    with pytest.raises(FileExistsError, match="already holds the train, validation, heldout"):
        generate_corpus(tmp_path, num_clips=3, seed=2, **SMALL)
    with pytest.raises(FileExistsError, match="pass overwrite=True"):
        generate_corpus(tmp_path, num_clips=3, seed=1, split="heldout", **SMALL)
    assert _files(tmp_path) == before


def test_overwrite_leaves_no_clip_of_the_old_corpus(tmp_path):
    generate_corpus(tmp_path, num_clips=10, seed=1, **SMALL)
    summary = generate_corpus(tmp_path, num_clips=3, seed=2, overwrite=True, **SMALL)
    listed, stored = _listed_and_stored_clips(tmp_path)
    assert listed == stored and len(stored) == 3
    assert json.loads((tmp_path / "corpus.json").read_text())["seed"] == 2
    assert summary.clips_per_split == json.loads(
        (tmp_path / "corpus.json").read_text())["clips_per_split"]


def test_a_split_joins_a_corpus_of_the_same_settings_only(tmp_path):
    generate_corpus(tmp_path, num_clips=2, seed=5, split="train", **SMALL)
    generate_corpus(tmp_path, num_clips=3, seed=5, split="heldout", **SMALL)
    record = json.loads((tmp_path / "corpus.json").read_text())
    assert record["clips_per_split"] == {"train": 2, "heldout": 3}
    assert record["split"] == "train+heldout"
    with pytest.raises(FileExistsError, match="other settings \\(seed 5 there, 6 here\\)"):
        generate_corpus(tmp_path, num_clips=1, seed=6, split="validation", **SMALL)
    assert not (tmp_path / "validation.jsonl").exists()


def test_cli_refuses_an_existing_corpus_and_overwrites_when_asked(tmp_path, capsys):
    from semanticaudio.engine.cli import main

    argv = ["corpus", "--out", str(tmp_path), "--clips", "3", "--sample-rate", "8000",
            "--duration", "1.5"]
    assert main(argv) == 0
    assert main([*argv[:4], "2", *argv[5:]]) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert main([*argv[:4], "2", *argv[5:], "--overwrite"]) == 0
    listed, stored = _listed_and_stored_clips(tmp_path)
    assert listed == stored and len(stored) == 2
