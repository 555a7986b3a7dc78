"""`sa-engine`: load the model once, then serve OSC requests until Ctrl-C or SIGTERM.

Start-up order: pipeline (loaded and warmed up), presets, socket, worker, previewer. Shutdown
runs the other way round in `finally`: stop taking jobs, cancel the running one (it stops at
its next sampling step and its requester gets `/sa/error <id> cancelled`), answer every queued
job the same way, stop the previewer, join the worker, close the socket.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from semanticaudio.bridge import replies
from semanticaudio.bridge.jobs import MAX_QUEUE_LIMIT, JobQueue
from semanticaudio.bridge.presets import PresetLibrary
from semanticaudio.bridge.preview import AudioDeviceError, Previewer, list_devices
from semanticaudio.bridge.protocol import DEFAULT_HOST, DEFAULT_PORT, ErrorCode
from semanticaudio.bridge.server import (
    EngineInfo,
    LoopReplySender,
    OscDatagramProtocol,
    RequestHandler,
)
from semanticaudio.bridge.validation import Limits
from semanticaudio.bridge.worker import Worker

log = logging.getLogger("sa-engine")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
SHUTDOWN_WAIT_S = 60.0  # how long the running job may take to reach its next sampling step
SHUTDOWN_REASON = "sa-engine is shutting down"


@dataclass(frozen=True)
class DaemonConfig:
    """Everything `sa-engine` was told on its command line."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    model_dir: Path | None = None
    device: str = "auto"
    dtype: str = "float32"
    max_queue: int = 128
    presets_dir: Path | None = None
    preview: bool = True
    fast: bool = False  # the optimised CUDA path (engine/accel); the plain path on the CPU


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sa-engine",
        description="SemanticAudio engine: serves text-to-audio generation and editing over OSC.",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help="UDP port to listen on (0 picks a free one and logs it)")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help="address to listen on; anything but loopback needs --allow-remote")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow --host to be a non-loopback address (anyone who reaches the "
                             "port can read audio files and write into folders as you)")
    parser.add_argument("--model", type=Path, default=None, help="checkpoint folder")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--dtype", default="float32", choices=("float32", "bfloat16", "float16"))
    parser.add_argument("--max-queue", type=int, default=128,
                        help=f"jobs that may wait at once (at most {MAX_QUEUE_LIMIT})")
    parser.add_argument("--presets", type=Path, default=None,
                        help="user preset folder (default: the platform's config folder)")
    parser.add_argument("--no-preview", action="store_true", help="refuse /sa/preview")
    parser.add_argument("--fast", action="store_true",
                        help="on CUDA: bf16, CUDA graphs and torch.compile (docs/speed.md)")
    parser.add_argument("--list-devices", action="store_true",
                        help="print the audio devices /sa/preview can use, then exit")
    parser.add_argument("--log-level", default="INFO",
                        choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return parser


def config_from_args(args: argparse.Namespace) -> DaemonConfig:
    """Check the arguments together; ValueError says what is wrong."""
    if args.host not in LOOPBACK_HOSTS and not args.allow_remote:
        raise ValueError(
            f"--host {args.host} would accept requests from other machines; add --allow-remote "
            f"to mean it, or use one of {', '.join(LOOPBACK_HOSTS)}"
        )
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be in 0..65535, got {args.port}")
    if not 1 <= args.max_queue <= MAX_QUEUE_LIMIT:
        raise ValueError(
            f"--max-queue must be in 1..{MAX_QUEUE_LIMIT}, got {args.max_queue} (/sa/status "
            "lists every waiting job and must fit in one datagram)"
        )
    return DaemonConfig(
        host=args.host, port=args.port, model_dir=args.model, device=args.device,
        dtype=args.dtype, max_queue=args.max_queue, presets_dir=args.presets,
        preview=not args.no_preview, fast=args.fast,
    )


def load_engine(config: DaemonConfig) -> Any:
    """Load and warm up the pipeline (the only place the daemon imports the engine)."""
    from semanticaudio.engine.accel import load_fast_pipeline
    from semanticaudio.engine.pipeline import load_pipeline

    start = time.perf_counter()
    load = load_fast_pipeline if config.fast else load_pipeline
    pipeline = load(config.model_dir, device=config.device, dtype=config.dtype)
    loaded = time.perf_counter()
    for timing in pipeline.warmup() or ():  # the fast path reports each request shape
        log.info("warm-up: %s", timing)
    log.info("loaded model %r from %s on %s (%s, %d Hz) in %.1f s, warm-up %.1f s",
             pipeline.model_name, config.model_dir or "the default location", pipeline.device,
             config.dtype, pipeline.sample_rate_hz, loaded - start,
             time.perf_counter() - loaded)
    return pipeline


def load_presets(config: DaemonConfig) -> PresetLibrary:
    library = PresetLibrary.load(config.presets_dir)
    for problem in library.problems:
        log.warning("preset problem: %s", problem)
    log.info("presets: %s", ", ".join(library.names()) or "none")
    return library


async def serve(config: DaemonConfig, pipeline: Any, presets: PresetLibrary | None) -> int:
    """Serve until SIGINT/SIGTERM; returns the exit status."""
    from semanticaudio.bridge.render import Renderer  # imports torch; keep `--help` light

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    limits = Limits(pipeline.min_duration_s, pipeline.max_duration_s,
                    flowedit=pipeline.checkpoint.config.flowedit)
    sender = LoopReplySender(loop)
    queue = JobQueue(config.max_queue)
    previewer = Previewer(sender, limits) if config.preview else None
    handler = RequestHandler(queue, sender, limits,
                             EngineInfo(pipeline.model_name, str(pipeline.device)),
                             presets, previewer)
    renderer = Renderer(pipeline, presets)
    worker = Worker(queue, renderer.render, sender, check_job=renderer.check)
    try:
        transport, _ = await loop.create_datagram_endpoint(
            lambda: OscDatagramProtocol(handler), local_addr=(config.host, config.port)
        )
    except OSError as exc:
        log.error("cannot listen on %s:%d: %s", config.host, config.port, exc)
        return 1
    try:
        sender.attach(transport)
        worker.start()
        if previewer is not None:
            previewer.start()
        host, port = transport.get_extra_info("sockname")[:2]
        log.info("sa-engine listening on udp://%s:%d (protocol v1)", host, port)
        await stop.wait()
        waiting = len(queue.snapshot().queued_ids)
        log.info("stopping: cancelling the running job and %d queued", waiting)
    finally:
        await _shutdown(queue, sender, worker, previewer)
        transport.close()
    log.info("stopped")
    return 0


async def _shutdown(queue: JobQueue, sender: LoopReplySender, worker: Worker,
                    previewer: Previewer | None) -> None:
    """Refuse new jobs, answer the queued ones, stop the previewer, then wait for the worker
    (at most SHUTDOWN_WAIT_S; a job still running then is answered `cancelled` here)."""
    for job in queue.close(SHUTDOWN_REASON):
        reply = replies.error(job.job_id, ErrorCode.CANCELLED, SHUTDOWN_REASON)
        for address in job.final_addresses():
            sender.send(address, reply)
    if previewer is not None:
        await asyncio.to_thread(previewer.stop)
    if not await asyncio.to_thread(worker.join, SHUTDOWN_WAIT_S):
        log.error("the running job did not stop within %.0f s; exiting anyway", SHUTDOWN_WAIT_S)
        stuck = queue.running()
        if stuck is not None:  # its final reply would never come: the process ends here
            reply = replies.error(stuck.job_id, ErrorCode.CANCELLED,
                                  f"{SHUTDOWN_REASON}; the job did not stop within "
                                  f"{SHUTDOWN_WAIT_S:.0f} s and was abandoned")
            for address in stuck.final_addresses():
                sender.send(address, reply)
    await asyncio.sleep(0)  # let the worker's last replies leave before the socket closes


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `sa-engine`; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.list_devices:
        try:
            print(list_devices())
        except AudioDeviceError as exc:
            print(f"sa-engine: {exc}", file=sys.stderr)
            return 1
        return 0
    try:
        config = config_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    return _run(config)


def _run(config: DaemonConfig) -> int:
    from semanticaudio.engine.errors import EngineError

    try:
        pipeline = load_engine(config)
        presets = load_presets(config)
        return asyncio.run(serve(config, pipeline, presets))
    except EngineError as exc:
        log.error("cannot start: %s", exc)
        return 1
    except KeyboardInterrupt:  # Ctrl-C before the server was up
        log.info("interrupted while starting")
        return 130


if __name__ == "__main__":
    sys.exit(main())
