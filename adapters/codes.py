"""Draw tracking codes that no earlier answer holds (the store's UNIQUE index is the guard)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from eligibility_gw.domain.tracking import TrackingCode


def _candidates(n: int, codes: dict[str, TrackingCode]) -> dict[str, TrackingCode]:
    """New codes to add to ``codes`` until it holds ``n``, none of them in it already."""
    found: dict[str, TrackingCode] = {}
    for _ in range(n - len(codes)):
        code = TrackingCode.new()
        if code.digits not in codes:
            found[code.digits] = code
    return found


async def fresh_codes(
    n: int, taken: Callable[[list[str]], Awaitable[set[str]]]
) -> list[TrackingCode]:
    """``n`` distinct new codes; ``taken`` says which of some candidates are already used."""
    codes: dict[str, TrackingCode] = {}
    while len(codes) < n:
        candidates = _candidates(n, codes)
        used = await taken(list(candidates))
        codes.update((k, c) for k, c in candidates.items() if k not in used)
    return list(codes.values())


def fresh_codes_now(n: int, taken: Callable[[list[str]], set[str]]) -> list[TrackingCode]:
    """``fresh_codes`` for a store asked synchronously (in its writer's thread)."""
    codes: dict[str, TrackingCode] = {}
    while len(codes) < n:
        candidates = _candidates(n, codes)
        used = taken(list(candidates))
        codes.update((k, c) for k, c in candidates.items() if k not in used)
    return list(codes.values())
