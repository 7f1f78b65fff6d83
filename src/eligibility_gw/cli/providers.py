"""``providers``: register providers, print their key once, (de)activate, list."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import structlog
from aiohttp import web

from eligibility_gw.appkeys import GATEWAY
from eligibility_gw.cli.common import EXIT_FAILED, EXIT_OK, CommandError, err, gateway_from, out
from eligibility_gw.domain.provider import ProviderKind, is_stale, stale_from
from eligibility_gw.gateway import Gateway
from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.provider_feed import FeedHeaderError, check_stale, import_providers
from eligibility_gw.providers import (
    PROVIDER_ID,
    PhoneRefused,
    hash_api_key,
    new_api_key,
    phone_free,
    provider_phone,
)


async def cmd_add(args: argparse.Namespace) -> int:
    """Register a provider and print its API key (shown this once only)."""
    if not PROVIDER_ID.match(args.id):
        raise CommandError("provider id: letters, digits, '.', '_' or '-', at most 64")
    async with gateway_from(args) as gateway:
        rules = gateway.pack.providers
        if not rules.id_ok(args.id):
            raise CommandError(
                f"provider id {args.id!r} is not a {rules.id_label} (rule pack"
                f" {gateway.pack.label}: {rules.id_pattern})"
            )
        phone = None
        if args.phone:
            try:
                phone = provider_phone(args.phone, gateway.pack.phone_region)
                await phone_free(phone, gateway.store.providers, gateway.store.registry)
            except PhoneRefused as exc:
                raise CommandError(f"--phone: {exc}") from exc
        key = new_api_key()
        try:
            await gateway.store.providers.add(
                args.id, args.name, ProviderKind(args.kind), phone, hash_api_key(key)
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
    out(f"provider {args.id} registered; its API key (shown only now, keep it safe):")
    out(key)
    return EXIT_OK


async def _set_active(args: argparse.Namespace, active: bool) -> int:
    async with gateway_from(args) as gateway:
        provider = await gateway.store.providers.set_active(args.id, active)
    if provider is None:
        err(f"no provider {args.id!r}")
        return EXIT_FAILED
    out(f"provider {args.id} {'activated' if active else 'deactivated'}")
    return EXIT_OK


async def cmd_activate(args: argparse.Namespace) -> int:
    """Let a provider ask again."""
    return await _set_active(args, True)


async def cmd_deactivate(args: argparse.Namespace) -> int:
    """Refuse a provider's inquiries until it is activated again."""
    return await _set_active(args, False)


async def cmd_list(args: argparse.Namespace) -> int:
    """One line per provider; a phone several providers hold (registered before phones were
    checked) is flagged, since its inquiries cannot be told apart. A provider whose registry
    data is stale today is marked so (``--stale``: only those)."""
    async with gateway_from(args) as gateway:
        providers = await gateway.store.providers.list()
        months = gateway.pack.providers.stale_after_months
        today = gateway.settings.today()
    holders = Counter(p.phone for p in providers if p.phone)
    shown = 0
    for p in providers:
        stale = is_stale(p, months, today)
        if args.stale and not stale:
            continue
        shown += 1
        state = "active" if p.active else "DEACTIVATED"
        if stale:
            state = f"STALE since {stale_from(p, months)}"
        if p.last_updated is not None:  # providers of the registry feed: when data came
            state += f" (data of {p.last_updated})"
        phone = p.phone or "-"
        if p.phone and holders[p.phone] > 1:
            phone += " (SHARED: give each provider its own)"
        out(f"{p.provider_id}\t{p.kind.value}\t{state}\t{phone}\t{p.name}")
    if not providers:
        out("no providers registered")
    elif args.stale and not shown:
        out("no stale providers" if months else "the rule pack sets no stale_after_months")
    return EXIT_OK


