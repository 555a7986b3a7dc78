"""Two CPU processes under torchrun (gloo): the replicas must stay identical."""

import hashlib
import os
import subprocess
import sys

import torch
from safetensors.torch import load_file
from semanticaudio.engine.training.state import read_state


def test_two_gloo_processes_keep_identical_replicas(tone_cache, tmp_path):
    run = tmp_path / "ddp"
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        "-m", "semanticaudio.engine.cli", "train", "stage1", "--config", "tiny",
        "--data", str(tone_cache), "--out", str(run), "--device", "cpu", "--until-step", "3",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    folder = run / "checkpoints" / "step_000000003"
    state = read_state(folder)
    assert state["world_size"] == 2
    first, second = state["replica_digests"]
    assert first == second  # each process hashed its own parameters after 3 steps
    # ... and the digest is that of the saved weights, which training changed
    weights = load_file(str(folder / "model.safetensors"))
    digest = hashlib.sha256()
    for name in sorted(n for n in weights if _is_parameter(n)):
        digest.update(weights[name].contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    assert digest.hexdigest() == first
    # the processes drew different noise (their own generators) and saw different clips
    rngs = [load_file(str(folder / f"rng_rank{r}.safetensors")) for r in range(2)]
    assert not torch.equal(rngs[0]["loss_generator"], rngs[1]["loss_generator"])


def _is_parameter(name: str) -> bool:
    return not name.endswith((".mean", ".std"))  # LatentNorm buffers are not parameters
