"""One core error for every store failure: drivers' errors become ``StoreUnavailable``.

Each adapter names the errors of its own driver; the core and the channels only ever see
``eligibility_gw.ports.StoreUnavailable`` and answer "undetermined / REGISTRY_UNAVAILABLE",
a 503, or a polite message in the channel, whichever store is behind it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from eligibility_gw.ports import StoreUnavailable

P = ParamSpec("P")
R = TypeVar("R")


def unavailable_on(
    errors: tuple[type[BaseException], ...], keep: tuple[type[BaseException], ...] = ()
) -> Callable[[Callable[P, Coroutine[Any, Any, R]]], Callable[P, Coroutine[Any, Any, R]]]:
    """Wrap an async method: ``errors`` (but not ``keep``) become ``StoreUnavailable``."""

    def wrap(method: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
        @functools.wraps(method)
        async def translated(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await method(*args, **kwargs)
            except keep:
                raise
            except errors as exc:
                raise StoreUnavailable(problem_of(exc)) from exc

        return translated

    return wrap


def problem_of(exc: BaseException) -> str:
    """A few words about a failure, without what it was about (no query text, no values)."""
    return type(exc).__name__
