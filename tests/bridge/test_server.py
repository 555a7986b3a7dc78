"""bridge/server.py over real UDP sockets on loopback, in this process.

RequestHandler, LoopReplySender and OscDatagramProtocol run on their own event loop thread, as
in `sa-engine`, with a real JobQueue and no model (no job runs here; test_daemon.py drives the
real daemon). Covers replies that must never be answered (no loop through the engine's own port
or between two engines), where errors go, one job id for /sa/preview errors, and the limit on
messages per datagram.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder
from semanticaudio.bridge.jobs import JobQueue
from semanticaudio.bridge.protocol import REPLIES, REQUESTS
from semanticaudio.bridge.server import (
    MAX_MESSAGES_PER_DATAGRAM,
    EngineInfo,
    LoopReplySender,
    OscDatagramProtocol,
    RequestHandler,
    is_own_address,
)
from semanticaudio.bridge.validation import Limits

from tests.bridge.helpers import OscClient, tone, write_audio

QUIET_S = 0.5  # how long a client waits to be sure that nothing is coming


class CountingProtocol(OscDatagramProtocol):
    """The server's protocol, counting the datagrams it receives (a loop shows up here)."""

    def __init__(self, handler: RequestHandler) -> None:
        super().__init__(handler)
        self.received = 0

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.received += 1
        super().datagram_received(data, addr)


@dataclass
class Server:
    port: int
    protocol: CountingProtocol

    def client(self) -> OscClient:
        return OscClient(self.port)


