"""The worker thread: takes jobs one at a time, runs them, and sends their replies.

It is the only thread that calls the pipeline. Every outcome of a job ends in exactly one final
reply (`/sa/done` or `/sa/error`) to the requester and to anyone who cancelled it.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from semanticaudio.bridge import replies
from semanticaudio.bridge.jobs import Address, Job, JobCheck, JobHooks, JobQueue
from semanticaudio.bridge.protocol import ErrorCode, JobRequest, ProtocolError
from semanticaudio.engine.errors import Cancelled, EngineError

if TYPE_CHECKING:  # render imports torch; the worker only needs the result's shape
    from semanticaudio.bridge.render import RenderResult

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.1  # at most 10 progress replies a second per job (plus first and last)
# Words of a failed allocation that torch raises as a plain RuntimeError: its CPU allocator's
# and the MPS backend's.
OUT_OF_MEMORY_WORDS = ("DefaultCPUAllocator: can't allocate memory", "MPS backend out of memory")


class ReplySink(Protocol):
    """Sends one reply datagram; must be safe to call from any thread."""

    def send(self, address: Address, reply: replies.Reply) -> None: ...


RunJob = Callable[[JobRequest, JobHooks], "RenderResult"]


class ProgressThrottle:
    """Passes on the first report, one at each stage change, then at most one per interval;
    `flush()` sends the last report if it was held back, so the final state is always seen."""

    def __init__(self, send: Callable[[float, str], None], interval_s: float = PROGRESS_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._send = send
        self._interval_s = interval_s
        self._clock = clock
        self._last_sent_at: float | None = None
        self._last_stage: str | None = None
        self._held: tuple[float, str] | None = None

    def __call__(self, fraction: float, stage: str) -> None:
        now = self._clock()
        due = self._last_sent_at is None or now - self._last_sent_at >= self._interval_s
        if due or stage != self._last_stage:
            self._held = None
            self._last_sent_at, self._last_stage = now, stage
            self._send(fraction, stage)
        else:
            self._held = (fraction, stage)

    def flush(self) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            self._send(*held)


class JobProgress:
    """The progress callback handed to the pipeline for one job: records the job's state for
    /sa/status and sends throttled /sa/progress replies to the requester."""

    def __init__(self, job: Job, sink: ReplySink, interval_s: float) -> None:
        self.job = job
        self.sink = sink
        self.throttle = ProgressThrottle(self._send, interval_s)

    def __call__(self, fraction: float, stage: str) -> None:
        self.job.fraction, self.job.stage = fraction, stage
        self.throttle(fraction, stage)

    def _send(self, fraction: float, stage: str) -> None:
        self.sink.send(self.job.reply_to, replies.progress(self.job.job_id, fraction, stage))

    def flush(self) -> None:
        self.throttle.flush()


class Worker:
    """Runs queued jobs on one thread with `run_job` (normally Renderer.render).

    The worker owns the model, so it also tells the queue which jobs the model can run:
    `check_job` (normally Renderer.check) becomes the queue's check, and a job it refuses is
    never accepted."""

    def __init__(self, queue: JobQueue, run_job: RunJob, sink: ReplySink,
                 progress_interval_s: float = PROGRESS_INTERVAL_S,
                 check_job: JobCheck | None = None) -> None:
        self.queue = queue
        self.run_job = run_job
        self.sink = sink
        self.progress_interval_s = progress_interval_s
        if check_job is not None:
            queue.check = check_job
        self._thread = threading.Thread(target=self._loop, name="sa-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout_s: float | None = None) -> bool:
        """Wait for the thread to end (after the queue is closed); True when it has."""
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _loop(self) -> None:
        while (job := self.queue.take()) is not None:
            try:
                reply = self.run(job)
            except BaseException as exc:  # only a failure while building the reply gets here
                log.exception("job %s: its reply could not be built", job.job_id)
                reply = replies.error(job.job_id, ErrorCode.INTERNAL_ERROR,
                                      f"sa-engine failed while running the job: "
                                      f"{type(exc).__name__}")
            # The job leaves the queue before its final reply, so a client that asks for
            # /sa/status right after `done` never sees it still running.
            self.queue.finish(job)
            self._send_final(job, reply)

    def run(self, job: Job) -> replies.Reply:
        """Run one job (progress replies go out as it runs); returns its final reply. Never
        raises: whatever the job raises, BaseExceptions such as SystemExit from a plug-in
        included, becomes an /sa/error, and the worker goes on with the next job."""
        report = JobProgress(job, self.sink, self.progress_interval_s)
        try:
            result = self.run_job(job.request, JobHooks(report, job.should_cancel))
        except BaseException as exc:  # every outcome must end in one reply
            report.flush()
            return self._error_reply(job, exc)
        report.flush()
        log.info("job %s done in %.2f s (bridge %.3f s): %s", job.job_id,
                 sum(result.timings.seconds.values()), result.timings.bridge_s,
                 ", ".join(map(str, result.paths)))
        return replies.done(job.job_id, [str(p) for p in result.paths])

    def _error_reply(self, job: Job, exc: BaseException) -> replies.Reply:
        if isinstance(exc, Cancelled):
            log.info("job %s cancelled: %s", job.job_id, job.cancel_reason)
            return replies.error(job.job_id, ErrorCode.CANCELLED, job.cancel_reason)
        if isinstance(exc, ProtocolError):
            log.info("job %s failed: %s %s", job.job_id, exc.code, exc.message)
            return replies.error(job.job_id, exc.code, exc.message)
        if isinstance(exc, EngineError):
            log.info("job %s rejected by the engine: %s", job.job_id, exc)
            return replies.error(job.job_id, ErrorCode.ENGINE_ERROR, str(exc))
        if _is_out_of_memory(exc):  # the request's size, not a bug: say what needs less
            log.warning("job %s ran out of memory: %s", job.job_id, _message(exc).split("\n")[0])
            _release_cached_memory()
            return replies.error(
                job.job_id, ErrorCode.ENGINE_ERROR,
                f"the job ran out of memory ({type(exc).__name__}); fewer variations, a shorter "
                "duration or a shorter region need less, and so does a GPU other programs are "
                "not using. Nothing was written; the engine goes on")
        log.exception("job %s failed inside sa-engine", job.job_id, exc_info=exc)
        return replies.error(
            job.job_id, ErrorCode.INTERNAL_ERROR,
            f"sa-engine failed while running the job: {type(exc).__name__}: {_message(exc)}",
        )

    def _send_final(self, job: Job, reply: replies.Reply) -> None:
        for address in job.final_addresses():
            self.sink.send(address, reply)


def _is_out_of_memory(exc: BaseException) -> bool:
    """Python's MemoryError, torch's OutOfMemoryError (CUDA), or the plain RuntimeError that
    torch's CPU and MPS allocators raise when they fail (OUT_OF_MEMORY_WORDS)."""
    torch = sys.modules.get("torch")  # only a worker that ran the engine can have torch's
    if isinstance(exc, MemoryError) or (
            torch is not None and isinstance(exc, getattr(torch, "OutOfMemoryError", ()))):
        return True
    return isinstance(exc, RuntimeError) and any(
        words in _message(exc) for words in OUT_OF_MEMORY_WORDS)


def _release_cached_memory() -> None:
    """Hand the blocks the failed job left in torch's CUDA cache back, so the next job has them."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def _message(exc: BaseException) -> str:
    """str(exc), or a note when even that fails (a third-party exception's broken __str__)."""
    try:
        return str(exc)
    except Exception:
        return "(its message could not be read)"
