import math

import pytest
import torch
from semanticaudio.engine.components.waveform import DC_CUTOFF_HZ, remove_dc

RATE = 16_000


def _tone(frequency_hz: float, seconds: float = 4.0) -> torch.Tensor:
    t = torch.arange(round(seconds * RATE), dtype=torch.float64) / RATE
    return torch.sin(2 * math.pi * frequency_hz * t)[None]


def _gain_db(frequency_hz: float) -> float:
    """The filter's gain on a steady tone, measured after its first second."""
    tone = _tone(frequency_hz)
    out = remove_dc(tone, RATE)
    level = [x[0, RATE:].pow(2).mean().sqrt() for x in (out, tone)]
    return 20 * math.log10(level[0] / level[1])


def test_a_constant_offset_gives_exact_silence_from_the_first_sample():
    offset = torch.full((2, 8000), 0.00105)
    assert torch.equal(remove_dc(offset, RATE), torch.zeros(2, 8000))


def test_an_offset_under_a_sound_is_removed_and_the_sound_kept():
    sound = _tone(440.0).float() * torch.linspace(1, 0, 4 * RATE)  # a decaying note
    assert torch.allclose(remove_dc(sound + 0.01, RATE), remove_dc(sound, RATE), atol=1e-6)
    assert remove_dc(sound + 0.01, RATE).dtype == torch.float32


@pytest.mark.parametrize("frequency_hz", [50.0, 100.0, 1000.0, 7000.0])
def test_audible_frequencies_pass_at_full_level(frequency_hz):
    assert abs(_gain_db(frequency_hz)) < 0.2


def test_the_cutoff_and_below():
    assert _gain_db(DC_CUTOFF_HZ) == pytest.approx(-3.0, abs=0.3)
    assert _gain_db(0.5) < -20.0  # a slow drift


def test_it_is_the_one_pole_recursion_started_at_the_first_sample():
    x = 0.3 * torch.randn(1, 3000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    x += 0.02
    pole = math.exp(-2 * math.pi * DC_CUTOFF_HZ / RATE)
    expected, previous, y = [], float(x[0, 0]), 0.0
    for sample in x[0].tolist():
        y = sample - previous + pole * y
        expected.append(y)
        previous = sample
    torch.testing.assert_close(remove_dc(x, RATE)[0], torch.tensor(expected, dtype=x.dtype),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("rate", [16_000, 48_000])
def test_the_gpus_fft_form_equals_the_cpus_recursion(rate):
    """remove_dc takes the FFT form on CUDA; here both run on the CPU on the same steps."""
    from semanticaudio.engine.components.waveform import _one_pole_by_fft
    from torchaudio.functional import lfilter

    steps = 0.3 * torch.randn(2, 3 * rate, generator=torch.Generator().manual_seed(1),
                              dtype=torch.float64)
    pole = math.exp(-2 * math.pi * DC_CUTOFF_HZ / rate)
    a, b = torch.tensor([1.0, -pole], dtype=torch.float64), torch.tensor([1.0, 0.0],
                                                                          dtype=torch.float64)
    expected = lfilter(steps, a, b, clamp=False)
    torch.testing.assert_close(_one_pole_by_fft(steps, pole), expected, rtol=0, atol=1e-12)
    short = steps[:, :100]  # shorter than the impulse response
    torch.testing.assert_close(_one_pole_by_fft(short, pole), expected[:, :100], rtol=0,
                               atol=1e-12)


def test_only_mono_batches_are_accepted():
    with pytest.raises(ValueError, match=r"mono \(B, num_samples\)"):
        remove_dc(torch.zeros(2, 1, 100), RATE)
