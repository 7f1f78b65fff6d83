"""``check``: the operator's full view of one answer, logged like any other."""

from __future__ import annotations

import argparse
import json

from eligibility_gw.cli.common import EXIT_OK, gateway_from, out
from eligibility_gw.domain.model import ServiceSetting
from eligibility_gw.policy.askers import Asker
from eligibility_gw.presenting import PresentedAnswer, present
from eligibility_gw.textinput import parse_date
from eligibility_gw.wording import Wording


def render_text(p: PresentedAnswer, w: Wording) -> str:
    """The answer as labelled lines."""
    lines = [
        f"{w.t('status.' + p.status.value)}",
        f"  {w.t('label.member')}: {p.member_name or '-'}"
        + (f" ({p.relationship_text})" if p.relationship_text else ""),
        f"  {w.t('label.service_date')}: {p.service_date_text}",
        f"  {w.t('label.cover_end')}: {p.cover_end_text or '-'}",
    ]
    if p.cover_ended_text:
        lines.append(f"  {w.t('label.cover_ended')}: {p.cover_ended_text}")
    if p.category_text:
        lines.append(f"  {w.t('label.category')}: {p.category_text}")
    for held in p.privileges:
        until = w.t("label.privilege_until", date=held.until_text) if held.until_text else ""
        lines.append(f"  {w.t('label.privilege')}: {held.name}" + (f" ({until})" if until else ""))
        if held.instruction:
            lines.append(f"    {held.instruction}")
    for r in p.reasons:
        lines.append(f"  {w.t('label.reasons')}: [{r.code}] {r.message}")
        if r.resolve:
            lines.append(f"  {w.t('label.resolve')}: {r.resolve}")
    lines.append(f"  {w.t('label.tracking_code')}: {p.tracking_code}")
    lines.append(f"  {w.t('label.rule_pack')}: {p.rule_pack}")
    return "\n".join(lines)


async def cmd_check(args: argparse.Namespace) -> int:
    """Answer one inquiry and print it."""
    async with gateway_from(args) as gateway:
        day = parse_date(args.date) if args.date else None
        answer = await gateway.inquiries.ask(
            Asker.for_operator(), args.national_id, day, args.setting
        )
        w = Wording(args.lang or gateway.settings.default_language)
        shown = present(answer, w, gateway.pack)
    if args.json:
        data = shown.as_json()
        data["tracking_code"] = answer.tracking_code.grouped()
        out(json.dumps(data, ensure_ascii=False))
    else:
        out(render_text(shown, w))
    return EXIT_OK


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command to the parser."""
    p = sub.add_parser("check", parents=[common], help="check one person's eligibility")
    p.add_argument("national_id")
    p.add_argument("--date", help="service date YYYY-MM-DD (default: today)")
    p.add_argument(
        "--setting",
        default="outpatient",
        choices=[s.value for s in ServiceSetting],
        help="where treatment is given (sanatorium: where the rule pack has it)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--lang", help="language of the text (default: the first configured)")
    p.set_defaults(command=cmd_check)
