"""The job queue: FIFO order, positions, cancel, limits and closing."""

from __future__ import annotations

import threading

import pytest
from semanticaudio.bridge.jobs import CancelOutcome, Job, JobQueue
from semanticaudio.bridge.protocol import ErrorCode, ProtocolError, decode_request

CLIENT = ("127.0.0.1", 9001)


def job(job_id: str) -> Job:
    request = decode_request("/sa/generate", [job_id, 9001, "rain", 1.0, "/tmp", ""])
    return Job(request, CLIENT)


def test_fifo_with_positions_counting_the_running_job() -> None:
    queue = JobQueue()
    assert [queue.submit(job(i)) for i in "abc"] == [0, 1, 2]
    first = queue.take()
    assert first is not None
    assert first.job_id == "a"
    assert queue.submit(job("d")) == 3  # b, c and the running a come first
    snap = queue.snapshot()
    assert (snap.running_id, snap.queued_ids) == ("a", ["b", "c", "d"])
    queue.finish(first)
    assert [queue.take().job_id for _ in range(3)] == ["b", "c", "d"]


def test_cancel_removes_queued_signals_running_and_knows_unknown() -> None:
    queue = JobQueue()
    for i in "ab":
        queue.submit(job(i))
    running = queue.take()
    watcher = ("127.0.0.1", 9999)
    assert queue.cancel("b", watcher)[0] is CancelOutcome.REMOVED
    outcome, found = queue.cancel("a", watcher)
    assert outcome is CancelOutcome.SIGNALLED
    assert found is running
    assert running.should_cancel()
    assert running.final_addresses() == [CLIENT, watcher]
    assert queue.cancel("zzz")[0] is CancelOutcome.UNKNOWN
    assert queue.snapshot().queued_ids == []


def test_limits_and_duplicates_are_refused_with_codes() -> None:
    queue = JobQueue(max_queued=2)
    queue.submit(job("a"))
    with pytest.raises(ProtocolError) as duplicate:
        queue.submit(job("a"))
    assert duplicate.value.code is ErrorCode.DUPLICATE_JOB
    queue.submit(job("b"))
    with pytest.raises(ProtocolError) as full:
        queue.submit(job("c"))
    assert full.value.code is ErrorCode.QUEUE_FULL
    assert "at most 2" in full.value.message


def test_close_drains_signals_and_wakes_the_worker() -> None:
    queue = JobQueue()
    taken: list[object] = []
    worker = threading.Thread(target=lambda: taken.append(queue.take()))
    worker.start()
    worker.join(0.05)
    assert worker.is_alive()  # waiting for work
    drained = queue.close("shutting down")
    worker.join(2.0)
    assert not worker.is_alive()
    assert taken == [None]
    assert drained == []
    with pytest.raises(ProtocolError) as refused:
        queue.submit(job("late"))
    assert refused.value.code is ErrorCode.BUSY


def test_close_cancels_the_running_job_with_a_reason() -> None:
    queue = JobQueue()
    queue.submit(job("a"))
    queue.submit(job("b"))
    running = queue.take()
    drained = queue.close("sa-engine is shutting down")
    assert [j.job_id for j in drained] == ["b"]
    assert running.should_cancel()
    assert running.cancel_reason == "sa-engine is shutting down"


def test_a_job_its_check_refuses_is_never_queued() -> None:
    def check(request) -> None:
        if request.prompt == "bad":
            raise ProtocolError(ErrorCode.BAD_OPTION, "not this one")

    queue = JobQueue(check=check)
    bad = Job(decode_request("/sa/generate", ["b", 9001, "bad", 1.0, "/tmp", ""]), CLIENT)
    with pytest.raises(ProtocolError) as caught:
        queue.submit(bad)
    assert (caught.value.code, caught.value.job_id) == (ErrorCode.BAD_OPTION, "b")
    assert queue.submit(job("a")) == 0
    assert queue.snapshot().queued_ids == ["a"]
