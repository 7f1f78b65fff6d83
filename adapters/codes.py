"""Draw tracking codes that no earlier answer holds (the store's UNIQUE index is the guard)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from eligibility_gw.domain.tracking import TrackingCode


async def fresh_codes(
    n: int, taken: Callable[[list[str]], Awaitable[set[str]]]
) -> list[TrackingCode]:
    """``n`` distinct new codes; ``taken`` says which of some candidates are already used."""
    codes: dict[str, TrackingCode] = {}
    while len(codes) < n:
        candidates = {}
        for _ in range(n - len(codes)):
            code = TrackingCode.new()
            if code.digits not in codes:
                candidates[code.digits] = code
        used = await taken(list(candidates))
        codes.update((k, c) for k, c in candidates.items() if k not in used)
    return list(codes.values())
