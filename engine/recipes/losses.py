"""Training objectives of the component recipes: codec reconstruction and text-audio alignment."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# Log-magnitudes are floored here. The corpus is digitally silent between events; with a floor
# far below audible levels (1e-5) the log terms were dominated by matching that silence and a
# CPU-trained codec collapsed to one constant, near-silent output. 1e-3 is about -60 dB below a
# loud event's bins at these window sizes.
LOG_FLOOR = 1e-3


class MultiScaleSpectralLoss(nn.Module):
    """At several window sizes: L1 between log-magnitude STFTs plus spectral convergence
    (‖|Y| − |X|‖ / ‖|Y|‖, which weighs the loud bins, i.e. the events); and L1 between log-mel
    spectra.

    Several windows balance time and frequency resolution (as DAC's multi-scale losses do);
    the mel term weighs frequencies as hearing does.
    """

    def __init__(self, sample_rate_hz: int, windows: tuple[int, ...], n_mels: int) -> None:
        super().__init__()
        import torchaudio

        self.windows = tuple(int(w) for w in windows)
        for window in self.windows:
            self.register_buffer(f"window_{window}", torch.hann_window(window), persistent=False)
        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate_hz, n_fft=max(self.windows), hop_length=max(self.windows) // 4,
            n_mels=n_mels, power=1.0,
        )

    def forward(self, estimate: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
        """(B, S) each → {"stft": …, "mel": …}, scalars."""
        stft = sum(self._log_magnitude_l1(estimate, target, w) for w in self.windows)
        mel = F.l1_loss(log_magnitude(self.mel(estimate)), log_magnitude(self.mel(target)))
        return {"stft": stft / len(self.windows), "mel": mel}

    def _log_magnitude_l1(self, estimate, target, window: int) -> torch.Tensor:
        settings = {"n_fft": window, "hop_length": window // 4,
                    "window": getattr(self, f"window_{window}"), "return_complex": True}
        magnitude_estimate = torch.stft(estimate, **settings).abs()  # (B, F, frames)
        magnitude_target = torch.stft(target, **settings).abs()
        convergence = torch.linalg.vector_norm(magnitude_target - magnitude_estimate) / (
            torch.linalg.vector_norm(magnitude_target) + LOG_FLOOR)
        difference = F.l1_loss(log_magnitude(magnitude_estimate), log_magnitude(magnitude_target))
        return difference + convergence


# DAC's reconstruction loss as its published models were trained (descript-audio-codec,
# conf/base.yml: MelSpectrogramLoss with these window lengths and band counts, hop = window / 4,
# log terms only): (window, mel bands) per scale, finer bands at longer windows.
DAC_MEL_SCALES = ((32, 5), (64, 10), (128, 20), (256, 40), (512, 80), (1024, 160), (2048, 320))


class MultiScaleMelLoss(nn.Module):
    """L1 between log-mel spectra at several (window, bands) scales, averaged over the scales.

    Why not log-STFT bins: where a decoder cannot yet place a narrow line (a tone's partial) on
    the right bin, a log-STFT L1 charges every bin it spreads energy into (from the floor up) and
    rewards leaving the line out, so tonal events come back near silent (measured on the cpu
    codec: beeps, bells and sirens at 3-10 % of their level). A mel band only asks for its
    energy, so the decoder keeps the tone's loudness and band while it learns the line.
    """

    def __init__(self, sample_rate_hz: int,
                 scales: tuple[tuple[int, int], ...] = DAC_MEL_SCALES) -> None:
        super().__init__()
        import torchaudio

        if not scales:
            raise ValueError("MultiScaleMelLoss needs at least one (window, bands) scale")
        self.mels = nn.ModuleList(
            torchaudio.transforms.MelSpectrogram(sample_rate_hz, n_fft=window,
                                                 hop_length=window // 4, n_mels=bands,
                                                 power=1.0)
            for window, bands in scales
        )

    def forward(self, estimate: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
        """(B, S) each → {"mel": …}, a scalar."""
        total = sum(F.l1_loss(log_magnitude(mel(estimate)), log_magnitude(mel(target)))
                    for mel in self.mels)
        return {"mel": total / len(self.mels)}


def log_magnitude(x: torch.Tensor) -> torch.Tensor:
    """log(x), with x floored at LOG_FLOOR."""
    return torch.log(x.clamp_min(LOG_FLOOR))


def gaussian_kl(mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, std²) ‖ N(0, 1)) averaged over every element (a scalar)."""
    variance = std.pow(2)
    return 0.5 * (mean.pow(2) + variance - 1.0 - torch.log(variance)).mean()


def symmetric_info_nce(audio: torch.Tensor, text: torch.Tensor, logit_scale: torch.Tensor):
    """CLIP's loss: (B, D) audio and text vectors (unit length), matching rows are pairs.

    Captions that repeat within a batch are all counted as positives (soft targets), so two
    clips described alike are not pushed apart.
    """
    logits = logit_scale.exp() * audio @ text.T  # (B, B)
    return 0.5 * (F.cross_entropy(logits, _pair_targets(text)) +
                  F.cross_entropy(logits.T, _pair_targets(text)))


def _pair_targets(text: torch.Tensor) -> torch.Tensor:
    """(B, D) → (B, B) rows summing to one over the texts identical to each row's own."""
    # Exact distances: above 25 rows cdist's default takes a matrix-product shortcut whose
    # rounding (~1e-4) once left rows of a 32-caption batch with no positive at all (0 / 0).
    distance = torch.cdist(text.detach(), text.detach(),
                           compute_mode="donot_use_mm_for_euclid_dist")
    same = ((distance < 1e-6) | torch.eye(len(text), dtype=torch.bool, device=text.device))
    return same.float() / same.sum(dim=1, keepdim=True)


def frame_phrase_loss(
    frames: torch.Tensor,
    phrases: torch.Tensor,
    targets: torch.Tensor,
    logit_scale: torch.Tensor,
    logit_bias: torch.Tensor,
) -> torch.Tensor:
    """SigLIP-style binary loss between every frame and every phrase.

    frames: (B, T, D) unit vectors; phrases: (P, D) unit vectors; targets: (B, T, P) in {0, 1},
    1 where the phrase describes an event that sounds in that frame.
    """
    logits = logit_scale.exp() * torch.einsum("btd,pd->btp", frames, phrases) + logit_bias
    return F.binary_cross_entropy_with_logits(logits, targets)
