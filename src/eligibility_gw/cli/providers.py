"""``providers``: register providers, print their key once, (de)activate, list."""

from __future__ import annotations

import argparse
from collections import Counter

from eligibility_gw.cli.common import EXIT_FAILED, EXIT_OK, CommandError, err, gateway_from, out
from eligibility_gw.domain.provider import ProviderKind
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
    checked) is flagged, since its inquiries cannot be told apart."""
    async with gateway_from(args) as gateway:
        providers = await gateway.store.providers.list()
    holders = Counter(p.phone for p in providers if p.phone)
    for p in providers:
        state = "active" if p.active else "DEACTIVATED"
        phone = p.phone or "-"
        if p.phone and holders[p.phone] > 1:
            phone += " (SHARED: give each provider its own)"
        out(f"{p.provider_id}\t{p.kind.value}\t{state}\t{phone}\t{p.name}")
    if not providers:
        out("no providers registered")
    return EXIT_OK


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
    lst.set_defaults(command=cmd_list)
