"""Fixtures of the USSD tests: the suite's gateway factory, serving the USSD channel alone."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import SimpleNamespace

import pytest

from eligibility_gw import keyvalue
from tests.channels.ussd.support import UssdGateway, only_ussd, with_ussd_callers
from tests.conftest import MakeGateway

#: ``make_ussd(store="memory", languages=("en", "fa"), inquiries=None, options=None,
#: **ussd_knobs)``; ``options``: any other keyword of ``tests.gateway.gateway_settings``.
MakeUssd = Callable[..., Awaitable[UssdGateway]]


@pytest.fixture
def make_ussd(make_gateway: MakeGateway) -> MakeUssd:
    """Start a gateway on the demo registry (in memory unless ``store`` says otherwise), in
    ``languages``, with the core's ``inquiries`` limits and the USSD knobs as given."""

    async def make(
        *,
        store: str = "memory",
        languages: Sequence[str] = ("en", "fa"),
        inquiries: Mapping[str, object] | None = None,
        options: Mapping[str, object] | None = None,
        **knobs: object,
    ) -> UssdGateway:
        test = await make_gateway(
            store=store,
            languages=languages,
            inquiries=dict(inquiries or {}),
            channels=only_ussd(knobs),
            **dict(options or {}),
        )
        return await with_ussd_callers(test)

    return make


@pytest.fixture
async def gateway(make_ussd: MakeUssd) -> UssdGateway:
    """A gateway with the default knobs, English first, in memory."""
    return await make_ussd()


@pytest.fixture(params=["africastalking", "hubtel"])
def dialect(request: pytest.FixtureRequest) -> str:
    """Each dialect in turn."""
    return str(request.param)


#: Where ``pinned_clock`` stops the quotas' clock: 30 minutes and 30 seconds into an hour.
PINNED_INTO_HOUR = 1830


@pytest.fixture
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> float:
    """Stop the clock the quota counters read, well inside a minute and an hour.

    Counters run in fixed windows: a test crossing a window's edge would see its count
    start again. Pinned, the windows hold still and the time to wait is known exactly.
    """
    now = (int(time.time()) // 3600) * 3600 + PINNED_INTO_HOUR
    monkeypatch.setattr(keyvalue, "time", SimpleNamespace(time=lambda: float(now)))
    return float(now)
