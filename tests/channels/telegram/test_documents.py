"""Documents sent to the bot, through the real PTB handlers and webhook: the member chosen
from buttons, the file fetched from the fake Bot API (``getFile``, then its download), its
content checked, and the upload queued for staff with its hash."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from eligibility_gw.channels.telegram.keyboards import Tap, callback
from eligibility_gw.ports import RegistryRow
from eligibility_gw.ports.uploads import Upload, UploadStatus
from eligibility_gw.wording import Wording
from tests.channels.telegram.conftest import MakeTelegram
from tests.channels.telegram.fakeapi import Call
from tests.channels.telegram.support import (
    ALI_PHONE,
    PROVIDER_PHONE,
    TelegramGateway,
    TelegramUser,
    only_text,
)
from tests.conftest import ir_id
from tests.integration.upload_samples import NOT_A_PDF, NOT_AN_IMAGE, jpeg_like, pdf, png

LANGS = ["en", "fa"]
ALONE_PHONE = "+989121234567"


async def queued(tg: TelegramGateway) -> list[Upload]:
    return await tg.test.store.uploads.list_uploads([UploadStatus.PENDING])


def upload_buttons(tg: TelegramGateway, calls: list[Call]) -> dict[str, str]:
    """The member buttons of the last message: label's name to button data."""
    [message] = [c for c in calls if c.method == "sendMessage"]
    found = {}
    for row in message.inline():
        for label, data in row:
            assert data.startswith(("u:", "v:"))
            found[label.split(" (")[0]] = data
    return found


async def alone(tg: TelegramGateway) -> None:
    """A principal without dependents, whose phone is on file for her alone."""
    row = RegistryRow(
        national_id=ir_id(9001),
        given_name="Parisa",
        family_name="Nouri",
        birth_date=date(1990, 2, 2),
        sex="F",
        phone=ALONE_PHONE,
        relationship="self",
        principal_id=None,
        cover_start=date(2020, 1, 1),
        cover_end=date(2030, 12, 31),
        marital_status="single",
        student_until=None,
        birth_certificate_seen=None,
        disabled=False,
        has_income=False,
        other_insurer=None,
    )
    await tg.test.store.registry.upsert_rows([row])


@pytest.mark.parametrize("lang", LANGS)
async def test_a_photo_for_a_family_member_chosen_from_buttons(
    gateway: TelegramGateway, lang: str
) -> None:
    w = Wording(lang)
    user = await gateway.linked(ALI_PHONE, lang)
    content = jpeg_like(seed=len(lang))
    file_id = gateway.api.add_file(f"photo-{lang}", content)
    calls = await user.photo(file_id, size=len(content))
    assert only_text(calls) == w.t("telegram.upload.choose")
    buttons = upload_buttons(gateway, calls)
    assert set(buttons) >= {"Ali", "Hamid", "Sara"}
    assert gateway.api.downloads == []  # nothing fetched before the member is known
    calls = await user.tap(buttons["Hamid"])
    text = only_text(calls)
    [upload] = await queued(gateway)
    assert text == w.t(
        "telegram.upload.received", name="Hamid", reference=w.digits(upload.upload_id[:8])
    )
    assert [c.method for c in calls] == ["getFile", "answerCallbackQuery", "sendMessage"]
    assert gateway.api.downloads == [file_id]
    assert upload.national_id == gateway.nid("rezaei-son-no-cert")
    assert (upload.channel, upload.reply_to, upload.phone) == (
        "telegram",
        str(user.chat_id),
        ALI_PHONE,
    )
    assert (upload.language, upload.content_type, upload.size) == (lang, "image/jpeg", len(content))
    assert upload.sha256 == hashlib.sha256(content).hexdigest()
    assert await gateway.test.store.upload_files.get_file(upload.upload_id) == content


async def test_document_first_then_the_file(gateway: TelegramGateway) -> None:
    w = Wording("en")
    user = await gateway.linked(ALI_PHONE)
    calls = await user.command("document")
    assert only_text(calls) == w.t("telegram.upload.choose")
    calls = await user.tap(upload_buttons(gateway, calls)["Sara"])
    assert only_text(calls) == w.t("telegram.upload.prompt", name="Sara")
    file_id = gateway.api.add_file("sara-pdf", pdf("Birth certificate"))
    text = only_text(await user.document(file_id))
    assert text.startswith("Received: the document for Sara")
    [upload] = await queued(gateway)
    assert (upload.national_id, upload.content_type) == (
        gateway.nid("rezaei-daughter-no-bc"),
        "application/pdf",
    )


async def test_one_member_needs_no_question(gateway: TelegramGateway) -> None:
    await alone(gateway)
    user = await gateway.linked(ALONE_PHONE)
    file_id = gateway.api.add_file("parisa", png())
    text = only_text(await user.photo(file_id))
    assert text.startswith("Received: the document for Parisa")
    [upload] = await queued(gateway)
    assert (upload.national_id, upload.content_type) == (ir_id(9001), "image/png")
    assert only_text(await user.command("document")) == Wording("en").t(
        "telegram.upload.prompt", name="Parisa"
    )


async def test_the_same_file_twice_is_one_upload(gateway: TelegramGateway) -> None:
    await alone(gateway)
    user = await gateway.linked(ALONE_PHONE)
    file_id = gateway.api.add_file("again", png(seed=3))
    first = only_text(await user.photo(file_id))
    second = only_text(await user.photo(file_id))
    assert first == second
    assert len(await queued(gateway)) == 1


