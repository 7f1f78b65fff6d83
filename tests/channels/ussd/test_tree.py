"""``eligibility-gw ussd-menu``: the whole tree, as text or Mermaid, in each language."""

from __future__ import annotations

import pytest

from eligibility_gw.channels.ussd.menu import MENU
from eligibility_gw.channels.ussd.screens import Gate
from eligibility_gw.cli.main import main
from eligibility_gw.wording import Wording, available_languages


@pytest.mark.parametrize("language", available_languages())
def test_the_text_tree_shows_every_screen(
    capsys: pytest.CaptureFixture[str], language: str
) -> None:
    assert main(["ussd-menu", "--lang", language]) == 0
    tree = capsys.readouterr().out
    for screen_id in MENU.screens:
        assert f"{screen_id} [" in tree or f"→ {screen_id}" in tree, screen_id
    assert "0 back" in tree
    assert "[answer, END]" in tree
    assert "[unknown phone]" in tree
    assert Wording(language).t("ussd.option.check_id") in tree


def test_the_text_tree_is_in_the_chosen_language(capsys: pytest.CaptureFixture[str]) -> None:
    main(["ussd-menu", "--lang", "fa"])
    persian = capsys.readouterr().out
    main(["ussd-menu", "--lang", "en"])
    english = capsys.readouterr().out
    assert "استعلام کد ملی" in persian
    assert "Check by national id" in english
    assert "Check by national id" not in persian


def test_the_mermaid_graph_has_a_node_and_edges_for_every_screen(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["ussd-menu", "--format", "mermaid", "--lang", "en"]) == 0
    graph = capsys.readouterr().out
    lines = graph.splitlines()
    assert lines[0] == "flowchart TD"
    for screen_id, screen in MENU.screens.items():
        assert any(line.strip().startswith(screen_id) for line in lines[1:]), screen_id
        if isinstance(screen, Gate):
            assert f'{screen_id} -->|"yes"| {screen.then}' in graph
    assert 'home -->|"5. Language"| language' in graph


def test_an_unknown_language_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["ussd-menu", "--lang", "xx"])
    assert "invalid choice" in capsys.readouterr().err
