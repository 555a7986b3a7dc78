"""The worker thread on the real tiny pipeline: replies, throttled progress, errors, cancel."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import torch
from semanticaudio.bridge.jobs import Job, JobQueue
from semanticaudio.bridge.protocol import ErrorCode, ProtocolError, decode_request
from semanticaudio.bridge.render import Renderer
from semanticaudio.bridge.worker import ProgressThrottle, Worker

from tests.bridge.helpers import tone, write_audio

CLIENT = ("127.0.0.1", 9001)


class RecordingSink:
    """Collects replies as (address, osc address, args); wakes waiters on each."""

    def __init__(self) -> None:
        self.sent: list[tuple[tuple[str, int], str, tuple[Any, ...]]] = []
        self.changed = threading.Condition()

    def send(self, address: tuple[str, int], reply: Any) -> None:
        with self.changed:
            self.sent.append((address, reply.address, reply.args))
            self.changed.notify_all()

    def final(self, job_id: str, timeout_s: float = 20.0) -> tuple[str, tuple[Any, ...]]:
        def found():
            return next(((a, r) for _, a, r in self.sent
                         if a in ("/sa/done", "/sa/error") and r[0] == job_id), None)

        with self.changed:
            assert self.changed.wait_for(found, timeout_s), f"no final reply for {job_id}"
            return found()

    def of(self, job_id: str, address: str) -> list[tuple[Any, ...]]:
        return [args for _, a, args in self.sent if a == address and args[0] == job_id]


@pytest.fixture
def running(tiny_pipeline: Any):
    queue, sink = JobQueue(), RecordingSink()
    renderer = Renderer(tiny_pipeline)
    worker = Worker(queue, renderer.render, sink, check_job=renderer.check)
    worker.start()
    yield queue, sink
    queue.close("test over")
    assert worker.join(10.0)


def submit(queue: JobQueue, job_id: str, out_dir: Path, options: str, duration_s=0.5) -> Job:
    request = decode_request("/sa/generate", [job_id, 9001, "wind", duration_s, str(out_dir),
                                              options])
    job = Job(request, CLIENT)
    queue.submit(job)
    return job


def test_progress_throttle_passes_first_stage_changes_and_last() -> None:
    now = [0.0]
    sent: list[tuple[float, str]] = []
    throttle = ProgressThrottle(lambda f, s: sent.append((f, s)), 0.1, clock=lambda: now[0])
    for step in range(10):  # ten steps within 45 ms
        throttle(step / 20, "plan")
        now[0] += 0.005
    throttle(0.6, "decode")
    now[0] += 0.2
    throttle(0.8, "decode")
    now[0] += 0.01
    throttle(0.9, "decode")
    throttle.flush()
    assert sent == [(0.0, "plan"), (0.6, "decode"), (0.8, "decode"), (0.9, "decode")]


def test_a_job_ends_in_done_with_its_files(running, tmp_path: Path) -> None:
    queue, sink = running
    submit(queue, "a", tmp_path, "steps=2;synth_steps=2;variations=2")
    address, args = sink.final("a")
    assert address == "/sa/done"
    assert [Path(p).name for p in args[1:]] == ["sa_gen_wind_a_v1.wav", "sa_gen_wind_a_v2.wav"]
    progress = sink.of("a", "/sa/progress")
    assert progress[-1][1:] == (1.0, "decode")
    assert all(dest == CLIENT for dest, _, _ in sink.sent)


def test_progress_is_rate_limited(running, tmp_path: Path) -> None:
    queue, sink = running
    start = time.monotonic()
    submit(queue, "slow", tmp_path, "steps=200;synth_steps=100", duration_s=5.0)
    sink.final("slow", 60.0)
    elapsed = time.monotonic() - start
    progress = sink.of("slow", "/sa/progress")
    stages = {args[2] for args in progress}
    assert len(progress) <= 10 * elapsed + len(stages) + 2
    assert len(progress) < 301  # far fewer than one per step


def test_errors_become_replies_and_the_worker_goes_on(running, tmp_path: Path) -> None:
    queue, sink = running
    submit(queue, "bad", tmp_path, "steps=2;cfg=50;synth_steps=2", duration_s=40.0)
    submit(queue, "good", tmp_path, "steps=2;synth_steps=2")
    address, args = sink.final("bad")
    assert (address, args[1]) == ("/sa/error", "engine_error")
    assert "duration" in args[2]
    assert sink.final("good")[0] == "/sa/done"


def test_a_crash_in_the_job_is_an_internal_error(tmp_path: Path) -> None:
    def explode(request: Any, hooks: Any) -> Any:
        raise ZeroDivisionError("boom")

    queue, sink = JobQueue(), RecordingSink()
    worker = Worker(queue, explode, sink)
    worker.start()
    submit(queue, "x", tmp_path, "")
    _address, args = sink.final("x")
    assert args[1:] == ("internal_error", "sa-engine failed while running the job: "
                        "ZeroDivisionError: boom")
    queue.close("done")
    assert worker.join(5.0)


def test_cancel_of_the_running_job_answers_requester_and_canceller(
    running, tmp_path: Path
) -> None:
    queue, sink = running
    submit(queue, "long", tmp_path, "steps=1000;synth_steps=1000", duration_s=10.0)
    with sink.changed:
        sink.changed.wait_for(lambda: sink.of("long", "/sa/progress"), 20.0)
    canceller = ("127.0.0.1", 9555)
    queue.cancel("long", canceller)
    address, args = sink.final("long")
    # It stopped at its next sampling step, not after the rest of the job: cancelled during
    # the 1000 planner steps, it never reached the synthesizer (no wall-clock bound to flake).
    assert {stage for _, stage in (p[1:] for p in sink.of("long", "/sa/progress"))} == {"plan"}
    assert (address, args[1]) == ("/sa/error", "cancelled")
    finals = [dest for dest, a, r in sink.sent if a == "/sa/error" and r[0] == "long"]
    assert finals == [CLIENT, canceller]
    assert list(tmp_path.iterdir()) == []


def test_the_queue_refuses_what_the_loaded_model_would_refuse(
    running, tmp_path: Path
) -> None:
    """The worker owns the model, so the renderer's checks against it run when a job is
    offered: the tiny checkpoint's n_min is 1, so n_max=0 alone can never run."""
    queue, sink = running
    wav = write_audio(tmp_path / "in.wav", tone(1.0, 16000, channels=1), 16000)
    request = decode_request("/sa/edit", ["e", 9001, str(wav), 0.0, 1.0, "", "rain",
                                          str(tmp_path), "n_max=0"])
    with pytest.raises(ProtocolError) as caught:
        queue.submit(Job(request, CLIENT))
    assert (caught.value.code, caught.value.job_id) == (ErrorCode.BAD_OPTION, "e")
    assert queue.snapshot().queued_ids == []
    assert sink.sent == []