@pytest.mark.parametrize("lang", LANGS)
async def test_files_too_large_are_refused_before_fetching(
    gateway: TelegramGateway, lang: str
) -> None:
    await alone(gateway)
    user = await gateway.linked(ALONE_PHONE, lang)
    w = Wording(lang)
    file_id = gateway.api.add_file("big", png())
    text = only_text(await user.document(file_id, "application/pdf", size=10 * 1024 * 1024 + 1))
    assert text == w.t("telegram.upload.too_large", megabytes=w.digits("10"))
    text = only_text(await user.photo(file_id, size=11 * 1024 * 1024))
    assert text == w.t("telegram.upload.too_large", megabytes=w.digits("10"))
    assert gateway.api.downloads == [] and await queued(gateway) == []


async def test_a_file_larger_than_it_said_is_refused_after_fetching(
    make_telegram: MakeTelegram,
) -> None:
    tg = await make_telegram(extra={"uploads": {"max_bytes": 4096}})
    await alone(tg)
    user = await tg.linked(ALONE_PHONE)
    file_id = tg.api.add_file("liar", jpeg_like(size=5000))
    text = only_text(await user.photo(file_id, size=100))
    assert text == Wording("en").t("telegram.upload.too_large", megabytes="1")
    assert await queued(tg) == []


@pytest.mark.parametrize(
    ("content", "mime", "fetched"),
    [
        (NOT_A_PDF, "application/pdf", True),  # says PDF, is a program: its content decides
        (NOT_AN_IMAGE, "image/jpeg", True),
        (b"", "application/pdf", True),
        (pdf(), "application/zip", False),  # refused on what it says, never fetched
        (pdf(), None, False),
    ],
)
async def test_only_images_and_pdf_by_their_content(
    gateway: TelegramGateway, content: bytes, mime: str | None, fetched: bool
) -> None:
    await alone(gateway)
    user = await gateway.linked(ALONE_PHONE)
    file_id = gateway.api.add_file("odd", content)
    text = only_text(await user.document(file_id, mime))
    assert text == Wording("en").t("telegram.upload.type")
    assert gateway.api.downloads == (["odd"] if fetched else [])
    assert await queued(gateway) == []


async def test_a_file_the_bot_api_does_not_give_is_asked_again(gateway: TelegramGateway) -> None:
    await alone(gateway)
    user = await gateway.linked(ALONE_PHONE)
    text = only_text(await user.photo("never-uploaded"))
    assert text == Wording("en").t("telegram.upload.failed")
    assert await queued(gateway) == []


async def test_a_chat_not_linked_is_asked_for_the_phone(gateway: TelegramGateway) -> None:
    user = gateway.user("en")
    file_id = gateway.api.add_file("anon", png())
    assert only_text(await user.photo(file_id)) == Wording("en").t("telegram.need_phone")
    assert gateway.api.downloads == []


async def test_a_providers_phone_has_nobody_to_send_for(gateway: TelegramGateway) -> None:
    user = await gateway.linked(PROVIDER_PHONE)
    file_id = gateway.api.add_file("rx", png())
    text = only_text(await user.photo(file_id))
    assert text == Wording("en").t("telegram.cover.none", hotline="1420")


async def test_forged_or_stale_member_buttons_change_nothing(gateway: TelegramGateway) -> None:
    user = await gateway.linked(ALI_PHONE)
    file_id = gateway.api.add_file("forged", png())
    await user.photo(file_id)
    text = only_text(await user.tap(callback(Tap.UPLOAD, "0123456789ab")))
    assert text == Wording("en").t("telegram.family.gone")
    assert gateway.api.downloads == [] and await queued(gateway) == []


async def test_a_menu_choice_drops_the_waiting_file(gateway: TelegramGateway) -> None:
    user = await gateway.linked(ALI_PHONE)
    file_id = gateway.api.add_file("dropped", png())
    calls = await user.photo(file_id)
    buttons = upload_buttons(gateway, calls)
    await user.command("help")
    text = only_text(await user.tap(buttons["Hamid"]))
    # No file waits any more: the member is remembered for the next one.
    assert text == Wording("en").t("telegram.upload.prompt", name="Hamid")
    assert gateway.api.downloads == []


async def test_uploads_switched_off(make_telegram: MakeTelegram) -> None:
    tg = await make_telegram(extra={"uploads": {"enabled": False}})
    user = await tg.linked(ALI_PHONE, "fa")
    file_id = tg.api.add_file("off", png())
    assert only_text(await user.photo(file_id)) == Wording("fa").t("telegram.upload.off")
    assert only_text(await user.command("document")) == Wording("fa").t("telegram.upload.off")


async def test_a_second_page_of_members(make_telegram: MakeTelegram) -> None:
    tg = await make_telegram(telegram={"page_size": 2})
    user: TelegramUser = await tg.linked(ALI_PHONE)
    calls = await user.command("document")
    [message] = [c for c in calls if c.method == "sendMessage"]
    nav = message.inline()[-1]
    assert nav[-1][1] == callback(Tap.UPLOAD_PAGE, "1")
    calls = await user.tap(nav[-1][1])
    [edit] = [c for c in calls if c.method == "editMessageReplyMarkup"]
    assert edit.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"].startswith("u:")


async def test_on_sqlite_the_file_lies_in_the_store(make_telegram: MakeTelegram) -> None:
    tg = await make_telegram(store="sqlite")
    await alone(tg)
    user = await tg.linked(ALONE_PHONE)
    content = pdf("kept")
    file_id = tg.api.add_file("kept", content)
    await user.document(file_id)
    [upload] = await queued(tg)
    assert await tg.test.store.upload_files.get_file(upload.upload_id) == content
