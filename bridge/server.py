"""The UDP side of sa-engine: datagrams in, requests validated and queued, replies out.

Handlers run inside the asyncio event loop, so they only decode, validate and enqueue (a header
read of the input file is the slowest thing they do). python-osc parses the packets; the
datagram protocol here replaces python-osc's dispatcher because that one drops unparsable
packets silently and sleeps inside the event loop for bundles time-tagged in the future.

Two rules keep one datagram from turning into many: replies (what only an engine sends) are
never answered and nothing is ever sent to the engine's own address, so no engine loops with
itself or with another one; and at most MAX_MESSAGES_PER_DATAGRAM messages of a bundle are
handled.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from pythonosc.osc_message import OscMessage
from pythonosc.osc_packet import OscPacket
from semanticaudio.bridge import replies, validation
from semanticaudio.bridge.job_settings import resolve_edit, resolve_generate
from semanticaudio.bridge.jobs import Address, CancelOutcome, Job, JobQueue
from semanticaudio.bridge.presets import PresetLibrary
from semanticaudio.bridge.preview import Previewer
from semanticaudio.bridge.protocol import (
    PREVIEW_JOB_ID,
    REPLIES,
    REQUESTS,
    CancelRequest,
    EditRequest,
    ErrorCode,
    GenerateRequest,
    PingRequest,
    PresetsRequest,
    PreviewRequest,
    ProtocolError,
    Request,
    StatusRequest,
    decode_request,
    salvage_job_id,
    salvage_reply_port,
)

log = logging.getLogger(__name__)
GARBAGE_LOG_INTERVAL_S = 5.0  # a flood of garbage logs one line per interval, with a count
# Messages handled per datagram: a bundle of small requests must not ask for a flood of replies
# (1000 /sa/presets fit in one 24 KB datagram and would be answered with 2.4 MB).
MAX_MESSAGES_PER_DATAGRAM = 16
# Addresses that only an engine sends. Answering one (if only with "unknown address") would let
# two engines, or an engine whose reply_port is its own port, answer each other forever.
# /sa/status and /sa/presets are requests as well, and handled as such.
REPLY_ONLY_ADDRESSES = frozenset(REPLIES) - frozenset(REQUESTS)


class LoopReplySender:
    """Sends replies from the server's own socket; safe to call from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._transport: asyncio.DatagramTransport | None = None
        self._own_address: Address | None = None
        self.dropped_to_self = 0

    def attach(self, transport: asyncio.DatagramTransport) -> None:
        self._transport = transport
        host, port = transport.get_extra_info("sockname")[:2]
        self._own_address = (str(host), int(port))

    def send(self, address: Address, reply: replies.Reply) -> None:
        data = reply.encode()
        if threading.get_ident() == self._loop_thread:
            self._sendto(data, address)  # in the loop: now, so `accepted` precedes `progress`
            return
        try:
            self._loop.call_soon_threadsafe(self._sendto, data, address)
        except RuntimeError:  # the loop is closed: sa-engine is exiting
            log.warning("reply %s to %s dropped: the server has stopped", reply.address, address)

    def _sendto(self, data: bytes, address: Address) -> None:
        if self._transport is None or self._transport.is_closing():
            log.warning("reply to %s dropped: the socket is closed", address)
            return
        if self._own_address is not None and is_own_address(address, self._own_address):
            # it would come back as a datagram to handle (a loop, if it were ever answered)
            self.dropped_to_self += 1
            level = logging.WARNING if self.dropped_to_self == 1 else logging.DEBUG
            log.log(level, "reply to %s:%s dropped: that is sa-engine's own address (a request "
                    "whose reply_port is the engine's port); %d dropped so far",
                    address[0], address[1], self.dropped_to_self)
            return
        self._transport.sendto(data, address)


def is_own_address(address: Address, own: Address) -> bool:
    """Whether a datagram sent to `address` reaches the socket bound to `own` (host, port)."""
    host, port = address
    own_host, own_port = own
    if port != own_port:
        return False
    try:
        target, bound = _plain_ip(host), _plain_ip(own_host)
    except ValueError:  # not an IP address: compare the names
        return host == own_host
    if target == bound:
        return True
    # bound to every interface (0.0.0.0, ::): any address of this machine reaches it
    return bound.is_unspecified and (target.is_loopback or target.is_unspecified
                                     or _is_local_ip(target))


