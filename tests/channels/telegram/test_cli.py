"""``eligibility-gw telegram set-webhook`` against the fake Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from eligibility_gw.cli.common import CommandError
from eligibility_gw.cli.main import build_parser, main
from tests.channels.telegram.fakeapi import FakeBotApi
from tests.channels.telegram.support import PUBLIC, SECRET, SECRET_ENV, TOKEN_ENV


@pytest.fixture
def config(tmp_path: Path, api_url: str) -> Path:
    """A settings file pointing the channel at the fake."""
    path = tmp_path / "gateway.toml"
    path.write_text(
        "[server]\n"
        f'public_base_url = "{PUBLIC}/"\n'
        "[channels.telegram]\n"
        f'token_env = "{TOKEN_ENV}"\n'
        f'secret_env = "{SECRET_ENV}"\n'
        f'api_base_url = "{api_url}/bot"\n'
        'webhook_path = "/channels/telegram/hook-7f3a"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture(autouse=True)
def keep_logging_setup() -> Iterator[None]:
    """Commands configure structlog for the process: put the tests' set-up back."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


async def set_webhook(*argv: str) -> int:
    """Run the command as the console script's parser reads it."""
    args = build_parser().parse_args(["telegram", "set-webhook", *argv])
    return int(await args.command(args))


async def test_registers_the_public_url_with_the_secret(config: Path, fake_api: FakeBotApi) -> None:
    assert await set_webhook("--config", str(config)) == 0
    assert [c.method for c in fake_api.calls] == ["getMe", "setWebhook"]
    params = fake_api.calls[1].params
    assert params == {
        "url": f"{PUBLIC}/channels/telegram/hook-7f3a",
        "secret_token": SECRET,
        "allowed_updates": ["message", "callback_query"],
        "drop_pending_updates": False,
    }


async def test_a_given_url_and_dropping_pending_updates(config: Path, fake_api: FakeBotApi) -> None:
    url = "https://bot.example.org/channels/telegram/hook-7f3a"
    assert await set_webhook("--config", str(config), "--url", url, "--drop-pending-updates") == 0
    params = fake_api.calls[-1].params
    assert (params["url"], params["drop_pending_updates"]) == (url, True)


async def test_through_the_console_script(
    config: Path, fake_api: FakeBotApi, capsys: pytest.CaptureFixture[str]
) -> None:
    # main() runs its own event loop; the fake keeps serving on this one meanwhile.
    code = await asyncio.to_thread(main, ["telegram", "set-webhook", "--config", str(config)])
    assert code == 0
    assert (
        "webhook set: https://egw.example.org/channels/telegram/hook-7f3a"
        in capsys.readouterr().out
    )
    assert fake_api.calls[-1].method == "setWebhook"


@pytest.mark.parametrize(
    ("unset", "value", "message"),
    [
        (TOKEN_ENV, None, "the Telegram channel is off"),
        (SECRET_ENV, None, SECRET_ENV),
        (SECRET_ENV, "not a valid secret!", SECRET_ENV),
    ],
)
async def test_refuses_without_token_or_valid_secret(
    config: Path,
    fake_api: FakeBotApi,
    monkeypatch: pytest.MonkeyPatch,
    unset: str,
    value: str | None,
    message: str,
) -> None:
    if value is None:
        monkeypatch.delenv(unset)
    else:
        monkeypatch.setenv(unset, value)
    with pytest.raises(CommandError, match=message):
        await set_webhook("--config", str(config))
    assert fake_api.calls == []


async def test_a_rejected_token_is_reported_without_quoting_it(
    config: Path, fake_api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "42:wrong-token")
    with pytest.raises(CommandError) as raised:
        await set_webhook("--config", str(config))
    assert "wrong-token" not in str(raised.value)
    assert TOKEN_ENV in str(raised.value)


async def test_a_refusal_of_the_bot_api_is_reported(config: Path, fake_api: FakeBotApi) -> None:
    fake_api.failing.add("setWebhook")
    with pytest.raises(CommandError, match="Telegram refused the webhook: Bad Gateway"):
        await set_webhook("--config", str(config))
