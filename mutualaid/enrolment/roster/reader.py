"""The reader process (读取进程): a forked child parses, validates and seals the next batch while the importing
process writes the previous one, and pipes it back."""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import queue
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NoReturn

from mutualaid.enrolment.roster.formats import text_of as _text
from mutualaid.enrolment.roster.rows import RowData, RowValidator, _sealed_values
from mutualaid.enrolment.roster.writer import SealedRow

FIRST_BATCH_SIZE = 250


@dataclass
class Batch:
    """Validated rows of one batch, sealed in the reader process."""

    rows: list[SealedRow]
    errors: list[tuple[int, list, str]]  # rows refused by validation: line, values, message
    raw: dict[int, list]  # values by line, kept for a coordinator's import (refusals found in the database)
    rows_done: int


# A batch as the reader process sends it: sealed rows as plain tuples, refused rows, raw values, rows read.
_SentBatch = tuple[list[tuple], list[tuple[int, list, str]], dict[int, list], int]


def _read_batches(
    sheet_rows, validator: RowValidator, allowed_village: str | None, batch_size: int
) -> Iterator[_SentBatch]:
    """Parse, validate and seal rows into batches (CPU-bound; no database)."""
    rows: list[RowData] = []
    errors: list[tuple[int, list, str]] = []
    raw: dict[int, list] = {}
    done = 0
    # Batches start short and double up to batch_size: the writer starts at once instead of waiting on a full one.
    size = cut = min(batch_size, FIRST_BATCH_SIZE)
    for line, values in enumerate(sheet_rows, start=2):
        first = values[0] if values else None
        if not (first.__class__ is str and first.strip()) and not any(_text(v) for v in values):
            continue  # blank lines
        result = validator.validate(line, values)
        done += 1
        if isinstance(result, str):
            errors.append((line, values, result))
        else:
            rows.append(result)
            if allowed_village:
                raw[line] = values
        if done == cut:
            yield _sealed_values(rows), errors, raw, done
            rows, errors, raw = [], [], {}
            size = min(2 * size, batch_size)
            cut += size
    yield _sealed_values(rows), errors, raw, done


class ReaderProcess:
    """Batches from a forked child process that parses, validates and seals them (读取进程).

    A process rather than a thread: validation and encryption are pure Python and would share one GIL with the
    writer, which made the two take turns (bench/roster_import.py). Forked, so it starts in milliseconds with the
    validator already built. The child touches no database and leaves by ``os._exit``, so nothing of the
    parent's (its database connection, temporary files) is closed or flushed by it.

    Batches go down a pipe to a receiving thread here, which unpickles the next batch while the writer waits on
    the database (the GIL is free then). It takes a batch only when the one before has been handed on, so this
    process holds two batches at most and the child, blocked on the pipe, one: memory stays constant."""

    def __init__(self, batches: Iterator[_SentBatch]):
        read_end, write_end = os.pipe()
        # Until close(), neither process's collections visit what existed at the fork: a collection writes to
        # every object it visits, and each page written would be copied, doubling the memory the two share.
        gc.freeze()
        try:
            self.pid = os.fork()
        except OSError:
            gc.unfreeze()
            raise
        if self.pid == 0:  # the child
            os.close(read_end)
            _send_batches(batches, write_end)  # never returns
        os.close(write_end)
        self._pipe = os.fdopen(read_end, "rb")
        self._received: queue.Queue = queue.Queue()
        self._room = threading.Semaphore(1)  # one batch received ahead of the one being written, no more
        self._closing = threading.Event()
        self._ended = False
        self._receiver = threading.Thread(target=self._receive, name="roster-receiver", daemon=True)
        self._receiver.start()

    def __iter__(self) -> Iterator[Batch]:
        while True:
            kind, payload = self._received.get()
            if kind == "batch":
                self._room.release()
                yield payload
            elif kind == "end":
                self._ended = True
                return
            elif kind == "error":
                raise payload
            else:
                raise RuntimeError("花名册读取进程意外退出") from payload

    def _receive(self) -> None:
        while not self._closing.is_set():
            if not self._room.acquire(timeout=0.2):
                continue
            try:
                kind, payload = pickle.load(self._pipe)
            except Exception as exc:  # end of file or a torn message: the child died
                kind, payload = "lost", exc
            if kind == "batch":
                rows, errors, raw, rows_done = payload
                payload = Batch(list(map(SealedRow._make, rows)), errors, raw, rows_done)
            self._received.put((kind, payload))
            if kind != "batch":
                return

    def close(self) -> None:
        self._closing.set()
        if not self._ended:  # the receiver may be waiting on the pipe: the child's end closes it
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        self._receiver.join()
        self._pipe.close()
        gc.unfreeze()


def _send_batches(batches: Iterator[_SentBatch], fd: int) -> NoReturn:
    status = 0
    try:
        with os.fdopen(fd, "wb") as pipe:
            try:
                for batch in batches:
                    pickle.dump(("batch", batch), pipe, protocol=5)
                    pipe.flush()
                message: tuple = ("end", None)
            except Exception as exc:  # raised again in the parent, like any error of reading the file
                message = ("error", _picklable(exc))
            pickle.dump(message, pipe, protocol=5)
    except BaseException:
        status = 1  # the parent went away
    finally:
        os._exit(status)


def _picklable(exc: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
