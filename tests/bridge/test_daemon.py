"""sa-engine over real UDP sockets: the tiny model in a subprocess, python-osc clients on loopback.

Covers the robustness list of the bridge issue (after every bad input /sa/ping still answers),
replies to reply_port, presets, status, cancel, preview, the 50-job load test and a clean stop.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import soundfile
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder
from semanticaudio.bridge import daemon, replies
from semanticaudio.bridge.daemon import main as engine_main
from semanticaudio.bridge.jobs import MAX_QUEUE_LIMIT, Job, JobQueue
from semanticaudio.bridge.protocol import decode_request

from tests.bridge.helpers import Engine, OscClient, start_engine, tone, write_audio

FAST = "steps=2;synth_steps=2"


def error_of(osc: OscClient, job_id: str = "") -> list:
    return osc.wait_for(lambda a, p: a == "/sa/error" and p[0] == job_id, 10.0)[1]


@pytest.fixture(scope="module")
def source_wav(engine: Engine) -> Path:
    return write_audio(engine.out_dir.parent / "source.wav", tone(2.0, 22050), 22050)


def test_ping_reports_protocol_model_and_device(osc: OscClient) -> None:
    assert osc.ping() == ["1", "tiny-semanticaudio", "cpu"]


def bad_requests(port: int, out_dir: str, wav: str) -> list[tuple[str, tuple, str, str, str]]:
    """(address, args, job id of the reply, expected code, words in the message)."""
    return [
        ("/sa/nope", (port,), "", "bad_request", "unknown address"),
        ("/sa/generate", ("j1",), "j1", "bad_request", "expected 6 arguments"),
        ("/sa/generate", ("j2", "port", "rain", 1.0, out_dir, ""), "j2", "bad_request",
         "reply_port must be int"),
        ("/sa/generate", ("j3", port, "rain", math.nan, out_dir, ""), "j3", "bad_request",
         "finite"),
        ("/sa/generate", ("j4", port, "rain", 1e30, out_dir, ""), "j4", "too_long",
         "longer than"),
        ("/sa/generate", ("j5", port, "rain", 1.0, "relative/dir", ""), "j5", "bad_path",
         "absolute"),
        ("/sa/generate", ("j6", port, "rain", 1.0, out_dir + "/missing", ""), "j6", "bad_path",
         "does not exist"),
        ("/sa/generate", ("j7", port, "rain", 1.0, out_dir, "bogus=1"), "j7", "bad_option",
         "accepted keys"),
        ("/sa/generate", ("j8", port, "rain", 1.0, out_dir, "preset=nope"), "j8", "bad_option",
         "unknown preset"),
        ("/sa/edit", ("e1", port, out_dir + "/none.wav", 0.0, 1.0, "", "x", out_dir, ""), "e1",
         "bad_path", "does not exist"),
        ("/sa/edit", ("e2", port, out_dir, 0.0, 1.0, "", "x", out_dir, ""), "e2", "bad_path",
         "is a directory"),
        ("/sa/edit", ("e3", port, wav, 0.5, 0.0, "", "x", out_dir, ""), "e3", "bad_region",
         "length_s"),
        ("/sa/edit", ("e4", port, wav, 1.8, 1.0, "", "x", out_dir, ""), "e4", "bad_region",
         "not inside"),
        ("/sa/edit", ("e5", port, wav, 0.0, 1.0, "", "x", out_dir, "preset=telephone"), "e5",
         "bad_option", "generate preset"),
        ("/sa/edit", ("e6", port, wav, 0.0, 1.0, "", "x", out_dir, "preset=weather-change"),
         "e6", "bad_option", "needs 'source'"),
        ("/sa/cancel", ("ghost", port), "ghost", "unknown_job", "ghost"),
        ("/sa/preview", (port, "not/absolute.wav"), "preview", "bad_path", "absolute"),
    ]


def test_every_bad_request_is_answered_and_ping_still_works(
    osc: OscClient, engine: Engine, source_wav: Path
) -> None:
    cases = bad_requests(osc.port, str(engine.out_dir), str(source_wav))
    for address, args, job_id, code, words in cases:
        osc.send(address, *args)
        reply = error_of(osc, job_id)
        assert reply[1] == code, (address, args, reply)
        assert words in reply[2], (address, reply)
        assert osc.ping()[0] == "1"
    assert list(engine.out_dir.iterdir()) == []  # nothing was queued or written


def test_non_osc_datagrams_are_dropped_and_logged(osc: OscClient, engine: Engine) -> None:
    for data in (b"", b"\x00", os.urandom(7), os.urandom(512), b"/sa/ping\x00\x00\x00\x00,i\x00",
                 b"#bundle\x00" + b"\xff" * 12):
        osc.send_raw(data)
    assert osc.ping()[0] == "1"
    assert "dropped" in engine.log()


def test_wrong_type_tags_and_booleans_are_refused(osc: OscClient) -> None:
    builder = OscMessageBuilder("/sa/generate")
    for value, tag in [("j9", "s"), (osc.port, "i"), ("rain", "s"), (True, "T"), ("/", "s"),
                       ("", "s")]:
        builder.add_arg(value, tag)
    osc.send_raw(builder.build().dgram)
    assert error_of(osc, "j9")[2].startswith("/sa/generate: duration_s must be float, got bool")


def test_a_future_bundle_does_not_stall_the_server(osc: OscClient) -> None:
    bundle = OscBundleBuilder(timestamp=time.time() + 86400)  # tomorrow; time tags are ignored
    ping = OscMessageBuilder("/sa/ping")
    ping.add_arg(osc.port)
    bundle.add_content(ping.build())
    osc.send_raw(bundle.build().dgram)
    assert osc.wait_for(lambda a, p: a == "/sa/pong", 5.0)


def test_errors_go_to_reply_port_or_else_the_source_port(osc: OscClient, engine: Engine) -> None:
    listener = OscClient(engine.port)
    try:
        osc.send("/sa/generate", "k1", listener.port, "rain", 1.0, "relative", "")
        assert listener.wait_for(lambda a, p: a == "/sa/error", 5.0)[1][:2] == ["k1", "bad_path"]
        osc.send("/sa/generate", "k2", "not a port")
        assert error_of(osc, "k2")[1] == "bad_request"  # back to where it came from
    finally:
        listener.close()


def test_generate_edit_status_and_presets(osc: OscClient, engine: Engine, source_wav: Path):
    out = str(engine.out_dir / "jobs")
    Path(out).mkdir(exist_ok=True)
    osc.send("/sa/generate", "g1", osc.port, "rain", 0.5, out, f"{FAST};variations=2")
    assert osc.wait_for(lambda a, p: a == "/sa/accepted")[1][0] == "g1"
    address, args = osc.final("g1")
    assert address == "/sa/done"
    assert len(args) == 3
    osc.send("/sa/edit", "e1", osc.port, str(source_wav), 0.5, 1.0, "", "thunder", out, FAST)
    address, args = osc.final("e1")
    info = soundfile.info(args[1])
    assert (address, info.samplerate, info.channels, info.frames) == ("/sa/done", 22050, 2, 22050)
    osc.send("/sa/status", osc.port)
    assert osc.wait_for(lambda a, p: a == "/sa/status")[1][:4] == [0, "", 0.0, "idle"]
    osc.send("/sa/presets", osc.port)
    flat = osc.wait_for(lambda a, p: a == "/sa/presets")[1]
    names = flat[0::3]
    assert {"weather-change", "telephone", "broken-plugin"} <= set(names)
    assert set(flat[1::3]) <= {"edit", "generate"}


def test_a_broken_plugin_is_an_error_reply(osc: OscClient, engine: Engine) -> None:
    osc.send("/sa/generate", "p1", osc.port, "rain", 0.5, str(engine.out_dir),
             "preset=broken-plugin")
    address, args = osc.final("p1")
    assert (address, args[1]) == ("/sa/error", "plugin_error")
    assert osc.ping()[0] == "1"


def test_cancel_queued_and_running_jobs(osc: OscClient, engine: Engine) -> None:
    out = engine.out_dir / "cancel"
    out.mkdir()
    slow = "steps=1000;synth_steps=1000"
    osc.send("/sa/generate", "run1", osc.port, "wind", 10.0, str(out), slow)
    osc.send("/sa/generate", "wait1", osc.port, "wind", 0.5, str(out), FAST)
    osc.wait_for(lambda a, p: a == "/sa/progress" and p[0] == "run1")
    osc.send("/sa/status", osc.port)
    status = osc.wait_for(lambda a, p: a == "/sa/status")[1]
    assert (status[0], status[1], status[4:]) == (1, "run1", ["wait1"])
    osc.send("/sa/cancel", "wait1", osc.port)
    assert osc.final("wait1")[1][1:] == ["cancelled", "cancelled before it started"]
    osc.send("/sa/cancel", "run1", osc.port)
    address, args = osc.final("run1", 10.0)
    assert (address, args[1]) == ("/sa/error", "cancelled")
    assert list(out.iterdir()) == []
    assert osc.ping()[0] == "1"


def test_preview_plays_through_the_null_device(osc: OscClient, source_wav: Path) -> None:
    osc.send("/sa/preview", osc.port, str(source_wav))
    address, args = osc.wait_for(lambda a, p: p[:1] == ["preview"], 20.0)
    assert (address, args) == ("/sa/done", ["preview", str(source_wav)])


def test_previews_replaced_in_one_bundle_are_each_answered(engine: Engine,
                                                           source_wav: Path) -> None:
    clients = [engine.client() for _ in range(3)]
    try:
        bundle = OscBundleBuilder(IMMEDIATELY)
        for client in clients:
            preview = OscMessageBuilder("/sa/preview")
            preview.add_arg(client.port)
            preview.add_arg(str(source_wav))
            bundle.add_content(preview.build())
        clients[0].send_raw(bundle.build().dgram)
        answers = [c.wait_for(lambda a, p: p[:1] == ["preview"], 20.0) for c in clients]
        # The null device plays in no time: an earlier preview is either replaced (cancelled)
        # or already over (done) when the next one arrives; the last one always plays.
        done = ("/sa/done", ["preview", str(source_wav)])
        for address, args in answers[:2]:
            assert (address, args) == done or args[:2] == ["preview", "cancelled"], args
        assert answers[2] == done
        assert [c.recv(0.5) for c in clients] == [None] * 3  # exactly one reply each
    finally:
        for client in clients:
            client.close()


def test_a_ping_to_the_engines_own_port_does_not_loop(osc: OscClient, engine: Engine) -> None:
    osc.send("/sa/ping", engine.port)  # its pong would go to the engine itself
    time.sleep(0.5)
    size = engine.log_path.stat().st_size
    time.sleep(0.5)
    assert engine.log_path.stat().st_size == size  # a loop logs megabytes a second
    assert osc.recv(0.2) is None
    assert osc.ping()[0] == "1"


def client_load(engine: Engine, index: int, out: Path, results: dict) -> None:
    osc = engine.client()
    try:
        sent = [f"c{index}-j{k}" for k in range(10)]
        for job_id in sent:
            osc.send("/sa/generate", job_id, osc.port, f"load {index}", 0.5, str(out), FAST)
        finals = []
        while len(finals) < len(sent):
            address, args = osc.wait_for(lambda a, p: a in ("/sa/done", "/sa/error"), 60.0)
            finals.append((args[0], address, args[1:]))
        results[index] = (sent, finals)
    finally:
        osc.close()


@pytest.mark.slow
def test_load_50_jobs_from_5_clients(engine: Engine) -> None:
    out = engine.out_dir / "load"
    out.mkdir()
    results: dict[int, tuple] = {}
    threads = [threading.Thread(target=client_load, args=(engine, i, out, results))
               for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90.0)
    assert sorted(results) == list(range(5))
    paths = []
    for sent, finals in results.values():
        assert [job_id for job_id, _, _ in finals] == sent  # each client's order is kept
        assert all(address == "/sa/done" for _, address, _ in finals)
        paths += [args[0] for _, _, args in finals]
    assert len(set(paths)) == 50
    for path in paths:
        info = soundfile.info(path)
        assert (info.samplerate, info.channels, info.frames) == (16000, 1, 8000)
    # every file is a finished one: no temporaries left
    assert sorted(p.name for p in out.iterdir()) == sorted(Path(p).name for p in paths)


def test_remote_host_needs_allow_remote(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        engine_main(["--host", "0.0.0.0", "--model", "/nowhere"])
    assert caught.value.code == 2
    assert "--allow-remote" in capsys.readouterr().err


def test_max_queue_is_capped_so_that_status_fits_one_datagram(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """/sa/status lists every queued id: past the cap, with 64-character ids, its datagram
    would pass 64 KB and the socket would refuse it, so the client asking would hear nothing."""
    ids = [f"{k:04d}".ljust(64, "x") for k in range(MAX_QUEUE_LIMIT)]
    full = replies.status(ids, "r" * 64, 0.5, "synthesize").encode()
    assert len(full) <= 65507  # the largest UDP payload over IPv4
    with pytest.raises(SystemExit) as caught:
        engine_main(["--max-queue", str(MAX_QUEUE_LIMIT + 1), "--model", "/nowhere"])
    assert caught.value.code == 2
    assert f"--max-queue must be in 1..{MAX_QUEUE_LIMIT}" in capsys.readouterr().err


class StuckWorker:
    """A worker whose job never reaches a sampling step again (a plug-in that hangs)."""

    def join(self, timeout_s: float | None = None) -> bool:
        return False


def test_a_job_that_outlives_the_shutdown_wait_is_still_answered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(daemon, "SHUTDOWN_WAIT_S", 0.01)
    queue = JobQueue()
    for job_id in ("stuck", "queued"):
        request = decode_request("/sa/generate", [job_id, 9001, "rain", 1.0, "/tmp", ""])
        queue.submit(Job(request, ("127.0.0.1", 9001)))
    queue.take()
    queue.cancel("stuck", ("127.0.0.1", 9002))  # a watcher hears the end too
    sent: list[tuple[tuple[str, int], str, tuple[Any, ...]]] = []

    class Sink:
        def send(self, address: tuple[str, int], reply: Any) -> None:
            sent.append((address, reply.address, reply.args))

    asyncio.run(daemon._shutdown(queue, Sink(), StuckWorker(), None))
    finals = [(address, args[:2]) for address, osc_address, args in sent
              if osc_address == "/sa/error"]
    assert finals == [(("127.0.0.1", 9001), ("queued", "cancelled")),
                      (("127.0.0.1", 9001), ("stuck", "cancelled")),
                      (("127.0.0.1", 9002), ("stuck", "cancelled"))]


def test_a_taken_port_is_reported(tiny_checkpoint_dir: Path, engine: Engine,
                                  caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        status = engine_main(["--port", str(port), "--model", str(tiny_checkpoint_dir),
                              "--device", "cpu", "--no-preview"])
    assert status == 1
    assert f"cannot listen on 127.0.0.1:{port}" in caplog.text


@pytest.mark.slow  # starts its own engine
def test_sigterm_stops_cleanly_cancelling_every_job(tiny_checkpoint_dir: Path, tmp_path: Path):
    """(Ctrl-C, SIGINT, is how the session's engine fixture stops; it checks the same.)"""
    engine = start_engine(tiny_checkpoint_dir, tmp_path, "--no-preview")
    osc = engine.client()
    try:
        slow = "steps=1000;synth_steps=1000"
        osc.send("/sa/generate", "long", osc.port, "wind", 10.0, str(engine.out_dir), slow)
        osc.send("/sa/generate", "next", osc.port, "wind", 0.5, str(engine.out_dir), FAST)
        osc.wait_for(lambda a, p: a == "/sa/progress" and p[0] == "long")
        assert engine.stop(signal.SIGTERM) == 0
        finals = {}
        while len(finals) < 2:  # the queued job is answered first, then the running one
            address, args = osc.wait_for(lambda a, p: a in ("/sa/done", "/sa/error"), 10.0)
            finals[args[0]] = (address, args[1:])
        cancelled = ("/sa/error", ["cancelled", "sa-engine is shutting down"])
        assert finals == {"long": cancelled, "next": cancelled}
    finally:
        osc.close()
        engine.stop(signal.SIGKILL)
    assert list(engine.out_dir.iterdir()) == []  # no file, no half-written temporary
    assert "stopped" in engine.log()


def test_osc_int64_and_double_are_accepted(osc: OscClient, engine: Engine) -> None:
    """Other OSC senders may type numbers as h (int64) and d (double)."""
    builder = OscMessageBuilder("/sa/generate")
    for value, tag in [("d1", "s"), (osc.port, "h"), ("rain", "s"), (0.5, "d"),
                       (str(engine.out_dir), "s"), (FAST, "s")]:
        builder.add_arg(value, tag)
    osc.send_raw(builder.build().dgram)
    address, args = osc.final("d1")
    assert address == "/sa/done"
    Path(args[1]).unlink()
