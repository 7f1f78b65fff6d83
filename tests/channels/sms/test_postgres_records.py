"""On PostgreSQL the gateway keeps its SMS records in the store's schema, through shutdown.

PostgreSQL cases skip with a reason where no server listens on 127.0.0.1:5432 (CI has one).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpClient

from eligibility_gw.adapters.postgres import PostgresStore
from eligibility_gw.adapters.postgres.sms import open_postgres_sms_records
from eligibility_gw.app import create_app
from eligibility_gw.channels.sms import SMS_NOTIFIER
from eligibility_gw.settings import parse_settings
from tests.channels.sms.support import ACCOUNT_SID, PUBLIC, SHORT_NUMBER, FakeTwilio
from tests.contract.stores import postgres_backend, postgres_reachable


async def test_a_send_queued_at_shutdown_is_recorded(
    aiohttp_client: AiohttpClient, twilio_server: TestServer, fake_twilio: FakeTwilio
) -> None:
    """The records live on the store's pool: they close before it, after queued sends."""
    if not postgres_reachable():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432 (CI runs one)")
    fake_twilio.delay = 0.3  # still sending when the gateway is told to stop
    async with postgres_backend() as backend:
        settings = parse_settings(
            {
                "gateway": {"rule_pack": "ir-tamin", "languages": ["en"]},
                "store": {"url": backend.url},
                "server": {"public_base_url": PUBLIC},
                "channels": {
                    "sms": {
                        "account_sid": ACCOUNT_SID,
                        "from_number": SHORT_NUMBER,
                        "api_base_url": fake_twilio.base_url,
                    },
                    "telegram": {"enabled": False},
                    "console": {"enabled": False},
                },
            },
            source="<sms on postgres>",
        )
        client = await aiohttp_client(create_app(settings))
        started = datetime.now(UTC) - timedelta(seconds=1)
        client.app[SMS_NOTIFIER].send_later("+989121110001", "hello", "check_notice", "ref-1")
        await client.close()  # drains the queued send, then closes the store's pool

        assert isinstance(backend.store, PostgresStore)
        records = await open_postgres_sms_records(backend.store.pool)
        found = await records.latest_outbound("+989121110001", "check_notice", started)
        assert found is not None  # in the gateway's PostgreSQL schema, not in memory
        assert (found.message_sid, found.reference) == (fake_twilio.created[0], "ref-1")
