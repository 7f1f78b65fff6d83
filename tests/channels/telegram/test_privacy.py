"""Logs never carry a phone number, a national id, a name or a Telegram user id in clear."""

from __future__ import annotations

from structlog.testing import capture_logs

from tests.channels.telegram.conftest import MakeTelegram
from tests.channels.telegram.support import PROVIDER_PHONE, only_text


async def test_a_whole_conversation_logs_nothing_personal(make_telegram: MakeTelegram) -> None:
    # A quota run out is logged too: on SQLite, with a provider quota of two per person.
    tg = await make_telegram(store="sqlite", inquiries={"provider_per_national_id": 2})
    people = list(tg.test.people.values())
    ali = tg.user("fa")
    provider = tg.user("en")
    stranger = tg.user("en")
    with capture_logs() as logs:
        await ali.command("start")
        await ali.share_contact("989121110001")
        await ali.command("cover")
        buttons = (await ali.command("family"))[0].inline()
        await ali.tap(buttons[4][0][1])
        await ali.command("code")
        await ali.say("1234")
        await provider.share_contact(PROVIDER_PHONE)
        only_text(await provider.say(people[0].row.national_id))
        await provider.say(people[7].row.national_id + " 2026-01-01")
        await provider.say(people[0].row.national_id)
        await provider.say(people[0].row.national_id)  # over the quota
        await stranger.share_contact("+989121110001", owner=ali.user_id)
        await stranger.share_contact("+989121119999")
        await ali.command("forget")
    events = [e["event"] for e in logs]
    assert "telegram_quota_exceeded" in events
    assert len(logs) > 10
    dumped = repr(logs)
    secrets = {"989121110001", "9121110001", PROVIDER_PHONE, "9121119999"}
    secrets |= {str(u.user_id) for u in (ali, provider, stranger)}
    for p in people:
        secrets |= {p.row.national_id, p.row.given_name, p.row.family_name}
    leaked = sorted(s for s in secrets if s in dumped)
    assert leaked == []
