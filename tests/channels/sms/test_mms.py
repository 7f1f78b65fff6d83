"""Documents sent by MMS: ``NumMedia``/``MediaUrl0`` fetched from the fake Twilio with the
account's credentials, for the member the text names (or the only one), queued for staff;
refused in words when too large, not an image or PDF, or not Twilio's."""

from __future__ import annotations

import base64
import hashlib
from datetime import date

import pytest

from eligibility_gw.channels.sms.media import allowed
from eligibility_gw.ports import RegistryRow
from eligibility_gw.ports.uploads import Upload, UploadStatus
from eligibility_gw.textbudget import sms_segments
from eligibility_gw.wording import Wording
from tests.channels.sms.conftest import MakeSms
from tests.channels.sms.support import (
    ACCOUNT_SID,
    AHMADI,
    PROVIDER,
    REZAEI,
    STRANGER,
    TOKEN,
    FakeTwilio,
    SmsGateway,
    mms_form,
)
from tests.conftest import ir_id
from tests.integration.upload_samples import NOT_AN_IMAGE, jpeg_like, pdf, png

ALONE = "+989121234567"


async def queued(sms: SmsGateway) -> list[Upload]:
    return await sms.store.uploads.list_uploads([UploadStatus.PENDING])


async def alone(sms: SmsGateway) -> None:
    await sms.store.registry.upsert_rows(
        [
            RegistryRow(
                national_id=ir_id(9101),
                given_name="Parisa",
                family_name="Nouri",
                birth_date=date(1990, 2, 2),
                sex="F",
                phone=ALONE,
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
        ]
    )


@pytest.mark.parametrize("lang", ["en", "fa"])
async def test_a_picture_for_the_member_the_text_names(
    make_sms: MakeSms, fake_twilio: FakeTwilio, lang: str
) -> None:
    sms = await make_sms(languages=(lang, "en"))
    content = jpeg_like()
    url = fake_twilio.add_media(content)
    hamid = sms.nid("rezaei-son-no-cert")
    reply = await sms.post(mms_form(REZAEI, f"{hamid}", url))
    w = Wording(lang)
    [upload] = await queued(sms)
    assert reply.status == 200
    assert reply.message == w.t(
        "sms.upload.received", name="Hamid", reference=w.digits(upload.upload_id[:8])
    )
    assert reply.segments <= 2
    expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{TOKEN}".encode()).decode()
    assert fake_twilio.media_fetches == [expected]  # the account's credentials
    assert (upload.national_id, upload.channel, upload.reply_to) == (hamid, "sms", REZAEI)
    assert upload.sha256 == hashlib.sha256(content).hexdigest()
    assert upload.language == lang
    assert await sms.store.upload_files.get_file(upload.upload_id) == content


async def test_by_first_name(make_sms: MakeSms, fake_twilio: FakeTwilio) -> None:
    sms = await make_sms()
    url = fake_twilio.add_media(pdf())
    reply = await sms.post(mms_form(REZAEI, "sara", url, "application/pdf"))
    assert reply.message is not None and reply.message.startswith("Received: the document for Sara")
    [upload] = await queued(sms)
    assert (upload.national_id, upload.content_type) == (
        sms.nid("rezaei-daughter-no-bc"),
        "application/pdf",
    )


async def test_one_member_needs_no_name(make_sms: MakeSms, fake_twilio: FakeTwilio) -> None:
    sms = await make_sms()
    await alone(sms)
    reply = await sms.post(mms_form(ALONE, "", fake_twilio.add_media(png())))
    assert reply.message is not None and reply.message.startswith(
        "Received: the document for Parisa"
    )


@pytest.mark.parametrize("body", ["", "for my son", "1000000000"])
async def test_a_family_phone_is_asked_whose(
    make_sms: MakeSms, fake_twilio: FakeTwilio, body: str
) -> None:
    sms = await make_sms()
    reply = await sms.post(mms_form(REZAEI, body, fake_twilio.add_media(png())))
    assert reply.message is not None
    assert reply.message.startswith("Whose document is it?")
    assert "Hamid" in reply.message
    assert reply.segments <= 3
    assert fake_twilio.media_fetches == [] and await queued(sms) == []


async def test_someone_the_phone_may_not_see_is_not_named_back(
    make_sms: MakeSms, fake_twilio: FakeTwilio
) -> None:
    sms = await make_sms()
    karimi_son = sms.nid("karimi-son-lapsed")
    reply = await sms.post(mms_form(AHMADI, karimi_son, fake_twilio.add_media(png())))
    assert reply.message is not None and reply.message.startswith("Whose document is it?")
    assert "Mehdi" not in reply.message
    assert await queued(sms) == []


@pytest.mark.parametrize("phone", [STRANGER, PROVIDER])
async def test_phones_on_file_for_nobody_cannot_send(
    make_sms: MakeSms, fake_twilio: FakeTwilio, phone: str
) -> None:
    sms = await make_sms()
    reply = await sms.post(mms_form(phone, "", fake_twilio.add_media(png())))
    assert reply.message == Wording("en").t("sms.not_on_file", hotline="1420")
    assert fake_twilio.media_fetches == []


@pytest.mark.parametrize("lang", ["en", "fa"])
async def test_not_an_image_nor_a_pdf(
    make_sms: MakeSms, fake_twilio: FakeTwilio, lang: str
) -> None:
    sms = await make_sms(languages=(lang,))
    await alone(sms)
    reply = await sms.post(mms_form(ALONE, "", fake_twilio.add_media(NOT_AN_IMAGE), "image/jpeg"))
    assert reply.message == Wording(lang).t("sms.upload.type")
    assert await queued(sms) == []


async def test_too_large(make_sms: MakeSms, fake_twilio: FakeTwilio) -> None:
    sms = await make_sms(extra={"uploads": {"max_bytes": 2048}})
    await alone(sms)
    reply = await sms.post(mms_form(ALONE, "", fake_twilio.add_media(jpeg_like(size=4096))))
    assert reply.message == Wording("en").t("sms.upload.too_large", megabytes="1")
    assert await queued(sms) == []


async def test_media_elsewhere_than_twilio_is_never_fetched(
    make_sms: MakeSms, fake_twilio: FakeTwilio
) -> None:
    sms = await make_sms()
    await alone(sms)
    other_account = fake_twilio.add_media(png(), account="AC" + "9" * 32)
    for url in ("http://169.254.169.254/latest/meta-data/", other_account):
        reply = await sms.post(mms_form(ALONE, "", url))
        assert reply.message == Wording("en").t("sms.upload.failed")
    assert fake_twilio.media_fetches == [] and await queued(sms) == []


async def test_a_medium_twilio_no_longer_has(make_sms: MakeSms, fake_twilio: FakeTwilio) -> None:
    sms = await make_sms()
    await alone(sms)
    url = fake_twilio.add_media(png())
    fake_twilio.media.clear()
    reply = await sms.post(mms_form(ALONE, "", url))
    assert reply.message == Wording("en").t("sms.upload.failed")


async def test_uploads_off(make_sms: MakeSms, fake_twilio: FakeTwilio) -> None:
    sms = await make_sms(extra={"uploads": {"enabled": False}})
    reply = await sms.post(mms_form(REZAEI, "", fake_twilio.add_media(png())))
    assert reply.message == Wording("en").t("sms.upload.off")


async def test_a_plain_sms_is_still_a_command(make_sms: MakeSms) -> None:
    sms = await make_sms()
    reply = await sms.text(REZAEI, "HELP")
    assert reply.message is not None and not reply.message.startswith("Received")


def test_allowed_addresses() -> None:
    base = "https://api.twilio.com"
    ok = f"{base}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM1/Media/ME1"
    assert allowed(ok, base, ACCOUNT_SID)
    assert not allowed(ok.replace("https:", "http:"), base, ACCOUNT_SID)
    assert not allowed(
        ok.replace("api.twilio.com", "api.twilio.com.evil.example"), base, ACCOUNT_SID
    )
    assert not allowed(ok, base, "AC" + "2" * 32)
    assert not allowed(ok, base, "")


def test_every_reply_fits_three_sms_in_every_language() -> None:
    for lang in ("en", "fa"):
        w = Wording(lang)
        for key in ("sms.upload.received", "sms.upload.whose", "sms.upload.too_large"):
            text = w.t(key, name="Mohammadreza", reference="a1b2c3d4", megabytes="10", names="")
            assert sms_segments(text) <= 3, (lang, key)
