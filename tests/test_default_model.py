"""The shipped default model (issue 4): it loads when no model is named, and `sa generate`,
`sa edit` and `sa-engine` work with the network unreachable.

"Unreachable" is made real in the subprocesses: a ``sitecustomize`` (on PYTHONPATH) makes
every socket connection, send or name lookup that leaves the machine fail, and records each
attempt in a file that must stay empty. Loopback stays open (the daemon's OSC replies use it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.bridge.helpers import start_engine

BLOCKER = '''
import os, socket
_LOG = os.environ["SA_TEST_NETWORK_LOG"]
_LOCAL = {"127.0.0.1", "localhost", "::1", "0.0.0.0", ""}
with open(_LOG, "a") as _f:
    _f.write("armed\\n")


def _check(host):
    if isinstance(host, str) and host not in _LOCAL:
        with open(_LOG, "a") as f:
            f.write(f"blocked {host}\\n")
        raise OSError(101, f"network is unreachable (test): {host}")


_connect, _sendto, _lookup = socket.socket.connect, socket.socket.sendto, socket.getaddrinfo


def connect(self, address, *rest):
    _check(address[0] if isinstance(address, tuple) else None)
    return _connect(self, address, *rest)


def sendto(self, data, *rest):
    address = rest[-1]
    _check(address[0] if isinstance(address, tuple) else None)
    return _sendto(self, data, *rest)


def getaddrinfo(host, *rest, **named):
    _check(host)
    return _lookup(host, *rest, **named)


socket.socket.connect, socket.socket.sendto, socket.getaddrinfo = connect, sendto, getaddrinfo
'''


@pytest.fixture
def offline(tmp_path: Path) -> dict[str, str]:
    """Environment for a subprocess that cannot reach the network (see the module doc)."""
    folder = tmp_path / "offline"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(BLOCKER)
    log = tmp_path / "network.log"
    path = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    return {"PYTHONPATH": path, "SA_TEST_NETWORK_LOG": str(log), "HF_HUB_OFFLINE": "0",
            "OMP_NUM_THREADS": "1"}


def network_attempts(env: dict[str, str]) -> list[str]:
    lines = Path(env["SA_TEST_NETWORK_LOG"]).read_text().splitlines()
    assert "armed" in lines, "the network blocker did not load"
    return [line for line in lines if line != "armed"]


def sa(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "semanticaudio.engine.cli", *args]
    return subprocess.run(command, cwd=cwd, env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=300)


def test_the_default_model_ships_within_50_mb_as_safetensors():
    from semanticaudio.engine.pipeline import DEFAULT_MODEL_DIR, load_pipeline

    files = [path for path in DEFAULT_MODEL_DIR.rglob("*") if path.is_file()]
    assert sum(path.stat().st_size for path in files) <= 50e6
    weights = {path.suffix for path in files} - {".json"}
    assert weights == {".safetensors"}, weights
    pipeline = load_pipeline(device="cpu")
    assert pipeline.model.is_two_stage and pipeline.sample_rate_hz == 16_000


def test_the_default_model_is_the_documented_build():
    """The shipped weights come from `sa build-default --profile mixed` as the profile stands
    (docs/default-model.md), so the documented commands rebuild them (change the profile,
    rebuild and ship together)."""
    from semanticaudio.engine.pipeline import DEFAULT_MODEL_DIR
    from semanticaudio.engine.recipes.build import planned_steps, profile_settings
    from semanticaudio.engine.recipes.profiles import get_profile

    mixed = get_profile("mixed")
    log = json.loads((DEFAULT_MODEL_DIR / "build_log.json").read_text(encoding="utf-8"))
    assert log["profile"] == "mixed"
    assert log["settings"] == profile_settings(mixed)
    # every planned step ran (in the log in the order they ran: the sine bank's step was added
    # to the profile after the DiTs had trained, and ran then)
    assert sorted(log["steps"]) == sorted(planned_steps(mixed))
    # Settings were changed after some steps had run (the DiTs' steps after the GPU part, the
    # planner's and the prompt counts after the synthesizer). At each change, the steps kept
    # must not read what changed: the first step that reads a changed setting, and every step
    # after it, had been deleted from the log to run again. Change by change, so a step kept to
    # the end ran under settings that agree with today's on everything it reads.
    steps = planned_steps(mixed)
    earlier_entries = log.get("earlier_settings", [])
    following = [entry["settings"] for entry in earlier_entries[1:]] + [log["settings"]]
    for earlier, new in zip(earlier_entries, following, strict=True):
        old = earlier["settings"]
        changed = {key for key in new if old.get(key) != new[key]}
        readers = set().union(*(_readers(key, old, new, steps) for key in changed))
        assert readers.isdisjoint(earlier["steps_finished"]), (changed, earlier)
    assert not log["steps"]["codec"]["device"].startswith("cpu")  # the point: codec on a GPU


def _readers(key: str, old: dict, new: dict, steps: tuple[str, ...]) -> set[str]:
    """The build steps that read the top-level setting ``key``, directly or through what an
    earlier reader made: its first reader and every step after it, but for the sine bank."""
    if key == "sine_bank":
        # Its step leaves the codec's encoder as it was, bit for bit (the step checks), so the
        # steps that read only the latent (semantic encoder, cache, DiTs) do not read the bank;
        # from the export on, everything renders through the decoder.
        return {"sine_bank", *steps[steps.index("export"):]}
    first = _first_reader(key, old, new)
    return set() if first is None else set(steps[steps.index(first):])


def _first_reader(key: str, old: dict, new: dict) -> str | None:
    """The first build step that reads the top-level setting ``key`` (None: no step does);
    a setting not named here fails the test (rebuild from scratch, or name its reader)."""
    if key == "flow":
        changed = {name for name in new["flow"] if old["flow"].get(name) != new["flow"][name]}
        return "stage2" if changed <= {"stage2_steps", "stage2_decay_steps"} else "stage1"
    readers = {"notes": None, "guidance_prompts": "guidance", "quality_prompts": "quality"}
    assert key in readers, f"setting {key!r} changed after steps ran; rebuild from scratch"
    return readers[key]


@pytest.mark.slow
def test_sa_generate_and_edit_work_offline_without_a_model(offline, tmp_path):
    made = sa(offline, "generate", "a bell rings twice", "--duration", "2", "--seed", "0",
              "-o", "bell.wav", cwd=tmp_path)
    assert made.returncode == 0, made.stderr[-2000:]
    bell, rate = soundfile.read(tmp_path / "bell.wav", dtype="float32")
    assert rate == 16_000 and len(bell) == 32_000
    # A signal, not digital silence: the corpus is quiet (clip RMS 0.003-0.09), and this
    # model's bell peaks near -18 dBFS (-42 before its codec's sine bank; docs/default-model.md).
    assert np.abs(bell).max() > 1e-3
    edited = sa(offline, "edit", "bell.wav", "--source", "a bell rings twice", "--target",
                "rain falls", "--seed", "0", "-o", "rain.wav", cwd=tmp_path)
    assert edited.returncode == 0, edited.stderr[-2000:]
    rain, _ = soundfile.read(tmp_path / "rain.wav", dtype="float32")
    assert rain.shape == bell.shape and not np.allclose(rain, bell)
    assert network_attempts(offline) == []


@pytest.mark.slow
def test_sa_engine_serves_the_default_model_offline(offline, tmp_path):
    engine = start_engine(None, tmp_path / "engine", env=offline)
    client = engine.client()
    try:
        out = engine.out_dir
        client.send("/sa/generate", "d1", client.port, "wind blows", 1.0, str(out), "")
        address, args = client.final("d1", timeout_s=120.0)
        assert address == "/sa/done", (args, engine.log()[-2000:])
        assert soundfile.info(args[1]).duration == pytest.approx(1.0, abs=0.01)
        assert "the default location" in engine.log()
    finally:
        client.close()
        engine.stop()
    assert network_attempts(offline) == []
