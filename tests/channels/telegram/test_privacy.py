"""Logs never carry a phone number, a national id, a name or a Telegram user id in clear."""

from __future__ import annotations

from structlog.testing import capture_logs

from eligibility_gw.demo import Persona
from tests.channels.telegram.conftest import MakeUser
from tests.channels.telegram.support import PROVIDER_PHONE, Client, only_text


async def test_a_whole_conversation_logs_nothing_personal(
    make_user: MakeUser, gateway: Client, people: list[Persona]
) -> None:
    ali = make_user("fa")
    provider = make_user("en")
    stranger = make_user("en")
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
        await stranger.share_contact("+989121110001", owner=ali.user_id)
        await stranger.share_contact("+989121119999")
        await ali.command("forget")
    assert len(logs) > 10
    dumped = repr(logs)
    secrets = {"989121110001", "9121110001", PROVIDER_PHONE, "9121119999"}
    secrets |= {str(u.user_id) for u in (ali, provider, stranger)}
    for p in people:
        secrets |= {p.row.national_id, p.row.given_name, p.row.family_name}
    leaked = sorted(s for s in secrets if s in dumped)
    assert leaked == []
