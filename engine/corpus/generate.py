"""Write a corpus to disk: 16-bit WAV files, JSONL manifests and ground-truth timelines.

Layout under ``out_dir``::

    corpus.json                    settings, class list, clip counts
    <split>.jsonl                  manifest: {"audio", "caption", "offset_s", "duration_s"}
    <split>_timelines.jsonl        {"audio", "caption", "duration_s", "events": [...]}
    audio/<split>/clip_000123.wav  mono PCM 16-bit

``audio`` paths are relative to ``out_dir`` (the manifests' folder), the format the training
code reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import soundfile
from semanticaudio.engine.corpus.classes import CLASS_NAMES
from semanticaudio.engine.corpus.render import render_clip
from semanticaudio.engine.corpus.sampling import SPLITS, SampledClip, sample_clip
from semanticaudio.engine.corpus.spec import ClipSpec, EventSpec
from tqdm import tqdm

CORPUS_FORMAT_VERSION = 1
SPLIT_CHOICES = ("all", *SPLITS)
# With split="heldout" about one clip in ten qualifies; give up long after that should happen.
_MAX_DRAWS_PER_CLIP = 200


@dataclass(frozen=True)
class CorpusSummary:
    """What ``generate_corpus`` wrote: clip counts, manifest and timeline paths per split."""

    out_dir: Path
    seed: int
    sample_rate_hz: int
    clip_duration_s: float
    clips_per_split: dict[str, int]
    manifests: dict[str, Path]
    timelines: dict[str, Path]

    @property
    def num_clips(self) -> int:
        return sum(self.clips_per_split.values())


def manifest_path(out_dir: Path | str, split: str) -> Path:
    """The manifest of ``split`` in a corpus folder."""
    return Path(out_dir) / f"{split}.jsonl"


def timelines_path(out_dir: Path | str, split: str) -> Path:
    """The timelines file of ``split`` in a corpus folder."""
    return Path(out_dir) / f"{split}_timelines.jsonl"


def _check_arguments(num_clips, sample_rate_hz, split, validation_fraction) -> None:
    if num_clips < 1:
        raise ValueError(f"num_clips must be at least 1, got {num_clips}")
    if sample_rate_hz < 4000:
        raise ValueError(f"sample_rate_hz must be at least 4000, got {sample_rate_hz}")
    if split not in SPLIT_CHOICES:
        raise ValueError(f"split must be one of {SPLIT_CHOICES}, got {split!r}")
    if not 0.0 <= validation_fraction < 1.0:
        raise ValueError(f"validation_fraction must be in [0, 1), got {validation_fraction}")
    if split == "validation" and validation_fraction == 0.0:
        raise ValueError("split='validation' needs validation_fraction > 0")


def iter_clips(
    num_clips: int, seed: int, clip_duration_s: float, split: str, validation_fraction: float
) -> Iterator[SampledClip]:
    """The clips a corpus holds: indices 0..num_clips−1 for split "all", otherwise the first
    ``num_clips`` clips (by index) that fall in ``split``."""
    if split == "all":
        for index in range(num_clips):
            yield sample_clip(seed, index, clip_duration_s, validation_fraction)
        return
    found = 0
    for index in range(num_clips * _MAX_DRAWS_PER_CLIP):
        clip = sample_clip(seed, index, clip_duration_s, validation_fraction)
        if clip.split == split:
            found += 1
            yield clip
            if found == num_clips:
                return
    raise RuntimeError(f"only {found} of {num_clips} clips fell in split {split!r}")


def _timeline_record(clip: SampledClip, audio: str) -> dict:
    return {
        "audio": audio,
        "caption": clip.caption,
        "duration_s": clip.spec.duration_s,
        "events": [event.to_json() for event in clip.spec.events],
    }


def generate_corpus(
    out_dir: Path | str,
    num_clips: int,
    seed: int,
    sample_rate_hz: int = 16000,
    clip_duration_s: float = 5.0,
    split: str = "all",
    validation_fraction: float = 0.1,
    progress: bool = True,
    overwrite: bool = False,
) -> CorpusSummary:
    """Render ``num_clips`` clips into ``out_dir`` (see the module docstring for the layout).

    split: "all" spreads the clips over train / validation / held-out (held-out by caption
    content, about 10 %; validation a random ``validation_fraction`` of the rest); a split name
    makes ``num_clips`` clips of that split only. Same arguments → bit-identical files.

    A folder that already holds a corpus is refused unless ``overwrite`` (which first deletes
    that corpus's files, so no clip of it is left behind); the one exception is adding a split
    the folder does not hold yet to a corpus of the same settings (seed, rate, length,
    validation fraction), which ``corpus.json`` then counts too.
    """
    _check_arguments(num_clips, sample_rate_hz, split, validation_fraction)
    out_dir = Path(out_dir)
    splits = SPLITS if split == "all" else (split,)
    settings = {"seed": seed, "sample_rate_hz": sample_rate_hz,
                "clip_duration_s": clip_duration_s, "validation_fraction": validation_fraction}
    kept = _prepare_folder(out_dir, splits, settings, overwrite)
    for name in splits:
        (out_dir / "audio" / name).mkdir(parents=True, exist_ok=True)
    counts = dict.fromkeys(splits, 0)
    manifests = {name: manifest_path(out_dir, name) for name in splits}
    timelines = {name: timelines_path(out_dir, name) for name in splits}
    handles = {}
    try:
        for name in splits:
            handles[name] = (manifests[name].open("w"), timelines[name].open("w"))
        clips = iter_clips(num_clips, seed, clip_duration_s, split, validation_fraction)
        for clip in tqdm(clips, total=num_clips, desc="corpus", unit="clip", disable=not progress):
            _write_clip(out_dir, clip, sample_rate_hz, handles[clip.split])
            counts[clip.split] += 1
    finally:
        for manifest_file, timeline_file in handles.values():
            manifest_file.close()
            timeline_file.close()
    summary = CorpusSummary(
        out_dir, seed, sample_rate_hz, clip_duration_s, counts, manifests, timelines
    )
    _write_summary(summary, split, validation_fraction, kept)
    return summary


def _splits_present(out_dir: Path) -> list[str]:
    """The splits whose manifest or timelines file is in ``out_dir``, in SPLITS order."""
    return [name for name in SPLITS
            if manifest_path(out_dir, name).exists() or timelines_path(out_dir, name).exists()]


def _prepare_folder(out_dir: Path, splits: tuple[str, ...], settings: dict,
                    overwrite: bool) -> dict[str, int]:
    """Refuse to overwrite a corpus in ``out_dir`` unless ``overwrite`` (then delete it).
    → clip counts of the splits already there that the new split joins."""
    present = _splits_present(out_dir)
    summary_file = out_dir / "corpus.json"
    if overwrite:
        _delete_corpus(out_dir)
        return {}
    clash = [name for name in splits if name in present]
    if clash:
        raise FileExistsError(
            f"{out_dir} already holds the {', '.join(clash)} split(s) of a corpus; pass "
            "overwrite=True (sa corpus --overwrite) to replace that corpus, or choose another "
            "folder"
        )
    if not present:
        return {}
    previous = json.loads(summary_file.read_text()) if summary_file.is_file() else {}
    counted = previous.get("clips_per_split", {})
    if any(name not in counted for name in present):
        raise FileExistsError(
            f"{out_dir} holds an unfinished corpus (the {', '.join(present)} split(s) without "
            "their count in corpus.json: an interrupted run?); pass overwrite=True "
            "(sa corpus --overwrite) to replace it, or choose another folder"
        )
    differing = [f"{key} {previous.get(key)!r} there, {value!r} here"
                 for key, value in settings.items() if previous.get(key) != value]
    if differing:
        raise FileExistsError(
            f"{out_dir} holds the {', '.join(present)} split(s) of a corpus with other "
            f"settings ({'; '.join(differing)}); a folder holds one corpus: pass "
            "overwrite=True (sa corpus --overwrite) to replace it, or choose another folder"
        )
    return {name: counted[name] for name in present}


def _delete_corpus(out_dir: Path) -> None:
    """Remove what ``generate_corpus`` writes (and only that) from ``out_dir``."""
    (out_dir / "corpus.json").unlink(missing_ok=True)
    for name in SPLITS:
        manifest_path(out_dir, name).unlink(missing_ok=True)
        timelines_path(out_dir, name).unlink(missing_ok=True)
        for clip in (out_dir / "audio" / name).glob("clip_*.wav"):
            clip.unlink()


def _write_clip(out_dir: Path, clip: SampledClip, sample_rate_hz: int, handles) -> None:
    audio = f"audio/{clip.split}/clip_{clip.index:06d}.wav"
    waveform = render_clip(clip.spec, sample_rate_hz)
    soundfile.write(out_dir / audio, waveform, sample_rate_hz, subtype="PCM_16")
    manifest_file, timeline_file = handles
    entry = {
        "audio": audio,
        "caption": clip.caption,
        "offset_s": 0.0,
        "duration_s": clip.spec.duration_s,
    }
    manifest_file.write(json.dumps(entry) + "\n")
    timeline_file.write(json.dumps(_timeline_record(clip, audio)) + "\n")


def _write_summary(summary: CorpusSummary, split: str, validation_fraction: float,
                   kept: dict[str, int]) -> None:
    """corpus.json; ``kept``: splits written earlier into the folder (``split`` then names
    every split there, joined by "+")."""
    counts = {**kept, **summary.clips_per_split}
    counts = {name: counts[name] for name in SPLITS if name in counts}
    record = {
        "format_version": CORPUS_FORMAT_VERSION,
        "seed": summary.seed,
        "sample_rate_hz": summary.sample_rate_hz,
        "clip_duration_s": summary.clip_duration_s,
        "split": "+".join(counts) if kept else split,
        "validation_fraction": validation_fraction,
        "clips_per_split": counts,
        "classes": list(CLASS_NAMES),
    }
    (summary.out_dir / "corpus.json").write_text(json.dumps(record, indent=2) + "\n")


@dataclass(frozen=True)
class TimelineRecord:
    """One line of a timelines file: the audio file (resolved), its caption and its spec."""

    audio_path: Path
    caption: str
    spec: ClipSpec


def read_timelines(path: Path | str) -> list[TimelineRecord]:
    """Read a ``*_timelines.jsonl`` file; relative audio paths resolve against its folder."""
    path = Path(path)
    records = []
    with path.open() as lines:
        for line_number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                events = tuple(EventSpec.from_json(event) for event in data["events"])
                spec = ClipSpec(events, float(data["duration_s"]))
            except (KeyError, ValueError, TypeError) as error:
                raise ValueError(f"{path}:{line_number}: not a timeline record: {error}") from None
            audio = Path(data["audio"])
            records.append(
                TimelineRecord(
                    audio if audio.is_absolute() else path.parent / audio,
                    data.get("caption", ""),
                    spec,
                )
            )
    return records


def single_event_records(corpus_dir: Path | str, split: str,
                         count: int | None = None) -> list[TimelineRecord]:
    """The first ``count`` (None: all) clips of ``split`` with exactly one event, in file order:
    the prompts of the build's guidance and quality steps and of their benchmarks."""
    records = read_timelines(timelines_path(corpus_dir, split))
    return [record for record in records if len(record.spec.events) == 1][:count]