def _plain_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The IP address `host` names; an IPv4-mapped IPv6 address as the IPv4 one."""
    ip = ipaddress.ip_address(host)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _is_local_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether `ip` is one of this machine's addresses (only those can be bound)."""
    family = socket.AF_INET if ip.version == 4 else socket.AF_INET6
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((str(ip), 0))
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class EngineInfo:
    """What /sa/pong reports."""

    model_name: str
    device: str


class GarbageLog:
    """Logs dropped datagrams, at most one line per interval (the rest are counted)."""

    def __init__(self, interval_s: float = GARBAGE_LOG_INTERVAL_S) -> None:
        self.interval_s = interval_s
        self.dropped = 0
        self._last_logged: float | None = None
        self._unlogged = 0

    def drop(self, sender: Address, data: bytes, why: str) -> None:
        self.dropped += 1
        self._unlogged += 1
        now = time.monotonic()
        if self._last_logged is None or now - self._last_logged >= self.interval_s:
            log.warning("dropped %d bytes from %s:%s (%s): %r; %d dropped since last notice",
                        len(data), sender[0], sender[1], why, data[:32], self._unlogged)
            self._last_logged, self._unlogged = now, 0


class RequestHandler:
    """Decodes one datagram at a time and acts on each request in it."""

    def __init__(self, queue: JobQueue, sink: Any, limits: validation.Limits, info: EngineInfo,
                 presets: PresetLibrary | None, previewer: Previewer | None) -> None:
        self.queue = queue
        self.sink = sink
        self.limits = limits
        self.info = info
        self.presets = presets
        self.previewer = previewer
        self.garbage = GarbageLog()
        self.cut_bundles = GarbageLog()

    def handle_datagram(self, data: bytes, sender: Address) -> None:
        """Parse a packet (message or bundle; time tags are ignored) and handle each message,
        at most MAX_MESSAGES_PER_DATAGRAM of them."""
        try:
            messages = [timed.message for timed in OscPacket(data).messages]
        except Exception as exc:  # python-osc raises ParseError, but garbage may trip others
            self.garbage.drop(sender, data, f"not OSC: {exc}")
            return
        for message in messages[:MAX_MESSAGES_PER_DATAGRAM]:
            self.handle_message(message.address, list(message.params), sender)
        if len(messages) > MAX_MESSAGES_PER_DATAGRAM:
            self._refuse_the_rest(messages, data, sender)

    def _refuse_the_rest(self, messages: list[OscMessage], data: bytes, sender: Address) -> None:
        """A single /sa/error for all the messages past the limit, sent where the first ignored
        request's replies would go; one (rate-limited) log line."""
        ignored = len(messages) - MAX_MESSAGES_PER_DATAGRAM
        why = (f"{len(messages)} messages in one datagram; sa-engine handles at most "
               f"{MAX_MESSAGES_PER_DATAGRAM} per datagram: the first {MAX_MESSAGES_PER_DATAGRAM} "
               f"were handled, the other {ignored} ignored; send them in separate datagrams")
        self.cut_bundles.drop(sender, data, why)
        requests = [m for m in messages[MAX_MESSAGES_PER_DATAGRAM:]
                    if m.address not in REPLY_ONLY_ADDRESSES]
        if requests:
            first = requests[0]
            target = _reply_target(first.address, list(first.params), sender)
            self.sink.send(target, replies.error("", ErrorCode.BAD_REQUEST, why))

    def handle_message(self, address: str, args: list[Any], sender: Address) -> None:
        """Decode and act; any refusal is answered with /sa/error, never raised. Replies are
        ignored (see REPLY_ONLY_ADDRESSES)."""
        if address in REPLY_ONLY_ADDRESSES:
            log.debug("ignored %s from %s:%s: replies are never answered", address, *sender)
            return
        target = _reply_target(address, args, sender)
        try:
            self._dispatch(decode_request(address, args), sender)
        except ProtocolError as exc:
            log.info("refused %s from %s: %s %s", address, sender, exc.code, exc.message)
            job_id = _error_job_id(address, args, exc.job_id)
            self.sink.send(target, replies.error(job_id, exc.code, exc.message))
        except Exception as exc:  # a bug here must not take the daemon down
            log.exception("handling %s from %s failed", address, sender)
            message = f"sa-engine failed on {address}: {type(exc).__name__}: {exc}"
            job_id = _error_job_id(address, args)
            self.sink.send(target, replies.error(job_id, ErrorCode.INTERNAL_ERROR, message))

    def _dispatch(self, request: Request, sender: Address) -> None:
        reply_to = (sender[0], request.reply_port)
        if isinstance(request, GenerateRequest | EditRequest):
            self._submit(request, reply_to)
        elif isinstance(request, CancelRequest):
            self._cancel(request, reply_to)
        elif isinstance(request, PingRequest):
            self.sink.send(reply_to, replies.pong(self.info.model_name, self.info.device))
        elif isinstance(request, StatusRequest):
            snap = self.queue.snapshot()
            reply = replies.status(snap.queued_ids, snap.running_id, snap.fraction, snap.stage)
            self.sink.send(reply_to, reply)
        elif isinstance(request, PresetsRequest):
            summaries = self.presets.summaries() if self.presets is not None else []
            self.sink.send(reply_to, replies.presets(summaries))
        elif isinstance(request, PreviewRequest):
            self._preview(request, reply_to)

    def _submit(self, request: GenerateRequest | EditRequest, reply_to: Address) -> None:
        try:
            # The preset is resolved here too (the worker does it again), so that an unknown
            # preset or one that cannot fill its prompts is refused before it is queued.
            if isinstance(request, GenerateRequest):
                validation.check_generate(request, self.limits)
                resolve_generate(request, self.presets)
            else:
                validation.check_edit(request, self.limits)
                resolve_edit(request, self.presets, self.limits.flowedit)
            position = self.queue.submit(Job(request, reply_to))
        except ProtocolError as exc:
            exc.job_id = request.job_id
            raise
        log.info("accepted %s at position %d", request.job_id, position)
        self.sink.send(reply_to, replies.accepted(request.job_id, position))

    def _cancel(self, request: CancelRequest, reply_to: Address) -> None:
        outcome, job = self.queue.cancel(request.job_id, watcher=reply_to)
        if outcome is CancelOutcome.UNKNOWN or job is None:
            raise ProtocolError(
                ErrorCode.UNKNOWN_JOB,
                f"no queued or running job has id {request.job_id!r}", request.job_id,
            )
        log.info("cancel %s: %s", request.job_id, outcome.value)
        if outcome is CancelOutcome.REMOVED:
            reply = replies.error(job.job_id, ErrorCode.CANCELLED, "cancelled before it started")
            for address in job.final_addresses():
                self.sink.send(address, reply)
        # SIGNALLED: the worker answers once the pipeline stops at its next step.

    def _preview(self, request: PreviewRequest, reply_to: Address) -> None:
        if self.previewer is None:
            raise ProtocolError(ErrorCode.NO_AUDIO_DEVICE, "preview is disabled in this sa-engine",
                                PREVIEW_JOB_ID)
        self.previewer.request(request.path, reply_to)  # errors: job id set by handle_message


def _reply_target(address: str, args: list[Any], sender: Address) -> Address:
    """Where every reply to a request goes: (its source host, its reply_port), or the source
    address itself when the reply_port cannot be read."""
    port = salvage_reply_port(address, args)
    return (sender[0], port) if port is not None else sender


def _error_job_id(address: str, args: list[Any], job_id: str = "") -> str:
    """The job id of an /sa/error answering this request: "preview" for every /sa/preview
    error, else the request's job_id where it can be read, else ""."""
    if address == "/sa/preview":
        return PREVIEW_JOB_ID
    return job_id or salvage_job_id(address, args)


class OscDatagramProtocol(asyncio.DatagramProtocol):
    """asyncio glue: every datagram goes to the RequestHandler; nothing it does can escape."""

    def __init__(self, handler: RequestHandler) -> None:
        self.handler = handler

    def datagram_received(self, data: bytes, addr: Any) -> None:
        sender = (str(addr[0]), int(addr[1]))
        try:
            self.handler.handle_datagram(data, sender)
        except Exception:
            log.exception("datagram from %s could not be handled", sender)

    def error_received(self, exc: Exception) -> None:
        # e.g. ICMP "port unreachable" after a reply to a client that has gone away
        log.debug("socket error: %s", exc)
