"""What the Telegram tests share: the channel's settings, a gateway from the suite's one
factory (``make_gateway``) with the demo registry, and a user who talks to the bot by posting
updates to the webhook, as Telegram would."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from eligibility_gw.channels.telegram.webhook import SECRET_HEADER
from eligibility_gw.demo import DEMO_PROVIDER_PHONE
from eligibility_gw.domain.provider import ProviderKind
from eligibility_gw.inquiries import Inquiries
from eligibility_gw.ports import RegistryRow
from eligibility_gw.wording import Wording
from tests.channels.telegram.fakeapi import Call, FakeBotApi
from tests.conftest import ir_id
from tests.gateway import Client, TestGateway

TOKEN = "123456789:TEST-token_for_the-fake-bot-api"
SECRET = "test-webhook-secret_42"
TOKEN_ENV = "EGW_TEST_TELEGRAM_TOKEN"
SECRET_ENV = "EGW_TEST_TELEGRAM_SECRET"
WEBHOOK = "/channels/telegram/webhook"
PUBLIC = "https://egw.example.org"

PROVIDER_PHONE = DEMO_PROVIDER_PHONE
INACTIVE_PROVIDER_ID = "closed-clinic"
INACTIVE_PROVIDER_PHONE = "+989350000002"
#: Principals' phones of the demo: Rezaei (a family of six), Karimi (eight: two pages of
#: buttons), Ahmadi (whose cover ended).
ALI_PHONE = "+989121110001"
HOSSEIN_PHONE = "+989121110002"
SAMAN_PHONE = "+989121110003"
#: On file for many principals at once (a guardian's phone): long answers.
CROWDED_PHONE = "+989121110099"
UNKNOWN_PHONE = "+989121119999"
#: Grouped tracking codes, in ASCII or Persian digits.
CODE = re.compile(r"[0-9۰-۹]{4}-[0-9۰-۹]{4}-[0-9۰-۹]{4}")
#: The other channels stay off: these tests start the Telegram channel alone.
OTHER_CHANNELS_OFF: dict[str, dict[str, object]] = {
    name: {"enabled": False} for name in ("web", "sms", "ussd", "console")
}


def telegram_channels(
    api_url: str, telegram: Mapping[str, object] | None = None
) -> dict[str, dict[str, object]]:
    """``[channels.*]`` of a test gateway: Telegram pointed at the fake Bot API, no other."""
    channel: dict[str, object] = {
        "token_env": TOKEN_ENV,
        "secret_env": SECRET_ENV,
        "api_base_url": f"{api_url}/bot",
        "api_file_base_url": f"{api_url}/file/bot",
    }
    channel.update(telegram or {})
    return {**OTHER_CHANNELS_OFF, "telegram": channel}


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


async def add_test_people(test: TestGateway, crowd: int = 0) -> None:
    """Beside the demo: a deactivated clinic with a phone, and ``crowd`` guarded principals."""
    await test.add_provider(
        INACTIVE_PROVIDER_ID,
        kind=ProviderKind.CLINIC,
        phone=INACTIVE_PROVIDER_PHONE,
        active=False,
        name="Closed Clinic",
    )
    if crowd:
        await test.store.registry.upsert_rows(crowd_rows(test.settings.today(), crowd))


@dataclass
class TelegramGateway:
    """A running test gateway with the Telegram channel, and the fake Bot API it talks to."""

    test: TestGateway
    api: FakeBotApi
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(424_242_001))

    @property
    def client(self) -> Client:
        """The HTTP client of the gateway."""
        return self.test.client

    @property
    def inquiries(self) -> Inquiries:
        """The gateway's one door to answers (what the API side of a test asks through)."""
        return self.test.inquiries

    def nid(self, persona: str) -> str:
        """A demo persona's national id, by key."""
        return self.test.nid(persona)

    def row(self, persona: str) -> RegistryRow:
        """A demo persona's registry row, by key."""
        return self.test.people[persona].row

    def user(
        self, language_code: str | None = "en", chat_type: str = "private", user_id: int = 0
    ) -> TelegramUser:
        """A Telegram user of this gateway, with a user id of their own unless given one."""
        return TelegramUser(
            self.client, self.api, user_id or next(self._ids), language_code, chat_type
        )

    async def linked(self, phone: str, language_code: str = "en") -> TelegramUser:
        """A new user whose private chat is linked to ``phone`` (their own contact shared)."""
        user = self.user(language_code)
        calls = await user.share_contact(phone)
        assert only_text(calls) == Wording(language_code).t("telegram.contact.bound")
        return user


def texts(calls: Sequence[Call]) -> list[str]:
    """The texts of the ``sendMessage`` calls among ``calls``."""
    return [c.text for c in calls if c.method == "sendMessage"]


def only_text(calls: Sequence[Call]) -> str:
    """The one message sent."""
    sent = texts(calls)
    assert len(sent) == 1, sent
    return sent[0]


_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


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

    async def photo(self, file_id: str, size: int | None = None) -> list[Call]:
        """Send a photo (Telegram sends each of its sizes; the largest comes last)."""
        sizes: list[dict[str, Any]] = [
            {"file_id": f"{file_id}-thumb", "file_unique_id": "t", "width": 90, "height": 90},
            {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 1280, "height": 960},
        ]
        if size is not None:
            sizes[-1]["file_size"] = size
        return await self._deliver(self.message(photo=sizes))

    async def document(
        self,
        file_id: str,
        mime_type: str | None = "application/pdf",
        size: int | None = None,
        file_name: str = "certificate.pdf",
    ) -> list[Call]:
        """Send a file."""
        doc: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
        doc["file_name"] = file_name
        if mime_type is not None:
            doc["mime_type"] = mime_type
        if size is not None:
            doc["file_size"] = size
        return await self._deliver(self.message(document=doc))

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
