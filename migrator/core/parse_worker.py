"""A parse pool process (`python -m migrator.core.parse_worker`): reads calls, answers results.

The protocol on its stdin/stdout: each message is an 8-byte big-endian length and a pickle. A call
is `(function, args)`, from the tool's own process only; the answer is `(True, result)` or
`(False, exception)`. It imports nothing but what the pickled function needs. It ends when its stdin
closes, which is also what happens when the tool dies, however it dies (no orphan keeps running).
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
from typing import BinaryIO

HEADER = 8


def read_message(stream: BinaryIO) -> bytes | None:
    header = stream.read(HEADER)
    if len(header) < HEADER:
        return None
    size = int.from_bytes(header, "big")
    payload = stream.read(size)
    return payload if len(payload) == size else None


def frame(payload: bytes) -> bytes:
    return len(payload).to_bytes(HEADER, "big") + payload


def _answer(call: bytes) -> bytes:
    try:
        function, args = pickle.loads(call)
        answer: tuple[bool, object] = (True, function(*args))
    except Exception as exc:
        answer = (False, exc)
    try:
        return pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:   # an unpicklable result or exception: say what it was
        return pickle.dumps((False, RuntimeError(f"unpicklable answer: {exc!r}")))


def main() -> None:
    # Ctrl-C reaches the whole process group; the tool decides what happens, not the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    calls = os.fdopen(os.dup(0), "rb")
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)    # a stray print() must not corrupt the answers
    while (call := read_message(calls)) is not None:
        answers.write(frame(_answer(call)))
        answers.flush()
    sys.exit(0)


if __name__ == "__main__":
    main()