class PluginAbort(BaseException):
    """What a native plug-in or library may raise that is no Exception (like SystemExit)."""


class UnprintableError(Exception):
    """An exception whose message cannot even be built (a broken __str__ in a plug-in)."""

    def __str__(self) -> str:
        raise RuntimeError("no message")


def failing_worker(error: BaseException, failing_job: str) -> tuple[JobQueue, RecordingSink,
                                                                     Worker]:
    """A started worker whose job `failing_job` raises `error`; any other job raises
    ZeroDivisionError("the next job ran")."""
    def run(request: Any, hooks: Any) -> Any:
        hooks.progress(0.5, "plan")
        if request.job_id == failing_job:
            raise error
        raise ZeroDivisionError("the next job ran")

    queue, sink = JobQueue(), RecordingSink()
    worker = Worker(queue, run, sink, progress_interval_s=0.0)
    worker.start()
    return queue, sink, worker


@pytest.mark.parametrize("error", [PluginAbort("plug-in aborted"), SystemExit(3),
                                   UnprintableError()])
def test_any_exception_is_one_reply_and_the_worker_goes_on(
    error: BaseException, tmp_path: Path
) -> None:
    queue, sink, worker = failing_worker(error, "bad")
    submit(queue, "bad", tmp_path, "")
    address, args = sink.final("bad")
    assert (address, args[1]) == ("/sa/error", "internal_error")
    assert type(error).__name__ in args[2]
    submit(queue, "next", tmp_path, "")  # the worker is still there to run it
    assert sink.final("next")[1][2].endswith("ZeroDivisionError: the next job ran")
    assert queue.wait_idle(5.0)
    assert queue.snapshot().running_id == ""
    finals = [a for _, a, r in sink.sent if a in ("/sa/done", "/sa/error") and r[0] == "bad"]
    assert finals == ["/sa/error"]  # exactly one final reply
    queue.close("done")
    assert worker.join(5.0)


def cpu_allocation_error() -> BaseException:
    """What torch raises when the CPU allocator fails (a RuntimeError, not OutOfMemoryError):
    2**60 bytes is past any machine's address space, so the request fails at once."""
    try:
        torch.empty(2**60, dtype=torch.uint8)
    except RuntimeError as error:
        return error
    raise AssertionError("torch allocated 2**60 bytes")


@pytest.mark.parametrize("error", [MemoryError(), torch.OutOfMemoryError("CUDA out of memory."),
                                   cpu_allocation_error()])
def test_running_out_of_memory_is_an_engine_error_that_says_what_needs_less(
    error: BaseException, tmp_path: Path
) -> None:
    queue, sink, worker = failing_worker(error, "big")
    submit(queue, "big", tmp_path, "")
    _, (_, code, message) = sink.final("big")
    assert code == "engine_error"  # not internal_error, "a bug in sa-engine"
    assert "out of memory" in message and "fewer variations" in message
    submit(queue, "next", tmp_path, "")
    assert sink.final("next")[1][2].endswith("ZeroDivisionError: the next job ran")
    queue.close("done")
    assert worker.join(5.0)
