"""sa-client against a real sa-engine: output, files, exit codes, cancel and Ctrl-C."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import soundfile
from semanticaudio.bridge.client import build_parser, main, options_string
from semanticaudio.bridge.client_io import ProgressView

from tests.bridge.helpers import Engine, tone, write_audio

FAST = ["--option", "steps=2", "--option", "synth_steps=2"]
SLOW = ["--option", "steps=1000", "--option", "synth_steps=1000", "--duration", "10"]


def run(engine: Engine, *args: str) -> int:
    return main(["--port", str(engine.port), *args])


def test_options_string_from_flags() -> None:
    args = build_parser().parse_args(
        ["edit", "/a.wav", "--target", "x", "--preset", "p", "--variations", "2", "--seed", "7",
         "--range", "0.5", "1.25", "--option", "steps=10"])
    assert options_string(args) == "preset=p;variations=2;seed=7;range=0.5:1.25;steps=10"
    exact = build_parser().parse_args(["edit", "/a.wav", "--range", "1", "2.3456789"])
    assert options_string(exact) == "range=1.0:2.3456789"  # every digit, as the item's length


def test_progress_view_writes_lines_and_the_progress_file(tmp_path: Path) -> None:
    stream = io.StringIO()
    view = ProgressView(stream, tmp_path / "progress.txt")
    view.update(0.25, "plan")
    view.update(0.5, "synthesize")
    assert stream.getvalue() == "progress 0.250 plan\nprogress 0.500 synthesize\n"
    assert (tmp_path / "progress.txt").read_text() == "0.5000 synthesize\n"
    assert [p.name for p in tmp_path.iterdir()] == ["progress.txt"]  # no temporaries left


def test_ping_status_presets(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(engine, "ping") == 0
    assert capsys.readouterr().out == "sa-engine protocol 1: tiny-semanticaudio on cpu\n"
    assert run(engine, "--json", "status") == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["ok"], status["queued"], status["queued_job_ids"]) == (True, 0, [])
    assert run(engine, "--json", "presets") == 0
    names = {p["name"] for p in json.loads(capsys.readouterr().out)["presets"]}
    assert "telephone" in names


def test_generate_prints_paths_and_writes_both_files(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result, progress = tmp_path / "result.json", tmp_path / "progress.txt"
    status = run(engine, "--job-id", "cli1", "--result-file", str(result), "--progress-file",
                 str(progress), "generate", "a door slams", "--duration", "0.5",
                 "--variations", "2", "--out-dir", str(tmp_path), *FAST)
    out, err = capsys.readouterr()
    assert status == 0
    paths = out.split()
    assert [Path(p).name for p in paths] == [
        "sa_gen_a-door-slams_cli1_v1.wav", "sa_gen_a-door-slams_cli1_v2.wav"]
    assert json.loads(result.read_text()) == {"ok": True, "job_id": "cli1", "paths": paths}
    assert progress.read_text() == "1.0000 decode\n"
    assert "job cli1 accepted" in err


def test_edit_defaults_to_the_rest_of_the_file(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_audio(tmp_path / "in.ogg", tone(1.5, 24000), 24000)
    status = run(engine, "--json", "edit", str(source), "--target", "a cat", "--start", "0.5",
                 "--out-dir", str(tmp_path), *FAST)
    result = json.loads(capsys.readouterr().out)
    assert status == 0
    info = soundfile.info(result["paths"][0])
    assert (info.samplerate, info.channels, info.frames) == (24000, 2, 24000)


def test_exit_codes_for_errors_usage_and_no_engine(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(engine, "generate", "x", "--duration", "99", "--out-dir", str(tmp_path)) == 1
    assert "sa-client: too_long: duration_s=99 s" in capsys.readouterr().err
    assert run(engine, "generate", "x", "--option", "steps") == 2
    assert "KEY=VALUE" in capsys.readouterr().err
    assert run(engine, "--job-id", "no/slash", "ping") == 2
    assert run(engine, "cancel", "nobody") == 1
    assert "unknown_job" in capsys.readouterr().err
    result = tmp_path / "r.json"
    status = main(["--port", str(unused_udp_port()), "--result-file", str(result), "ping"])
    assert status == 3
    assert json.loads(result.read_text())["code"] == "no_engine"


def unused_udp_port() -> int:
    """A loopback UDP port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_running(engine: Engine, job_id: str) -> None:
    client = engine.client()
    try:
        for _ in range(200):
            client.send("/sa/status", client.port)
            if client.wait_for(lambda a, p: a == "/sa/status")[1][1] == job_id:
                return
            time.sleep(0.05)
        raise AssertionError(f"{job_id} never ran")
    finally:
        client.close()


