"""``serve``: run the HTTP app with every configured channel."""

from __future__ import annotations

import argparse

from aiohttp import web

from eligibility_gw.app import create_app
from eligibility_gw.cli.common import EXIT_OK, settings_from
from eligibility_gw.settings import Settings


async def serve_forever(settings: Settings, host: str, port: int) -> None:
    """Serve until interrupted; aiohttp's runner drains and runs the clean-ups."""
    import asyncio

    app = create_app(settings)
    runner = web.AppRunner(app, handle_signals=True)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    print(f"eligibility-gw serving on http://{host}:{port} (Ctrl-C to stop)", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the app."""
    settings = settings_from(args)
    await serve_forever(
        settings, args.host or settings.server.host, args.port or settings.server.port
    )
    return EXIT_OK


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command to the parser."""
    p = sub.add_parser("serve", parents=[common], help="serve the HTTP app")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(command=cmd_serve)