async def cmd_import(args: argparse.Namespace) -> int:
    """Upsert the providers of a registry feed (CNES); print each new provider's key once."""
    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    async with gateway_from(args) as gateway:
        today = gateway.settings.today()
        try:
            report = await import_providers(
                path, gateway.store.providers, gateway.store.registry, gateway.pack, today
            )
        except FeedHeaderError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        found = await check_stale(gateway.store.providers, gateway.pack, today)
    for problem in report.problems:
        err(f"{path}:{problem.line}: {problem.reason}")
    for provider in report.older:
        err(f"{path}: {provider.provider_id}: the row is older than the data on file; kept")
    if report.created:
        out("new providers and their API keys (shown only now, keep them safe):")
        for provider, key in report.created:
            out(f"{provider.provider_id}\t{key}")
    for provider in report.reactivated:
        out(f"provider {provider.provider_id} is active again (data of {provider.last_updated})")
    for provider in found:
        out(f"provider {provider.provider_id} is stale (data of {provider.last_updated})")
    out(
        f"{len(report.created)} created, {len(report.updated) + len(report.reactivated)}"
        f" updated ({len(report.reactivated)} active again), {len(report.problems)} refused"
        f" ({report.rows_read} read)"
    )
    return EXIT_FAILED if report.problems else EXIT_OK


log = structlog.get_logger(__name__)
#: How often ``serve`` looks for providers whose registry data went stale.
STALE_CHECK_SECONDS = 24 * 3600.0


async def run_stale_checks(
    gateway: Gateway, sleep: Callable[[float], Awaitable[None]], every: float = STALE_CHECK_SECONDS
) -> None:
    """Record stale providers now, then once every ``every`` seconds, until cancelled.

    Answers never wait for it: the inquiry policy refuses a stale provider from its first
    stale day whatever is recorded; the check only keeps ``providers list`` and the log
    telling. A store that cannot answer is tried again at the next round.
    """
    while True:
        try:
            found = await check_stale(
                gateway.store.providers, gateway.pack, gateway.settings.today()
            )
        except StoreUnavailable as exc:
            log.warning("stale_check_failed", error=exc.problem)
        else:
            for provider in found:
                log.warning(
                    "provider_stale",
                    provider=provider.provider_id,
                    last_updated=str(provider.last_updated),
                )
        await sleep(every)


async def daily_provider_check(app: web.Application) -> AsyncIterator[None]:
    """A clean-up context for ``serve``: the daily check of stale providers, when the rule
    pack sets ``[providers] stale_after_months`` (every worker may run it: it only records)."""
    gateway = app[GATEWAY]
    if gateway.pack.providers.stale_after_months is None:
        yield
        return
    task = asyncio.get_running_loop().create_task(
        run_stale_checks(gateway, asyncio.sleep), name="daily-provider-check"
    )
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command group to the parser."""
    p = sub.add_parser("providers", help="manage registered providers")
    psub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = psub.add_parser("add", parents=[common], help="register a provider, print its key")
    add.add_argument("--id", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--kind", required=True, choices=[k.value for k in ProviderKind])
    add.add_argument(
        "--phone",
        help="the provider's own mobile (E.164, or local form in the rule pack's region)",
    )
    add.set_defaults(command=cmd_add)
    for name, fn, text in (
        ("deactivate", cmd_deactivate, "refuse the provider's inquiries"),
        ("activate", cmd_activate, "accept the provider's inquiries again"),
    ):
        q = psub.add_parser(name, parents=[common], help=text)
        q.add_argument("id")
        q.set_defaults(command=fn)
    lst = psub.add_parser("list", parents=[common], help="list providers")
    lst.add_argument(
        "--stale", action="store_true", help="only those whose registry data is too old"
    )
    lst.set_defaults(command=cmd_list)
    feed = psub.add_parser(
        "import",
        parents=[common],
        help="upsert providers from a registry feed CSV (id,name,kind,phone,last_updated)",
    )
    feed.add_argument("file", metavar="FILE.csv")
    feed.set_defaults(command=cmd_import)
