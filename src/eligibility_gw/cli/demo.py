"""``demo``: build a demo registry (personas plus synthetic families) and serve it."""

from __future__ import annotations

import argparse
from pathlib import Path

from eligibility_gw.bootstrap import open_gateway
from eligibility_gw.cli.common import EXIT_OK, out, settings_from
from eligibility_gw.cli.serve import serve_forever
from eligibility_gw.demo import DEMO_PROVIDER_ID, DEMO_PROVIDER_KEY, personas, seed_demo
from eligibility_gw.rulepacks import rule_pack_for
from eligibility_gw.settings import Settings
from eligibility_gw.synthetic import synthetic_rows

DEFAULT_DB = "var/demo.sqlite3"


async def build_demo(settings: Settings, families: int) -> int:
    """Fill the store with personas and ``families`` synthetic families; return the count."""
    gateway = await open_gateway(settings)
    try:
        today = settings.today()
        await seed_demo(gateway.store, gateway.pack, today)
        batch = []
        for row in synthetic_rows(gateway.pack, families, today):
            batch.append(row)
            if len(batch) >= 20_000:
                await gateway.store.registry.upsert_rows(batch)
                batch = []
        if batch:
            await gateway.store.registry.upsert_rows(batch)
        return await gateway.store.registry.count_people()
    finally:
        await gateway.close()


async def cmd_demo(args: argparse.Namespace) -> int:
    """Build the demo database, list the personas, and serve unless told not to."""
    settings = settings_from(args) if args.db else settings_from(args).with_store_path(DEFAULT_DB)
    if args.fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(str(settings.store.url.removeprefix("sqlite:///")) + suffix).unlink(
                missing_ok=True
            )
    count = await build_demo(settings, args.families)
    pack = rule_pack_for(settings)
    out(f"demo registry ready: {count} persons under {pack.label} in {settings.store.url}")
    out(f"demo provider {DEMO_PROVIDER_ID}: API key {DEMO_PROVIDER_KEY}")
    out("personas (national id, who, what the answer shows):")
    for p in personas(pack, settings.today()):
        out(f"  {p.row.national_id}  {p.key:<26} {p.shows}")
    if args.no_serve:
        return EXIT_OK
    await serve_forever(
        settings, args.host or settings.server.host, args.port or settings.server.port
    )
    return EXIT_OK


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command to the parser."""
    p = sub.add_parser(
        "demo", parents=[common], help=f"build a demo registry (default {DEFAULT_DB}) and serve it"
    )
    p.add_argument("--families", type=int, default=10_000, help="synthetic families (10000)")
    p.add_argument("--fresh", action="store_true", help="start from an empty database")
    p.add_argument("--no-serve", action="store_true", help="build the database and stop")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(command=cmd_demo)
