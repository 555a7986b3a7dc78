"""Audio files and settings shared by the ``sa`` command-line tests."""

from pathlib import Path

import numpy as np
import soundfile

# the fewest steps that still run every stage: a tiny model renders in well under a second
QUICK = ["--steps", "2", "--synth-steps", "2", "--seed", "0"]


def write_tones(path: Path, amplitudes: tuple[float, ...], sample_rate_hz: int = 16000,
                duration_s: float = 1.0, subtype: str = "PCM_24") -> np.ndarray:
    """One sine per channel (220 Hz, 330 Hz, …) at the given peak amplitudes; returns the
    samples as read back, (frames, channels) float32."""
    times = np.arange(round(duration_s * sample_rate_hz)) / sample_rate_hz
    data = np.stack([amplitude * np.sin(2 * np.pi * 110 * (index + 2) * times)
                     for index, amplitude in enumerate(amplitudes)], axis=1)
    soundfile.write(str(path), data.astype(np.float32), sample_rate_hz, subtype=subtype)
    return soundfile.read(str(path), dtype="float32", always_2d=True)[0]


def daemon_edit(pipeline, source: Path, out_dir: Path, start_s: float, length_s: float,
                options: str, presets=None) -> np.ndarray:
    """What sa-engine writes for `/sa/edit` of `source` ("a tone" → "rain falls") with
    `options` (and a PresetLibrary), rendered by its Renderer on `pipeline`: the file's samples,
    (frames, channels)."""
    from semanticaudio.bridge.jobs import JobHooks
    from semanticaudio.bridge.protocol import decode_request
    from semanticaudio.bridge.render import Renderer

    out_dir.mkdir()
    request = decode_request("/sa/edit", ["e1", 9000, str(source), start_s, length_s, "a tone",
                                          "rain falls", str(out_dir), options])
    hooks = JobHooks(lambda fraction, stage: None, lambda: False)
    (path,) = Renderer(pipeline, presets).render(request, hooks).paths
    return soundfile.read(str(path))[0]
