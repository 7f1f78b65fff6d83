"""One write lock per SQLite file in a process, shared by every connection that writes it.

The gateway writes one file through several connections: the answer log's, the registry's,
and those of the SMS records, the Telegram bindings and the console. SQLite lets one of them
write at a time; a connection that finds the file locked polls with growing sleeps (its
``busy_timeout``) and can lose the race again and again to a connection that commits a few
hundred times a second, such as the answer log's. Taking this lock first turns that race into
a queue on the event loop: whoever waits gets the file next, in arrival order. Other
processes still meet at SQLite's own lock.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from pathlib import Path

_GATES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def write_gate(path: str | Path) -> asyncio.Lock:
    """The lock every writer of ``path`` in this process takes (one per event loop).

    An in-memory database is private to its connection and gets a lock of its own.
    """
    name = str(path)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.Lock()
    if name == ":memory:" or name.startswith("file::memory:"):
        return asyncio.Lock()
    gates = _GATES.setdefault(loop, {})
    key = os.path.realpath(name)
    gate = gates.get(key)
    if gate is None:
        gate = gates[key] = asyncio.Lock()
    return gate
