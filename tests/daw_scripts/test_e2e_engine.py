"""End to end without a DAW, against a real `sa-engine` on the tiny model.

REAPER: the actions run in Lua 5.4 against the stand-in and launch the real `sa-client` in the
background (ExecProcess really runs their script); they then insert the file that came back.
Ableton: the device's [js] runs under Node with real UDP sockets in place of [udpsend] and
[udpreceive], and creates clips from the files the engine wrote."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import soundfile as sf

from tests.bridge.helpers import Engine, start_engine

from .daw_device_harness import audio_track, clip, live_set, run_device, sent
from .daw_reaper_harness import run_action, write_wav

pytestmark = pytest.mark.slow  # starts a real engine: a few seconds on two cores


@pytest.fixture(scope="module")
def engine(tiny_checkpoint_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    running = start_engine(tiny_checkpoint_dir, tmp_path_factory.mktemp("reaper-e2e-engine"))
    try:
        yield running
    finally:
        running.stop()


def real_settings(engine: Engine) -> dict[str, str]:
    client = shutil.which("sa-client")
    assert client, "sa-client is not on PATH: pip install -e . installs it"
    return {"SemanticAudio/port": str(engine.port), "SemanticAudio/client": client}


def frames_and_rate(path: str) -> tuple[int, int]:
    info = sf.info(path)
    return info.frames, info.samplerate


def test_generate_inserts_the_engines_file_at_the_edit_cursor(
    engine: Engine, tmp_path: Path
) -> None:
    run = run_action("generate", {
        "mode": "real", "ext": real_settings(engine),
        "project": {"cursor": 2.0, "tracks": [{"name": "FX", "selected": True}]},
        "inputs": [["a dog barks twice, far away", "1.0", "2", ""]],
    }, tmp_path)
    assert run.message_boxes == []
    (item,) = run.tracks[0]["items"]
    assert item["position"] == 2.0
    assert len(item["takes"]) == 2  # the two variations
    for take in item["takes"]:
        assert Path(take["file"]).parent == tmp_path / "project-media"
        frames, rate = frames_and_rate(take["file"])
        assert frames == round(1.0 * rate)  # the engine's length contract
        assert take["source_length_s"] == pytest.approx(1.0, abs=1 / rate)
    assert item["length"] == pytest.approx(1.0, abs=1e-3)
    assert [u["kind"] for u in run.undo] == ["begin", "end"]


def test_region_edit_adds_the_engines_file_as_a_take(engine: Engine, tmp_path: Path) -> None:
    source = write_wav(tmp_path / "street take.wav", 3.0, sample_rate_hz=44100, channels=2)
    # 1 s of item at playrate 1.5 plays 1.5 s of source from 0.5 s; the time selection covers
    # item seconds 0.2..0.6, which is 0.3..0.9 s into that span.
    item = {"position": 5.0, "length": 1.0, "selected": True,
            "takes": [{"name": "street", "startoffs": 0.5, "playrate": 1.5,
                       "source": {"file": str(source)}}]}
    run = run_action("edit", {
        "mode": "real", "ext": real_settings(engine),
        "project": {"time_selection": [5.2, 5.6], "tracks": [{"items": [item]}]},
        "inputs": [["a busy street", "a quiet street at night", ""]],
    }, tmp_path)
    assert run.message_boxes == []
    (process,) = run.processes
    args = process["args"]
    assert args[args.index("--range") + 1:args.index("--range") + 3] == ["0.3", "0.9"]
    (edited,) = run.tracks[0]["items"]
    original, new = edited["takes"]
    assert edited["active_take"] == 2
    assert original["file"] == str(source)
    assert new["name"] == "a quiet street at night"
    frames, rate = frames_and_rate(new["file"])
    assert rate == 44100  # the bridge writes at the source's rate
    assert frames == round(1.5 * rate)  # the whole 1.5 s span comes back
    assert new["playrate"] == 1.5
    assert new["source_length_s"] == pytest.approx(edited["length"] * 1.5, abs=1 / rate)


def test_device_generates_and_edits_through_the_engine(engine: Engine, tmp_path: Path) -> None:
    source = write_wav(tmp_path / "dog.wav", 3.0, sample_rate_hz=44100)
    out_dir = tmp_path / "renders"
    out_dir.mkdir()
    source_clip = clip(file_path=str(source), start_marker=0.5, end_marker=2.0,
                       sample_rate=44100, sample_length=3 * 44100)
    live = live_set(tracks=[audio_track(slots=[None, source_clip])],
                    detail_clip={"track": 0, "slot": 1})
    steps = [["init"], ["await", "/sa/pong", 10000], ["await", "/sa/presets", 10000],
             ["prompt", "a", "dog", "barks"], ["duration", 1], ["variations", 2],
             ["folder", str(out_dir)], ["generate"], ["await", "/sa/done", 60000],
             ["variations", 1], ["source", "a", "dog", "barks"], ["target", "a", "cat", "meows"],
             ["edit"],
             ["await", "/sa/done", 60000]]
    run = run_device(steps, live, tmp_path, osc_port=engine.port, timeout_s=150)
    assert run["errors"] == []
    menu = [out[2] for out in run["outlets"] if out[0] == 3 and out[1] == "append"]
    assert "weather-change" in menu  # the engine's presets reached the menu
    assert sent(run, "/sa/generate")[0][3] == 1  # an int atom, accepted as 1.0 s
    slots = run["tracks"][0]["slots"]
    generated = [slots[0], slots[2]]  # the free slots around the source clip
    for new_clip in generated:
        frames, rate = frames_and_rate(new_clip["file_path"])
        assert frames == round(1.0 * rate)
        assert new_clip["name"] == "a dog barks"
    edited = slots[3]  # the first free slot below the source
    frames, rate = frames_and_rate(edited["file_path"])
    assert (frames, rate) == (round(1.5 * 44100), 44100)  # the marker span, at the source rate
    assert edited["name"] == "a cat meows"
    progress = [out[1] for out in run["outlets"] if out[0] == 2]
    assert max(p for p in progress if p < 1) > 0  # real progress replies were shown