def test_cancel_from_another_client_ends_the_job_with_4(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome: list[int] = []
    job = threading.Thread(target=lambda: outcome.append(run(
        engine, "--job-id", "victim", "generate", "wind", "--out-dir", str(tmp_path), *SLOW)))
    job.start()
    wait_running(engine, "victim")
    assert run(engine, "cancel", "victim") == 0
    job.join(20.0)
    assert outcome == [4]
    assert "cancelled victim" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_cancels_the_job_in_the_engine(engine: Engine, tmp_path: Path) -> None:
    """The real console script, interrupted like a user would."""
    result = tmp_path / "result.json"
    process = subprocess.Popen(
        ["sa-client", "--port", str(engine.port), "--job-id", "ctrlc", "--result-file",
         str(result), "generate", "wind", "--out-dir", str(tmp_path), *SLOW],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        wait_running(engine, "ctrlc")
        process.send_signal(signal.SIGINT)
        assert process.wait(20.0) == 4
    finally:
        process.kill()
    assert json.loads(result.read_text())["code"] == "cancelled"
    assert "job ctrlc cancelled" in engine.log()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json"]


def test_a_preset_builds_the_target_when_none_is_typed(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_audio(tmp_path / "car.wav", tone(1.0, 16000), 16000)
    status = run(engine, "--json", "edit", str(source), "--source", "a car passes by",
                 "--preset", "weather-change", "--out-dir", str(tmp_path), *FAST)
    result = json.loads(capsys.readouterr().out)
    assert status == 0 and "a-car-passes-by-in-heavy-rain" in Path(result["paths"][0]).name
    assert run(engine, "edit", str(source), "--out-dir", str(tmp_path), *FAST) == 1
    assert "target_prompt is empty (give one, or a preset)" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--result-file", "--progress-file"])
def test_an_unwritable_result_or_progress_file_is_a_usage_error_before_anything_is_sent(
    flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no such folder" / "out.txt"
    # nobody listens on the port: reaching the network would end in exit 3, not 2
    status = main(["--port", str(unused_udp_port()), flag, str(missing), "generate", "rain"])
    assert status == 2
    assert f"{flag}: the folder {missing.parent} does not exist" in capsys.readouterr().err
    assert main(["--port", str(unused_udp_port()), flag, str(tmp_path), "ping"]) == 2
    assert "is a folder; give a file name" in capsys.readouterr().err


def test_a_progress_file_that_cannot_be_written_any_more_does_not_stop_the_job(
    tmp_path: Path
) -> None:
    folder = tmp_path / "progress"
    folder.mkdir()
    stream = io.StringIO()
    view = ProgressView(stream=stream, progress_file=folder / "p.txt")
    view.update(0.25, "plan")
    assert (folder / "p.txt").read_text() == "0.2500 plan\n"
    (folder / "p.txt").unlink()
    folder.rmdir()
    view.update(0.5, "plan")  # no exception: the job goes on
    view.update(0.75, "synthesize")
    assert "cannot update the progress file" in stream.getvalue()
    assert stream.getvalue().count("cannot update") == 1
    assert "progress 0.750 synthesize" in stream.getvalue()


def test_a_datagram_that_is_not_osc_is_skipped_not_a_crash() -> None:
    """Whatever else arrives from the engine's address (noise, a truncated message) is not a
    reply: the client waits on for the real one instead of dying with a traceback."""
    from pythonosc.osc_message_builder import OscMessageBuilder
    from semanticaudio.bridge.client_io import Connection

    engine = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    engine.bind(("127.0.0.1", 0))
    conn = Connection("127.0.0.1", engine.getsockname()[1])
    try:
        conn.send("/sa/ping", conn.reply_port)
        _, client = engine.recvfrom(65536)
        pong = OscMessageBuilder("/sa/pong")
        pong.add_arg("0.1.0")
        for datagram in (b"\x00\x01garbage", b"/sa/pong\x00", pong.build().dgram):
            engine.sendto(datagram, client)
        assert conn.receive(5.0) == ("/sa/pong", ["0.1.0"])
        engine.sendto(b"noise", client)
        assert conn.receive(0.2) is None  # only noise before the timeout: no reply
    finally:
        conn.close()
        engine.close()


def test_a_second_ctrl_c_while_the_cancel_is_awaited_ends_without_a_traceback(
    tmp_path: Path,
) -> None:
    """An engine that accepts the job but never answers the cancel: the user presses Ctrl-C
    again and gets the cancelled exit code and a result, not a Python traceback."""
    from pythonosc.osc_message import OscMessage
    from pythonosc.osc_message_builder import OscMessageBuilder

    engine = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    engine.bind(("127.0.0.1", 0))
    engine.settimeout(20.0)
    result = tmp_path / "result.json"
    process = subprocess.Popen(
        ["sa-client", "--port", str(engine.getsockname()[1]), "--job-id", "twice",
         "--result-file", str(result), "--progress-file", str(tmp_path / "progress"),
         "generate", "wind", "--out-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        _, client = engine.recvfrom(65536)  # the job
        for address, values in (("/sa/accepted", ("twice", 0)),
                                ("/sa/progress", ("twice", 0.25, "plan"))):
            message = OscMessageBuilder(address)
            for value in values:
                message.add_arg(value)
            engine.sendto(message.build().dgram, client)
        for _ in range(400):  # the client follows the job once it has written the progress
            if (tmp_path / "progress").exists():
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        assert OscMessage(engine.recvfrom(65536)[0]).address == "/sa/cancel"  # never answered
        process.send_signal(signal.SIGINT)
        assert process.wait(20.0) == 4
        stderr = process.stderr.read()
    finally:
        process.kill()
        engine.close()
    assert "Traceback" not in stderr, stderr
    assert json.loads(result.read_text())["code"] == "cancelled"