@contextmanager
def serving(presets: Any = None, previewer: Any = None) -> Iterator[Server]:
    """A RequestHandler on 127.0.0.1:<free port>, served by its own event loop thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="test-server", daemon=True)
    thread.start()

    async def open_endpoint() -> tuple[asyncio.DatagramTransport, CountingProtocol]:
        sender = LoopReplySender(asyncio.get_running_loop())  # built on the loop's thread
        handler = RequestHandler(JobQueue(4), sender, Limits(), EngineInfo("tiny", "cpu"),
                                 presets, previewer)
        transport, protocol = await loop.create_datagram_endpoint(
            lambda: CountingProtocol(handler), local_addr=("127.0.0.1", 0)
        )
        sender.attach(transport)
        return transport, protocol

    transport, protocol = asyncio.run_coroutine_threadsafe(open_endpoint(), loop).result(10)
    try:
        yield Server(transport.get_extra_info("sockname")[1], protocol)
    finally:
        loop.call_soon_threadsafe(transport.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture
def server() -> Iterator[Server]:
    with serving() as running:
        yield running


@pytest.fixture
def client(server: Server) -> Iterator[OscClient]:
    osc = server.client()
    yield osc
    osc.close()


def settled_count(server: Server, wait_s: float = QUIET_S) -> int:
    """The datagrams received so far, once a further `wait_s` brought none."""
    before = -1
    while before != server.protocol.received:
        before = server.protocol.received
        time.sleep(wait_s)
        if before > 1000:
            break  # looping: no need to wait for it to end (it would not)
    return server.protocol.received


def message(address: str, *args: Any) -> OscMessage:
    builder = OscMessageBuilder(address=address)
    for value in args:
        builder.add_arg(value)
    return builder.build()


def bundle(messages: list[OscMessage]) -> bytes:
    builder = OscBundleBuilder(IMMEDIATELY)
    for item in messages:
        builder.add_content(item)
    return builder.build().dgram


# ------------------------------------------------------------------- replies are never answered

REPLY_EXAMPLES = {
    "/sa/pong": ("1", "tiny", "cpu"),
    "/sa/accepted": ("j1", 0),
    "/sa/progress": ("j1", 0.5, "plan"),
    "/sa/done": ("j1", "/tmp/a.wav"),
    "/sa/error": ("", "bad_request", "unknown address '/sa/pong'"),
}


def test_every_reply_only_address_has_an_example() -> None:
    assert set(REPLY_EXAMPLES) == set(REPLIES) - set(REQUESTS)


@pytest.mark.parametrize("address", sorted(REPLY_EXAMPLES))
def test_replies_are_ignored_without_an_answer(server: Server, client: OscClient,
                                               address: str) -> None:
    for args in (REPLY_EXAMPLES[address], (), (client.port,)):
        client.send(address, *args)
        assert client.recv(QUIET_S) is None, (address, args)
    assert client.ping()[0] == "1"


def test_a_ping_with_the_engines_own_port_as_reply_port_does_not_loop(
    server: Server, client: OscClient
) -> None:
    client.send("/sa/ping", server.port)  # the pong would go to the engine itself
    assert settled_count(server) <= 2  # the ping, and at most the pong (which is not answered)
    assert client.recv(QUIET_S) is None
    assert client.ping()[0] == "1"


def test_nothing_is_sent_to_the_engines_own_address(server: Server, client: OscClient) -> None:
    # /sa/status is a request and a reply: sent to itself, the reply would be refused as a
    # malformed request, and that /sa/error would go to the engine again.
    client.send("/sa/status", server.port)
    assert settled_count(server) == 1
    assert client.recv(QUIET_S) is None


@pytest.mark.parametrize(("address", "own", "expected"), [
    (("127.0.0.1", 9000), ("127.0.0.1", 9000), True),
    (("127.0.0.1", 9001), ("127.0.0.1", 9000), False),
    (("127.0.0.2", 9000), ("127.0.0.1", 9000), False),  # bound to another loopback address
    (("127.0.0.1", 9000), ("0.0.0.0", 9000), True),  # bound to every interface
    (("::ffff:127.0.0.1", 9000), ("0.0.0.0", 9000), True),
    (("::1", 9000), ("::", 9000), True),
    (("192.0.2.7", 9000), ("0.0.0.0", 9000), False),  # TEST-NET-1: never this machine's
])
def test_own_address(address: tuple[str, int], own: tuple[str, int], expected: bool) -> None:
    assert is_own_address(address, own) is expected


def test_two_engines_do_not_answer_each_others_replies(server: Server, client: OscClient) -> None:
    with serving() as other:
        # every reply goes to the other engine (same host, reply_port = its port)
        client.send("/sa/ping", other.port)  # → /sa/pong
        client.send("/sa/status", other.port)  # → /sa/status 0 "" 0.0 "idle"
        client.send("/sa/presets", other.port)  # → /sa/presets (no presets: no arguments)
        client.send("/sa/cancel", "ghost", other.port)  # → /sa/error ghost unknown_job
        client.send("/sa/ping", other.port, "extra")  # → /sa/error "" bad_request
        # The other engine ignores pong and error; /sa/status and /sa/presets are requests too,
        # so it refuses those two as malformed, to their source: one /sa/error each, which this
        # engine ignores. Then both are quiet.
        assert settled_count(server) == 5 + 2
        assert settled_count(other) == 5
        assert client.recv(QUIET_S) is None
        assert client.ping()[0] == "1"


# ------------------------------------------------------------------------------ where errors go


class BrokenPresets:
    """A preset library whose listing raises: an exception inside handling (a bug)."""

    def summaries(self) -> list[tuple[str, str, str]]:
        raise RuntimeError("the preset folder vanished")


class BrokenPreviewer:
    def request(self, path: str, reply_to: tuple[str, int]) -> None:
        raise OSError(36, "File name too long")


def test_internal_errors_go_to_the_reply_port() -> None:
    with serving(presets=BrokenPresets()) as server:
        sender, listener = server.client(), server.client()  # Max: [udpsend] + [udpreceive]
        try:
            sender.send("/sa/presets", listener.port)
            args = listener.wait_for(lambda a, p: a == "/sa/error", 5.0)[1]
            assert args[:2] == ["", "internal_error"]
            assert "/sa/presets" in args[2] and "the preset folder vanished" in args[2]
            assert sender.recv(QUIET_S) is None  # nothing to the source port
            assert sender.ping()[0] == "1"
        finally:
            sender.close()
            listener.close()


def test_every_preview_error_carries_the_preview_job_id() -> None:
    with serving(previewer=BrokenPreviewer()) as server:
        sender, listener = server.client(), server.client()
        try:
            sender.send("/sa/preview", listener.port, "/tmp/x.wav")
            args = listener.wait_for(lambda a, p: a == "/sa/error", 5.0)[1]
            assert args[:2] == ["preview", "internal_error"]
            assert "File name too long" in args[2]
            sender.send("/sa/preview", listener.port, 5)  # path of the wrong type
            args = listener.wait_for(lambda a, p: a == "/sa/error", 5.0)[1]
            assert args[:2] == ["preview", "bad_request"]
            assert "path must be str" in args[2]
            sender.send("/sa/preview", "no port", "/tmp/x.wav")  # unreadable reply_port
            args = sender.wait_for(lambda a, p: a == "/sa/error", 5.0)[1]
            assert args[:2] == ["preview", "bad_request"]
            assert listener.recv(QUIET_S) is None
        finally:
            sender.close()
            listener.close()


def test_preview_disabled_is_answered_to_the_reply_port(tmp_path: Path) -> None:
    wav = write_audio(tmp_path / "a.wav", tone(0.2, 8000), 8000)
    with serving(previewer=None) as server:
        sender, listener = server.client(), server.client()
        try:
            sender.send("/sa/preview", listener.port, str(wav))
            args = listener.wait_for(lambda a, p: a == "/sa/error", 5.0)[1]
            assert args[:2] == ["preview", "no_audio_device"]
            assert sender.recv(QUIET_S) is None
        finally:
            sender.close()
            listener.close()


# --------------------------------------------------------------------- messages per datagram


def replies_within(client: OscClient, wait_s: float = QUIET_S) -> list[tuple[str, list[Any]]]:
    got = []
    while (reply := client.recv(wait_s)) is not None:
        got.append(reply)
    return got


def test_a_bundle_up_to_the_limit_is_handled_in_full(server: Server, client: OscClient) -> None:
    pings = [message("/sa/ping", client.port)] * MAX_MESSAGES_PER_DATAGRAM
    client.send_raw(bundle(pings))
    got = replies_within(client)
    assert [address for address, _ in got] == ["/sa/pong"] * MAX_MESSAGES_PER_DATAGRAM


def test_a_bigger_bundle_is_cut_with_one_error(server: Server, client: OscClient) -> None:
    presets = [message("/sa/presets", client.port)] * 1000
    data = bundle(presets)
    assert len(data) < 65507  # one UDP datagram
    client.send_raw(data)
    got = replies_within(client)
    answered = [address for address, _ in got]
    assert answered.count("/sa/presets") == MAX_MESSAGES_PER_DATAGRAM
    (error,) = [args for address, args in got if address == "/sa/error"]
    assert error[:2] == ["", "bad_request"]
    assert "1000 messages" in error[2] and f"at most {MAX_MESSAGES_PER_DATAGRAM}" in error[2]
    assert len(got) == MAX_MESSAGES_PER_DATAGRAM + 1
    assert client.ping()[0] == "1"


def test_the_limit_and_the_unanswered_replies_are_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()
    assert f"**{MAX_MESSAGES_PER_DATAGRAM} messages per datagram**" in doc
    unanswered = doc.split("- Replies are never answered:", 1)[1].split("\n- ", 1)[0]
    for address in sorted(set(REPLIES) - set(REQUESTS)):
        assert f"`{address}`" in unanswered, address


class _Sink:
    def __init__(self) -> None:
        self.sent: list[tuple[Any, Any]] = []

    def send(self, address: Any, reply: Any) -> None:
        self.sent.append((address, reply))


def test_an_edit_template_is_checked_against_the_loaded_models_flowedit(tmp_path: Path) -> None:
    """A template naming n_max 60 alone fits a 100-step model: the daemon's accept-time check
    must merge it with that model's schedule (Limits.flowedit), not the engine's 50 steps."""
    from semanticaudio.bridge.presets import PresetLibrary
    from semanticaudio.bridge.protocol import decode_request
    from semanticaudio.engine.config import FlowEditConfig

    (tmp_path / "deep.toml").write_text(
        'schema_version = 1\nname = "deep"\ndescription = "x"\nkind = "edit"\n'
        '[prompts]\ntarget = "{target}"\n[flowedit]\nn_max = 60\n', encoding="utf-8")
    source = write_audio(tmp_path / "in.wav", tone(1.0, 16000), 16000)
    request = decode_request("/sa/edit", ["e1", 9000, str(source), 0.0, 1.0, "a hum", "rain",
                                          str(tmp_path), "preset=deep"])
    sink = _Sink()
    model = FlowEditConfig(num_steps=100, n_max=70, n_min=20)
    handler = RequestHandler(JobQueue(4), sink, Limits(flowedit=model), EngineInfo("t", "cpu"),
                             PresetLibrary.load(tmp_path), None)
    handler._submit(request, ("127.0.0.1", 9000))
    assert [reply.address for _, reply in sink.sent] == ["/sa/accepted"]
