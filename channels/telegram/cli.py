"""``telegram set-webhook``: register our webhook, with its secret, with Telegram."""

from __future__ import annotations

import argparse

from eligibility_gw.cli.common import EXIT_OK, CommandError, out, settings_from


async def cmd_set_webhook(args: argparse.Namespace) -> int:
    """Call ``setWebhook`` with the secret and the updates the bot answers."""
    from telegram.error import InvalidToken, TelegramError

    from eligibility_gw.channels.telegram.bot import ALLOWED_UPDATES, make_bot
    from eligibility_gw.channels.telegram.settings import telegram_settings
    from eligibility_gw.channels.telegram.webhook import SECRET_FORM

    settings = settings_from(args)
    s = telegram_settings(settings)
    token = settings.secret(s.token_env)
    if token is None:
        raise CommandError(f"${s.token_env} is not set: the Telegram channel is off")
    secret = settings.secret(s.secret_env)
    if secret is None or not SECRET_FORM.match(secret):
        raise CommandError(f"${s.secret_env}: set it to 1 to 256 characters of A-Z a-z 0-9 _ -")
    url = args.url or settings.server.public_base_url.rstrip("/") + s.webhook_path
    if not url.startswith(("https://", "http://")):
        raise CommandError(f"--url: expected an https:// URL, not {url!r}")
    try:
        async with make_bot(s, token) as bot:
            await bot.set_webhook(
                url,
                secret_token=secret,
                allowed_updates=list(ALLOWED_UPDATES),
                drop_pending_updates=args.drop_pending_updates,
            )
    except InvalidToken:  # never its text: it quotes the token
        raise CommandError(f"Telegram rejected the bot token in ${s.token_env}") from None
    except TelegramError as exc:
        raise CommandError(f"Telegram refused the webhook: {exc.message}") from None
    out(f"webhook set: {url} (updates: {', '.join(ALLOWED_UPDATES)})")
    return EXIT_OK


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command to the parser."""
    p = sub.add_parser("telegram", help="Telegram channel tasks")
    tasks = p.add_subparsers(dest="task", required=True, metavar="TASK")
    hook = tasks.add_parser(
        "set-webhook",
        parents=[common],
        help="register the webhook and its secret with Telegram",
    )
    hook.add_argument(
        "--url",
        help="the public webhook URL (default: [server] public_base_url + webhook_path)",
    )
    hook.add_argument(
        "--drop-pending-updates",
        action="store_true",
        help="drop the updates Telegram holds for the bot",
    )
    hook.set_defaults(command=cmd_set_webhook)
