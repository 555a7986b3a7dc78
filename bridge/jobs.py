"""Jobs and their FIFO queue. Thread-safe: the event loop submits and cancels, the worker takes.

A job's position is the number of jobs that run before it (0: it starts now). Cancelling a
queued job removes it at once; cancelling the running job sets its flag, which the pipeline
checks once per sampling step.
"""

from __future__ import annotations

import collections
import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from semanticaudio.bridge.protocol import ErrorCode, JobRequest, ProtocolError

# /sa/status lists every queued id: 900 ids of 64 characters make a 62 KB datagram, under the
# 65,507 bytes UDP carries over IPv4 (past it the socket refuses the reply, which is then lost).
MAX_QUEUE_LIMIT = 900
Address = tuple[str, int]  # (host, port) a reply goes to
JobCheck = Callable[[JobRequest], None]  # raises ProtocolError for a job that must not run


@dataclass(frozen=True)
class JobHooks:
    """How a running job talks back: progress(fraction 0..1, stage) and the cancel check."""

    progress: Callable[[float, str], None]
    should_cancel: Callable[[], bool]


@dataclass(eq=False)
class Job:
    """One queued or running job; `watchers` also get its final reply (e.g. who cancelled it)."""

    request: JobRequest
    reply_to: Address
    cancel_flag: threading.Event = field(default_factory=threading.Event)
    watchers: list[Address] = field(default_factory=list)
    cancel_reason: str = "cancelled by request"
    fraction: float = 0.0
    stage: str = "queued"

    @property
    def job_id(self) -> str:
        return self.request.job_id

    def should_cancel(self) -> bool:
        return self.cancel_flag.is_set()

    def final_addresses(self) -> list[Address]:
        """The requester first, then every other address that asked about this job."""
        return list(dict.fromkeys([self.reply_to, *self.watchers]))


class CancelOutcome(enum.Enum):
    REMOVED = "removed"  # it was queued; it will never run
    SIGNALLED = "signalled"  # it is running; it stops at the next sampling step
    UNKNOWN = "unknown"  # neither queued nor running


@dataclass(frozen=True)
class QueueSnapshot:
    queued_ids: list[str]
    running_id: str  # "" when idle
    fraction: float
    stage: str


class JobQueue:
    """FIFO of jobs with at most `max_queued` waiting; closing it refuses new jobs. Every job
    offered must first pass `check` (if one is set), e.g. the renderer's checks against the
    loaded model."""

    def __init__(self, max_queued: int = 128, check: JobCheck | None = None) -> None:
        if not 1 <= max_queued <= MAX_QUEUE_LIMIT:
            raise ValueError(f"max_queued must be in 1..{MAX_QUEUE_LIMIT}, got {max_queued}")
        self.max_queued = max_queued
        self.check = check
        self._waiting: collections.deque[Job] = collections.deque()
        self._running: Job | None = None
        self._closed = False
        self._changed = threading.Condition()

    def submit(self, job: Job) -> int:
        """Append `job`; returns its position. ProtocolError: whatever `check` refuses, busy,
        queue_full, duplicate_job."""
        if self.check is not None:
            try:
                self.check(job.request)  # outside the lock: it may read a file's header
            except ProtocolError as exc:
                exc.job_id = job.job_id
                raise
        with self._changed:
            if self._closed:
                raise ProtocolError(ErrorCode.BUSY, "sa-engine is shutting down", job.job_id)
            if len(self._waiting) >= self.max_queued:
                raise ProtocolError(
                    ErrorCode.QUEUE_FULL,
                    f"{len(self._waiting)} jobs are waiting (at most {self.max_queued}); "
                    "try again when some are done",
                    job.job_id,
                )
            if self._find(job.job_id) is not None:
                raise ProtocolError(
                    ErrorCode.DUPLICATE_JOB,
                    f"job {job.job_id!r} is already queued or running; use a new job id",
                    job.job_id,
                )
            position = len(self._waiting) + (self._running is not None)
            self._waiting.append(job)
            self._changed.notify_all()
            return position

    def _find(self, job_id: str) -> Job | None:
        if self._running is not None and self._running.job_id == job_id:
            return self._running
        return next((job for job in self._waiting if job.job_id == job_id), None)

    def take(self, timeout_s: float | None = None) -> Job | None:
        """The next job, now running; None once closed (or after `timeout_s` with none)."""
        with self._changed:
            self._changed.wait_for(lambda: self._waiting or self._closed, timeout_s)
            if self._closed or not self._waiting:
                return None
            self._running = self._waiting.popleft()
            self._running.stage = "starting"
            return self._running

    def finish(self, job: Job) -> None:
        """The worker is done with `job` (whatever its outcome)."""
        with self._changed:
            if self._running is job:
                self._running = None
            self._changed.notify_all()

    def cancel(
        self, job_id: str, watcher: Address | None = None
    ) -> tuple[CancelOutcome, Job | None]:
        """Remove a queued job or signal the running one; `watcher` gets its final reply too."""
        with self._changed:
            job = self._find(job_id)
            if job is None:
                return CancelOutcome.UNKNOWN, None
            if watcher is not None:
                job.watchers.append(watcher)
            if job is self._running:
                job.cancel_flag.set()
                return CancelOutcome.SIGNALLED, job
            self._waiting.remove(job)
            return CancelOutcome.REMOVED, job

    def running(self) -> Job | None:
        """The job the worker is running now, if any."""
        with self._changed:
            return self._running

    def snapshot(self) -> QueueSnapshot:
        with self._changed:
            running = self._running
            return QueueSnapshot(
                queued_ids=[job.job_id for job in self._waiting],
                running_id=running.job_id if running else "",
                fraction=running.fraction if running else 0.0,
                stage=running.stage if running else "idle",
            )

    def close(self, reason: str) -> list[Job]:
        """Refuse new jobs, signal the running one, and return the queued ones (removed)."""
        with self._changed:
            self._closed = True
            drained = list(self._waiting)
            self._waiting.clear()
            if self._running is not None:
                self._running.cancel_reason = reason
                self._running.cancel_flag.set()
            self._changed.notify_all()
            return drained

    def wait_idle(self, timeout_s: float | None = None) -> bool:
        """Block until nothing is queued or running; True when that happened in time."""
        with self._changed:
            return self._changed.wait_for(
                lambda: not self._waiting and self._running is None, timeout_s
            )
