"""The whole menu as a tree (text) or a graph (Mermaid), for a product owner to review."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from eligibility_gw.channels.ussd.checks import SAMPLE_CALLERS, sample_context
from eligibility_gw.channels.ussd.engine import Context, Engine
from eligibility_gw.channels.ussd.screens import (
    Choice,
    Gate,
    Guard,
    Info,
    LanguageChoice,
    Pick,
    Prompt,
    Result,
    Screen,
)
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.wording import Wording

_EVERYONE = SAMPLE_CALLERS[-1]


def _context(pack: RulePack, languages: tuple[str, ...], today: date) -> Context:
    return sample_context(pack, today, languages, _EVERYONE)


def _oneline(text: str) -> str:
    return " / ".join(part.strip() for part in text.splitlines() if part.strip())


def _what(engine: Engine, screen: Screen, ctx: Context, language: str) -> str:
    """A screen in one line: its kind, whether it continues, and its text."""
    if isinstance(screen, Gate):
        return f"[gate: {screen.requires.value}?]"
    if isinstance(screen, Result):
        return f"[answer, END] {screen.effect.value}"
    text = _oneline(engine.render(screen.id, ctx, language))
    if isinstance(screen, Info):
        return f'[END] "{text}"'
    extra = ""
    if isinstance(screen, Pick):
        extra = f": {screen.source.value}, paged"
        if screen.skip_single:
            extra += "; one person: answered at once"
    elif isinstance(screen, Prompt):
        extra = f": {screen.parse.value}"
    return f'[{screen.kind}{extra}, CON] "{text}"'


def _edges(screen: Screen, w: Wording) -> list[tuple[str, str]]:
    """(label, target) of each way out of a screen."""
    if isinstance(screen, Choice):
        out = []
        for i, o in enumerate(screen.options, start=1):
            who = "" if o.when is Guard.ANYONE else f" [{o.when.value}]"
            out.append((f"{i}. {w.t(o.label)}{who}", o.target))
        return out
    if isinstance(screen, Pick):
        return [("a person", screen.target)]
    if isinstance(screen, Prompt):
        return [("valid answer", screen.target)]
    if isinstance(screen, LanguageChoice):
        return [("a language", screen.target)]
    if isinstance(screen, Gate):
        return [("yes", screen.then), ("no", screen.otherwise)]
    return []


def render_text(
    engine: Engine, pack: RulePack, language: str, languages: tuple[str, ...], today: date
) -> str:
    """The menu tree, indented, each screen once."""
    ctx = _context(pack, languages, today)
    w = Wording(language)
    limits = engine.limits
    head = [
        f"USSD menu ({w.language}); on every asking screen: 0 back (or previous page), "
        f"00 main menu, 98 more; {limits.max_invalid} invalid answers in a row end the session.",
        "Options are numbered among those the caller sees; [who] marks options not everyone sees.",
        "",
    ]
    menu = engine.menu
    printed: set[str] = set()

    def walk(screen_id: str, prefix: str) -> Iterator[str]:
        screen = menu[screen_id]
        printed.add(screen_id)
        edges = _edges(screen, w)
        for i, (label, target) in enumerate(edges):
            last = i == len(edges) - 1
            branch, carry = ("└─ ", "   ") if last else ("├─ ", "│  ")
            if target in printed:
                yield f"{prefix}{branch}{label} → {target} (above)"
                continue
            yield f"{prefix}{branch}{label} → {target} {_what(engine, menu[target], ctx, language)}"
            yield from walk(target, prefix + carry)

    root = f"{menu.home} {_what(engine, menu[menu.home], ctx, language)}"
    return "\n".join([*head, root, *walk(menu.home, "")])


def _mermaid_label(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", "<br/>")


def render_mermaid(
    engine: Engine, pack: RulePack, language: str, languages: tuple[str, ...], today: date
) -> str:
    """The menu as a Mermaid flowchart."""
    ctx = _context(pack, languages, today)
    w = Wording(language)
    out = ["flowchart TD"]
    for screen_id, screen in engine.menu.screens.items():
        if isinstance(screen, Gate):
            out.append(f'    {screen_id}{{"{screen.requires.value}?"}}')
            continue
        if isinstance(screen, Result):
            label = f"{screen_id}<br/>END: {screen.effect.value}"
            out.append(f'    {screen_id}(["{_mermaid_label(label)}"])')
            continue
        text = engine.render(screen_id, ctx, language)
        kind = "END" if isinstance(screen, Info) else f"CON {screen.kind}"
        label = _mermaid_label(f"{screen_id} ({kind})\n{text}")
        shape = ('(["', '"])') if isinstance(screen, Info) else ('["', '"]')
        out.append(f"    {screen_id}{shape[0]}{label}{shape[1]}")
    for screen_id, screen in engine.menu.screens.items():
        for label, target in _edges(screen, w):
            out.append(f'    {screen_id} -->|"{_mermaid_label(label)}"| {target}')
    return "\n".join(out)
