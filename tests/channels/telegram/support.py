"""What the Telegram tests share: settings, the registry on disk, and a user who talks to the
bot by posting updates to the webhook, as Telegram would."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from aiohttp import web
from aiohttp.test_utils import TestClient

from eligibility_gw.adapters.sqlite import open_sqlite_store
from eligibility_gw.channels.telegram.webhook import SECRET_HEADER
from eligibility_gw.demo import DEMO_PROVIDER_PHONE, Persona, seed_demo
from eligibility_gw.domain.provider import ProviderKind
from eligibility_gw.ports import RegistryRow
from eligibility_gw.providers import hash_api_key
from eligibility_gw.rulepacks import rule_pack_for
from eligibility_gw.settings import Settings, parse_settings
from tests.channels.telegram.fakeapi import Call, FakeBotApi
from tests.conftest import ir_id

TOKEN = "123456789:TEST-token_for_the-fake-bot-api"
SECRET = "test-webhook-secret_42"
TOKEN_ENV = "EGW_TEST_TELEGRAM_TOKEN"
SECRET_ENV = "EGW_TEST_TELEGRAM_SECRET"
WEBHOOK = "/channels/telegram/webhook"
PUBLIC = "https://egw.example.org"

PROVIDER_PHONE = DEMO_PROVIDER_PHONE
INACTIVE_PROVIDER_ID = "closed-clinic"
INACTIVE_PROVIDER_PHONE = "+989350000002"
#: On file for many principals at once (a guardian's phone): long answers.
CROWDED_PHONE = "+989121110099"
UNKNOWN_PHONE = "+989121119999"
#: Grouped tracking codes, in ASCII or Persian digits.
CODE = re.compile(r"[0-9۰-۹]{4}-[0-9۰-۹]{4}-[0-9۰-۹]{4}")

Client = TestClient[web.Request, web.Application]


def gateway_settings(
    db: Path,
    api_url: str,
    telegram: Mapping[str, object] | None = None,
    languages: Sequence[str] = ("fa", "en"),
) -> Settings:
    """A test gateway on ``db`` with only the Telegram channel, pointed at the fake API."""
    channel: dict[str, object] = {
        "token_env": TOKEN_ENV,
        "secret_env": SECRET_ENV,
        "api_base_url": f"{api_url}/bot",
        "api_file_base_url": f"{api_url}/file/bot",
    }
    channel.update(telegram or {})
    return parse_settings(
        {
            "gateway": {
                "rule_pack": "ir-tamin",
                "time_zone": "Asia/Tehran",
                "languages": list(languages),
            },
            "store": {"url": f"sqlite:///{db}"},
            "server": {"public_base_url": PUBLIC},
            "channels": {
                "telegram": channel,
                "web": {"enabled": False},
                "sms": {"enabled": False},
                "ussd": {"enabled": False},
            },
        },
        source="<telegram tests>",
    )


def crowd_rows(today: date, count: int) -> list[RegistryRow]:
    """``count`` covered principals who all gave ``CROWDED_PHONE``."""
    return [
        RegistryRow(
            national_id=ir_id(700 + i),
            given_name=f"Guarded{i}",
            family_name="Moradi",
            birth_date=date(1960, 1, 1),
            sex="F",
            phone=CROWDED_PHONE,
            relationship="self",
            principal_id=None,
            cover_start=date(today.year - 2, 1, 1),
            cover_end=date(today.year + 2, 12, 31),
            marital_status="widowed",
            student_until=None,
            birth_certificate_seen=None,
            disabled=False,
            has_income=False,
            other_insurer=None,
        )
        for i in range(count)
    ]


async def fill_registry(settings: Settings, crowd: int = 0) -> list[Persona]:
    """The demo personas, the demo pharmacy, a deactivated clinic and a crowd, on disk."""
    today = settings.today()
    store = await open_sqlite_store(settings.store.url.removeprefix("sqlite:///"))
    try:
        people = await seed_demo(store, rule_pack_for(settings), today, "a", PROVIDER_PHONE)
        if crowd:
            await store.registry.upsert_rows(crowd_rows(today, crowd))
        await store.providers.add(
            INACTIVE_PROVIDER_ID,
            "Closed Clinic",
            ProviderKind.CLINIC,
            INACTIVE_PROVIDER_PHONE,
            hash_api_key("b"),
        )
        await store.providers.set_active(INACTIVE_PROVIDER_ID, False)
    finally:
        await store.close()
    return people


_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


def texts(calls: Sequence[Call]) -> list[str]:
    """The texts of the ``sendMessage`` calls among ``calls``."""
    return [c.text for c in calls if c.method == "sendMessage"]


def only_text(calls: Sequence[Call]) -> str:
    """The one message sent."""
    sent = texts(calls)
    assert len(sent) == 1, sent
    return sent[0]


@dataclass
class TelegramUser:
    """A Telegram user in a private chat with the bot (or in a group, by ``chat_type``)."""

    client: Client
    api: FakeBotApi
    user_id: int
    language_code: str | None = "en"
    chat_type: str = "private"
    last: list[Call] = field(default_factory=list)

    @property
    def chat_id(self) -> int:
        """A private chat's id is the user's; a group's is negative."""
        return self.user_id if self.chat_type == "private" else -1_000_000_000 - self.user_id

    def _from(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": "Test"}
        if self.language_code is not None:
            user["language_code"] = self.language_code
        return user

    def _chat(self) -> dict[str, Any]:
        return {"id": self.chat_id, "type": self.chat_type}

    def message(self, **fields: Any) -> dict[str, Any]:
        """A new update holding a message with ``fields``."""
        return {
            "update_id": next(_update_ids),
            "message": {
                "message_id": next(_message_ids),
                "date": int(time.time()),
                "chat": self._chat(),
                "from": self._from(),
                **fields,
            },
        }

    def button_tap(self, data: str) -> dict[str, Any]:
        """A new update for a tap on an inline button carrying ``data``."""
        return {
            "update_id": next(_update_ids),
            "callback_query": {
                "id": f"cq{next(_message_ids)}",
                "from": self._from(),
                "chat_instance": "ci-1",
                "data": data,
                "message": {
                    "message_id": next(_message_ids),
                    "date": int(time.time()),
                    "chat": self._chat(),
                    "from": {"id": 7_000_001, "is_bot": True, "first_name": "Eligibility"},
                    "text": "…",
                },
            },
        }

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> int:
        """Deliver ``update`` to the webhook; keep the Bot API calls it caused in ``last``."""
        mark = len(self.api.calls)
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        response = await self.client.post(WEBHOOK, json=update, headers=headers)
        await response.read()
        self.last = self.api.since(mark)
        return response.status

    async def _deliver(self, update: dict[str, Any]) -> list[Call]:
        status = await self.post(update)
        assert status == 200, status
        return self.last

    async def say(self, text: str) -> list[Call]:
        """Send a text (or tap a reply keyboard button, which sends its label)."""
        return await self._deliver(self.message(text=text))

    async def command(self, name: str) -> list[Call]:
        """Send ``/name``."""
        text = f"/{name}"
        entity = {"type": "bot_command", "offset": 0, "length": len(text)}
        return await self._deliver(self.message(text=text, entities=[entity]))

    async def share_contact(
        self, phone: str, owner: int | Literal["self"] | None = "self"
    ) -> list[Call]:
        """Share a contact; ``owner`` is whose Telegram account it is (None: nobody's)."""
        contact: dict[str, Any] = {"phone_number": phone, "first_name": "Someone"}
        user_id = self.user_id if isinstance(owner, str) else owner
        if user_id is not None:
            contact["user_id"] = user_id
        return await self._deliver(self.message(contact=contact))

    async def tap(self, data: str) -> list[Call]:
        """Tap an inline button."""
        return await self._deliver(self.button_tap(data))

    async def sticker(self) -> list[Call]:
        """Send a sticker."""
        sticker = {
            "file_id": "st1",
            "file_unique_id": "st1u",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return await self._deliver(self.message(sticker=sticker))
