"""``eligibility-gw demo --no-serve``: each persona's answer in the default language, and how
to ask in another (SMS ``LANG``, the USSD menu, Accept-Language, the pages' switcher)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from eligibility_gw.cli.main import main
from eligibility_gw.demo import answer_words, language_hints, personas
from eligibility_gw.domain.model import Decision, Reason, Status
from eligibility_gw.rulepacks import load_rule_pack
from eligibility_gw.wording import Wording


def _demo(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(["demo", "--no-serve", "--families", "2", *argv])
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def _answers(out: str) -> dict[str, str]:
    """Each persona's key and the answer line printed under it."""
    return dict(re.findall(r"^  \S+  (\S+) .*\n {2,}→ (.+)$", out, re.M))


@pytest.mark.parametrize(
    ("rule_pack", "zone", "languages"),
    [
        ("ir-tamin", "Asia/Tehran", ["fa", "en"]),
        ("ro-cnas", "Europe/Bucharest", ["ro", "en", "fa", "pt_BR", "pl", "ru"]),
        ("pl-nfz", "Europe/Warsaw", ["pl", "en"]),
    ],
)
def test_the_demo_answers_every_persona_in_the_default_language(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    rule_pack: str,
    zone: str,
    languages: list[str],
) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[gateway]\nrule_pack = "{rule_pack}"\ntime_zone = "{zone}"\n'
        f"languages = {languages!r}\n".replace("'", '"'),
        encoding="utf-8",
    )
    out = _demo(capsys, "--config", str(config), "--db", str(tmp_path / "demo.sqlite3"))
    answers = _answers(out)
    people = personas(load_rule_pack(rule_pack), date.today())
    assert set(answers) == {p.key for p in people}
    w = Wording(languages[0])
    for persona in people:
        status = w.t(f"status.{persona.expected_status}")
        assert answers[persona.key].startswith(status), (persona.key, answers[persona.key])
    assert f"today's answer in {languages[0]}" in out
    # How to ask in another language, with what each channel takes.
    other = languages[1]
    assert f"send 'LANG {other}'" in out
    assert f"'Accept-Language: {other.replace('_', '-')}'" in out
    assert f"?lang={other}" in out
    assert f"'{w.t('ussd.option.language')}'" in out
    for lang in languages:
        assert f"{lang} ({Wording(lang).t('language.name')})" in out


def test_an_answer_in_words() -> None:
    fa, ro = Wording("fa"), Wording("ro")
    assert answer_words(Decision(Status.ELIGIBLE), fa) == fa.status(Status.ELIGIBLE)
    refused = Decision(Status.NOT_ELIGIBLE, (Reason("MARRIED"),))
    assert answer_words(refused, ro) == (
        f"{ro.status(Status.NOT_ELIGIBLE)} — {ro.reason(Reason('MARRIED'))}"
    )
    assert "MARRIED" not in answer_words(refused, ro)


def test_the_hints_name_each_language_word_for_language() -> None:
    hints = "\n".join(language_hints(("ro", "pl", "ru")))
    for word in ("LIMBA", "JĘZYK", "ЯЗЫК"):
        assert word in hints
    assert "answers are in ro" in hints
    alone = "\n".join(language_hints(("en",)))
    assert "LANG en" in alone
