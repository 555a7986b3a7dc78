"""Train the small semantic encoder so that its frames align with text, jointly with the text
towers.

Three terms, all in the CLAP vector space (the frame width equals the CLAP vector's width):

- frame level: every frame against phrases that name events ("a bell rings", and each event's
  own phrase with its attributes, "a loud high bell rings slowly"), embedded by the CLAP tower,
  with a SigLIP-style binary loss whose targets are the ground-truth timelines;
- clip level: the mean frame against the caption's CLAP vector (symmetric InfoNCE), which also
  trains the CLAP tower so that the model's global condition is text-audio aligned;
- tokens: the mean of the T5 tokens (through a trainer-only linear map) against the mean frame,
  so the token encoder also learns from the audio which words matter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from semanticaudio.engine.components.pe_frame import PeAudioFrameEncoder
from semanticaudio.engine.components.text import ClapGlobalEncoder, T5TokenEncoder
from semanticaudio.engine.corpus import CLASS_NAMES, ClipSpec, EventSpec, caption_for
from semanticaudio.engine.recipes.clips import ClipBank, frame_activity
from semanticaudio.engine.recipes.frame_encoder import (
    FrameEncoderSize,
    FrontEndBypass,
    standardize_front_end,
)
from semanticaudio.engine.recipes.loop import OptimizerSettings, TrainingLog, fit
from semanticaudio.engine.recipes.losses import frame_phrase_loss, symmetric_info_nce
from semanticaudio.engine.recipes.resume import ProgressCheckpoint
from semanticaudio.engine.recipes.text import TextRecipe
from torch import nn


@dataclass(frozen=True)
class SemanticRecipe:
    """Sizes and weights of the joint audio-text training."""

    size: FrameEncoderSize = field(default_factory=FrameEncoderSize)
    text: TextRecipe = field(default_factory=TextRecipe)
    frame_weight: float = 1.0
    clip_weight: float = 1.0
    token_weight: float = 0.5
    optimizer: OptimizerSettings = field(
        default_factory=lambda: OptimizerSettings(steps=1500, batch_size=32, learning_rate=5e-4)
    )

    def __post_init__(self) -> None:
        if self.size.embed_dim != self.text.global_dim:
            raise ValueError(
                f"frames ({self.size.embed_dim}-dim) and CLAP vectors ({self.text.global_dim}-dim) "
                "are compared directly; give them the same width"
            )


@dataclass(frozen=True)
class AlignedEncoders:
    """The three components trained together."""

    frames: PeAudioFrameEncoder
    clap: ClapGlobalEncoder
    t5: T5TokenEncoder

    def by_role(self) -> dict[str, nn.Module]:
        """The checkpoint role of each encoder (``components.registry.ROLES``)."""
        return {"semantic_encoder": self.frames, "text_global": self.clap,
                "text_tokens": self.t5}


@dataclass(frozen=True)
class SemanticReport:
    """frame_f1: micro F1 of per-frame class presence (frames vs the 16 class phrases);
    clip_recall_at_1: share of clips whose own caption is the closest of all captions."""

    frame_f1: float
    clip_recall_at_1: float
    num_clips: int


class AlignmentHeads(nn.Module):
    """Trainer-only parameters: logit scales and bias, and the T5 pooling projection."""

    def __init__(self, token_dim: int, embed_dim: int) -> None:
        super().__init__()
        self.clip_scale = nn.Parameter(torch.tensor(math.log(10.0)))
        self.token_scale = nn.Parameter(torch.tensor(math.log(10.0)))
        self.frame_scale = nn.Parameter(torch.tensor(math.log(10.0)))
        self.frame_bias = nn.Parameter(torch.tensor(-5.0))  # few phrases sound in any frame
        self.token_proj = nn.Linear(token_dim, embed_dim)


def class_phrases() -> tuple[str, ...]:
    """One canonical phrase per class, in ``CLASS_NAMES`` order ("a bell rings", …)."""
    return tuple(caption_for([EventSpec(name, 0.0, 1.0)]) for name in CLASS_NAMES)


def phrase_targets(
    specs: list[ClipSpec], num_frames: int, frame_rate_hz: float
) -> tuple[list[str], torch.Tensor]:
    """Phrases (the class phrases, then each event's own phrase) and (B, T, P) targets.

    A class phrase is a target wherever an event of its class sounds; an event phrase wherever
    an event with exactly that phrase (class and attributes) sounds.
    """
    phrases = list(class_phrases())
    event_phrases = [[caption_for([event]) for event in spec.events] for spec in specs]
    for phrase in (p for row in event_phrases for p in row):
        if phrase not in phrases:
            phrases.append(phrase)
    column = {phrase: index for index, phrase in enumerate(phrases)}
    targets = torch.zeros(len(specs), num_frames, len(phrases))
    for row, spec in enumerate(specs):
        for frame, events in enumerate(frame_activity(spec, num_frames, frame_rate_hz)):
            for event in events:
                targets[row, frame, CLASS_NAMES.index(spec.events[event].label)] = 1.0
                targets[row, frame, column[event_phrases[row][event]]] = 1.0
    return phrases, targets


def train_semantic(
    encoders: AlignedEncoders,
    features: torch.Tensor,
    bank: ClipBank,
    recipe: SemanticRecipe,
    seed: int,
    device: str | torch.device = "cpu",
    progress: bool = True,
    checkpoint_dir: Path | None = None,
) -> TrainingLog:
    """Train the three encoders in place on ``device``; they are back on the CPU after.
    With ``checkpoint_dir`` the run saves there every ``checkpoint_every`` steps and resumes.
    ``features``: the frozen front end's output for every clip of ``bank``,
    (N, codebook_dim, T) (``frame_encoder.front_end_features``). The front end is first made
    to standardise its output on these clips (``standardize_front_end``): compute features
    for evaluation after this call."""
    features = standardize_front_end(encoders.frames, features)
    torch.manual_seed(seed)
    heads = AlignmentHeads(encoders.t5.embed_dim, encoders.frames.embed_dim)
    generator = torch.Generator().manual_seed(seed)
    modules = [encoders.frames, encoders.clap, encoders.t5, heads]
    for module in modules:
        module.to(device).train()
    features = features.to(device)

    def loss_fn(step: int) -> dict[str, torch.Tensor]:
        indices = torch.randint(len(bank), (recipe.optimizer.batch_size,), generator=generator)
        batch = features[indices.to(features.device)]  # (B, codebook_dim, T)
        return _alignment_terms(encoders, heads, batch, bank, indices.tolist(), recipe)

    parameters = [p for module in modules for p in module.parameters()]
    checkpoint = None if checkpoint_dir is None else ProgressCheckpoint(
        checkpoint_dir, recipe.optimizer.checkpoint_every, {**encoders.by_role(), "heads": heads},
        generator)
    with FrontEndBypass(encoders.frames):  # also while saving: the front end is rebuilt anyway
        log = fit(parameters, loss_fn, recipe.optimizer, "semantic encoder", progress, checkpoint)
    for module in modules:
        module.cpu().eval()
    return log


def _alignment_terms(encoders, heads, features, bank, indices, recipe) -> dict[str, torch.Tensor]:
    frames = F.normalize(encoders.frames.model.get_audio_embeds(features), dim=-1)  # (B, T, D)
    clip_vectors = F.normalize(frames.mean(dim=1), dim=-1)  # (B, D)
    captions = [bank.captions[i] for i in indices]
    specs = [bank.specs[i] for i in indices]
    phrases, targets = phrase_targets(specs, frames.shape[1], encoders.frames.frame_rate_hz)
    targets = targets.to(frames.device)
    phrase_vectors = encoders.clap.encode(phrases)  # (P, D), unit length
    terms = {
        "frame": frame_phrase_loss(frames, phrase_vectors, targets, heads.frame_scale,
                                   heads.frame_bias),
        "clip": symmetric_info_nce(clip_vectors, encoders.clap.encode(captions), heads.clip_scale),
        "token": symmetric_info_nce(clip_vectors, _pooled_tokens(encoders.t5, heads, captions),
                                    heads.token_scale),
    }
    terms["loss"] = (recipe.frame_weight * terms["frame"] + recipe.clip_weight * terms["clip"]
                     + recipe.token_weight * terms["token"])
    return terms


def _pooled_tokens(t5: T5TokenEncoder, heads: AlignmentHeads, captions: list[str]) -> torch.Tensor:
    tokens, mask = t5.encode(captions)  # (B, L, token_dim), (B, L)
    weights = mask.unsqueeze(-1).to(tokens.dtype)
    pooled = (tokens * weights).sum(dim=1) / weights.sum(dim=1)  # (B, token_dim)
    return F.normalize(heads.token_proj(pooled), dim=-1)


@torch.no_grad()
def evaluate_semantic(
    encoders: AlignedEncoders, features: torch.Tensor, bank: ClipBank
) -> SemanticReport:
    """Frame-level class F1 and clip-to-caption recall@1 on ``bank`` (use a held-apart split).

    A frame "has" a class when its cosine with the class phrase is above the midpoint between
    the mean cosine of true and of false pairs, measured on these clips.
    """
    with FrontEndBypass(encoders.frames):
        frames = F.normalize(encoders.frames.model.get_audio_embeds(features), dim=-1)
    classes = encoders.clap.encode(list(class_phrases()))  # (16, D)
    _, targets = phrase_targets(list(bank.specs), frames.shape[1], encoders.frames.frame_rate_hz)
    truth = targets[..., : len(CLASS_NAMES)].bool()
    cosine = torch.einsum("btd,cd->btc", frames, classes)
    threshold = 0.5 * (cosine[truth].mean() + cosine[~truth].mean())
    predicted = cosine > threshold
    true_positive = (predicted & truth).sum().item()
    f1 = 2 * true_positive / max(predicted.sum().item() + truth.sum().item(), 1)
    clip_vectors = F.normalize(frames.mean(dim=1), dim=-1)
    captions = encoders.clap.encode(list(bank.captions))
    best = (clip_vectors @ captions.T).argmax(dim=1)
    hits = [bank.captions[int(b)] == bank.captions[i] for i, b in enumerate(best)]
    return SemanticReport(f1, sum(hits) / len(hits), len(bank))
