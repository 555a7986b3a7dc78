"""CLAP score of generated audio and CLAP gain of edits (paper, sections 4.3 and 4.4.4).

The scorer is a transformers ``ClapModel`` (the paper used LAION-CLAP for AudioCaps) loaded from
a local folder; nothing is downloaded. Score = cosine similarity between the audio embedding and
the text embedding. Edit gain = CLAP(edited audio, target prompt) − CLAP(source audio, target
prompt).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from semanticaudio.engine.components.hub import (
    SAFETENSORS_WEIGHTS,
    load_transformers_model,
    resolve_folder,
)
from semanticaudio.engine.components.text import TOKENIZER_FILES

SCORER_FILES = [
    SAFETENSORS_WEIGHTS,
    ("config.json",),
    ("preprocessor_config.json", "processor_config.json"),
    TOKENIZER_FILES,
]
SCORER_HINT = (
    "the CLAP scorer is a folder holding a transformers ClapModel: config.json, "
    "model.safetensors, preprocessor_config.json (the audio feature extractor) and its tokenizer "
    "files (tokenizer.json or vocab.json), e.g. laion/clap-htsat-unfused. On a machine with "
    "network access run `hf download laion/clap-htsat-unfused --local-dir clap-scorer`, copy "
    "that folder here and pass --scorer clap-scorer"
)
CROP_SEED = 0  # where a clip longer than CLAP's window is cropped (see _audio_features)


class ClapScorer:
    """Audio and text embeddings of a ClapModel, L2-normalised."""

    def __init__(self, model, processor, device: torch.device) -> None:
        self.model = model.to(device).eval()
        self.processor = processor
        self.device = device
        self.sample_rate_hz = int(processor.feature_extractor.sampling_rate)

    @classmethod
    def from_folder(cls, folder: str | Path, device: str | torch.device = "cpu") -> ClapScorer:
        """Load offline; a missing file raises MissingWeightsError saying what to provide."""
        from transformers import ClapModel, ClapProcessor

        path = resolve_folder(str(folder), SCORER_FILES, hint=SCORER_HINT)
        model = load_transformers_model(ClapModel, path)
        processor = ClapProcessor.from_pretrained(path, local_files_only=True)
        return cls(model, processor, torch.device(device))

    @torch.no_grad()
    def text_embeddings(self, prompts: list[str]) -> torch.Tensor:
        """B prompts → (B, D), unit length."""
        inputs = self.processor(text=list(prompts), return_tensors="pt", padding=True)
        inputs = {k: v.to(self.device) for k, v in inputs.items()}
        return F.normalize(_tensor(self.model.get_text_features(**inputs)).float(), dim=-1)

    @torch.no_grad()
    def audio_embeddings(self, waveforms: list[torch.Tensor], sample_rate_hz: int) -> torch.Tensor:
        """B mono waveforms (S_i,) at ``sample_rate_hz`` → (B, D), unit length."""
        import torchaudio.functional as AF

        audio = [
            AF.resample(w.float().cpu(), sample_rate_hz, self.sample_rate_hz).numpy()
            if sample_rate_hz != self.sample_rate_hz else w.float().cpu().numpy()
            for w in waveforms
        ]
        features = [self._audio_features(clip) for clip in audio]
        inputs = {k: torch.cat([f[k] for f in features]).to(self.device) for k in features[0]}
        return F.normalize(_tensor(self.model.get_audio_features(**inputs)).float(), dim=-1)

    def _audio_features(self, audio: np.ndarray) -> dict[str, torch.Tensor]:
        """One clip (S,) at the scorer's rate → the processor's inputs (batch of one).

        The feature extractor crops a clip longer than its window at a random place (LAION-CLAP's
        ``rand_trunc``; the fused model takes random chunks) drawn from numpy's global generator.
        It is seeded here, and restored after, so that a clip scores the same on every run and
        whatever its batch, and a source and its edit (same length) are cropped alike.
        """
        state = np.random.get_state()
        try:
            np.random.seed(CROP_SEED)
            return dict(self.processor(audio=[audio], sampling_rate=self.sample_rate_hz,
                                       return_tensors="pt"))
        finally:
            np.random.set_state(state)

    def similarity(
        self, waveforms: list[torch.Tensor], sample_rate_hz: int, prompts: list[str]
    ) -> list[float]:
        """Cosine similarity of each waveform with its prompt (one prompt per waveform)."""
        if len(waveforms) != len(prompts):
            raise ValueError(f"similarity pairs each waveform with its prompt: got "
                             f"{len(waveforms)} waveforms and {len(prompts)} prompts")
        audio = self.audio_embeddings(waveforms, sample_rate_hz)
        text = self.text_embeddings(prompts)
        return (audio * text).sum(dim=-1).cpu().tolist()


def _tensor(output) -> torch.Tensor:
    """transformers 5 returns an output object (its ``pooler_output``) where 4.x gave a tensor."""
    return output if torch.is_tensor(output) else output.pooler_output


@dataclass(frozen=True)
class ClapScoreResult:
    mean: float
    scores: tuple[float, ...]
    prompts: tuple[str, ...]


@dataclass(frozen=True)
class EditPair:
    audio_path: Path
    target: str
    source: str | None  # None: the null condition (the paper's editing setup)


@dataclass(frozen=True)
class EditGainResult:
    mean_gain: float
    mean_edited: float  # CLAP(edited, target)
    mean_source: float  # CLAP(source, target)
    gains: tuple[float, ...]


def clap_score(
    pipeline, prompts: list[str], scorer: ClapScorer, *, duration_s: float = 10.0, seed: int = 0,
    num_steps: int | None = None, progress=None,
) -> ClapScoreResult:
    """Generate one clip per prompt (seed + i) and score it against its prompt."""
    scores = []
    for i, prompt in enumerate(prompts):
        result = pipeline.generate(prompt, duration_s, seed=seed + i, num_steps=num_steps)
        scores.extend(scorer.similarity([result.waveforms[0]], result.sample_rate_hz, [prompt]))
        if progress is not None:
            progress(i + 1, len(prompts))
    return ClapScoreResult(sum(scores) / len(scores), tuple(scores), tuple(prompts))


def edit_gain(
    pipeline, pairs: list[EditPair], scorer: ClapScorer, *, seed: int = 0,
    num_steps: int | None = None, progress=None,
) -> EditGainResult:
    """Edit each source toward its target; gain = CLAP(edited, target) − CLAP(source, target)."""
    edited, source = [], []
    for i, pair in enumerate(pairs):
        waveform, rate = read_mono(pair.audio_path)
        result = pipeline.edit(waveform, rate, pair.target, pair.source, seed=seed + i,
                               num_steps=num_steps)
        edited += scorer.similarity([result.waveforms[0]], rate, [pair.target])
        source += scorer.similarity([waveform], rate, [pair.target])
        if progress is not None:
            progress(i + 1, len(pairs))
    gains = tuple(e - s for e, s in zip(edited, source, strict=True))
    n = len(gains)
    return EditGainResult(sum(gains) / n, sum(edited) / n, sum(source) / n, gains)


def read_mono(path: Path) -> tuple[torch.Tensor, int]:
    """A sound file → (num_samples,) float32 mono and its rate."""
    import soundfile

    data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return torch.from_numpy(data).mean(dim=1), int(rate)


def read_prompts(path: str | Path) -> list[str]:
    """Prompts from a text file (one per line, ``#`` comments) or a JSONL file ("caption")."""
    path = Path(path)
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if path.suffix == ".jsonl":
        lines = [_json_field(line, "caption", path) for line in lines]
    if not lines:
        raise ValueError(f"{path} holds no prompts")
    return lines


def read_edit_pairs(path: str | Path) -> list[EditPair]:
    """JSONL lines {"audio": path (relative to the file), "target": str, "source": optional}.

    Every line is checked, and every audio file must exist, before any edit runs.
    """
    path = Path(path)
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        audio = Path(_json_field(line, "audio", path))
        audio = audio if audio.is_absolute() else path.parent / audio
        if not audio.is_file():
            raise FileNotFoundError(f"{path}, line {number}: no audio file {audio} (a relative "
                                    "path is read from the pairs file's folder)")
        target = _json_field(line, "target", path)
        source = json.loads(line).get("source")
        if source is not None and not isinstance(source, str):
            raise ValueError(f"{path}, line {number}: 'source' must be text or absent, got "
                             f"{source!r}")
        pairs.append(EditPair(audio, target, source or None))
    if not pairs:
        raise ValueError(f"{path} holds no edit pairs")
    return pairs


def _json_field(line: str, key: str, path: Path) -> str:
    try:
        value = json.loads(line)[key]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise ValueError(f"{path}: every line must be a JSON object with {key!r}: {line!r}") \
            from None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{path}: {key!r} must be non-empty text, got {value!r}")
    return value
