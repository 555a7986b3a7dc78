"""/sa/preview: real sounddevice with and without an output device, and without PortAudio.

The success path through a real (null) ALSA device is in test_daemon.py, where the engine runs
with a HOME whose .asoundrc points the default device at ALSA's null plug-in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from semanticaudio.bridge.preview import AudioDeviceError, Previewer, load_sounddevice
from semanticaudio.bridge.protocol import ErrorCode, ProtocolError
from semanticaudio.bridge.validation import Limits

from tests.bridge.helpers import tone, write_audio

CLIENT = ("127.0.0.1", 9001)

PREVIEW_SCRIPT = """
import json, sys, threading
from semanticaudio.bridge.preview import Previewer
from semanticaudio.bridge.validation import Limits
got, event = [], threading.Event()
class Sink:
    def send(self, address, reply):
        got.append(list(reply.args)); event.set()
previewer = Previewer(Sink(), Limits())
previewer.start()
previewer.request(sys.argv[1], ("127.0.0.1", 9))
event.wait(20)
previewer.stop()
print(json.dumps(got))
"""


class Sink:
    def __init__(self) -> None:
        self.replies: list[tuple[str, list[Any]]] = []
        self.event = threading.Event()

    def send(self, address: tuple[str, int], reply: Any) -> None:
        self.replies.append((reply.address, list(reply.args)))
        self.event.set()


def run_preview(path: Path, loader) -> tuple[str, list[Any]]:
    sink = Sink()
    previewer = Previewer(sink, Limits(), loader=loader)
    previewer.start()
    try:
        previewer.request(str(path), CLIENT)
        assert sink.event.wait(10.0)
        return sink.replies[0]
    finally:
        previewer.stop()


def test_without_portaudio_the_reply_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import fails as without PortAudio
    with pytest.raises(AudioDeviceError, match="libportaudio2"):
        load_sounddevice()
    wav = write_audio(tmp_path / "a.wav", tone(0.2, 8000), 8000)
    address, args = run_preview(wav, load_sounddevice)
    assert (address, args[0], args[1]) == ("/sa/error", "preview", "no_audio_device")
    assert "PortAudio is not available" in args[2]


def test_without_an_output_device_the_real_sounddevice_path_says_so(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text("pcm.!default { type hw card 99 }\n")  # no such card
    wav = write_audio(tmp_path / "a.wav", tone(0.2, 8000), 8000)
    done = subprocess.run(
        [sys.executable, "-c", PREVIEW_SCRIPT, str(wav)], capture_output=True, text=True,
        env={**os.environ, "HOME": str(home)}, timeout=60, check=True,
    )
    (reply,) = json.loads(done.stdout.strip().splitlines()[-1])
    assert reply[:2] == ["preview", "no_audio_device"]
    assert "no audio output device" in reply[2]


def test_preview_paths_are_checked_before_playing(tmp_path: Path) -> None:
    previewer = Previewer(Sink(), Limits(max_preview_s=1.0))
    long_file = write_audio(tmp_path / "long.wav", tone(2.0, 8000), 8000)
    for path, code in [("rel.wav", ErrorCode.BAD_PATH), (str(tmp_path), ErrorCode.BAD_PATH),
                       (str(long_file), ErrorCode.TOO_LONG)]:
        with pytest.raises(ProtocolError) as caught:
            previewer.request(path, CLIENT)
        assert caught.value.code is code
        assert caught.value.job_id in ("", "preview")


def test_an_empty_path_only_stops() -> None:
    sink = Sink()
    previewer = Previewer(sink, Limits(), loader=lambda: pytest.fail("no device needed"))
    previewer.start()
    previewer.request("", CLIENT)
    assert sink.event.wait(5.0)
    previewer.stop()
    assert sink.replies == [("/sa/done", ["preview", ""])]


def test_list_devices_shows_the_null_device(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text("pcm.!default { type null }\n")
    done = subprocess.run(
        [sys.executable, "-m", "semanticaudio.bridge.daemon", "--list-devices"],
        capture_output=True, text=True, env={**os.environ, "HOME": str(home)}, timeout=60,
        check=True,
    )
    assert "default" in done.stdout
