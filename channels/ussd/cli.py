"""``ussd-menu``: print the whole USSD menu tree (text or Mermaid) for review."""

from __future__ import annotations

import argparse

from eligibility_gw.channels.ussd.hops import UssdChannel
from eligibility_gw.channels.ussd.settings import ussd_settings
from eligibility_gw.channels.ussd.tree import render_mermaid, render_text
from eligibility_gw.cli.common import EXIT_OK, out, settings_from
from eligibility_gw.rulepacks import rule_pack_for
from eligibility_gw.wording import available_languages


async def cmd_ussd_menu(args: argparse.Namespace) -> int:
    """Print the menu tree in one language."""
    settings = settings_from(args)
    engine = UssdChannel(ussd_settings(settings)).engine
    language = args.lang or settings.default_language
    render = render_mermaid if args.format == "mermaid" else render_text
    languages = settings.gateway.languages
    out(render(engine, rule_pack_for(settings), language, languages, settings.today()))
    return EXIT_OK


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command to the parser."""
    p = sub.add_parser("ussd-menu", parents=[common], help="print the USSD menu tree")
    p.add_argument("--format", choices=["text", "mermaid"], default="text")
    p.add_argument(
        "--lang",
        choices=list(available_languages()),
        help="language of the texts (default: the first configured)",
    )
    p.set_defaults(command=cmd_ussd_menu)
