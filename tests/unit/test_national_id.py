"""National ids: normalisation, lengths, padding and what each pack's check digit catches."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility_gw.domain.errors import InvalidInput, InvalidNationalId, NationalIdCheckDigit
from eligibility_gw.domain.national_id import NationalIdFormat
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.rulepacks import load_rule_pack


def _weighted(name: str) -> NationalIdFormat:
    """A shipped pack's national id format of weights as data."""
    fmt = load_rule_pack(name).national_id
    assert isinstance(fmt, NationalIdFormat)
    return fmt


IR = _weighted("ir-tamin")
RO = _weighted("ro-cnas")
IR_EXAMPLE = "0499370899"
RO_EXAMPLE = "1800101221144"
FORMATS = {"ir-tamin": IR, "ro-cnas": RO}

_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _body(fmt: NationalIdFormat) -> st.SearchStrategy[str]:
    n = fmt.length - 1
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


def _remainder(fmt: NationalIdFormat, body: str) -> int:
    return sum(int(d) * w for d, w in zip(body, fmt.weights, strict=True)) % fmt.modulus


def _substitutions(digits: str) -> list[tuple[int, str]]:
    """Every id that differs from ``digits`` in exactly one position, with that position."""
    out = []
    for i, d in enumerate(digits):
        for other in "0123456789":
            if other != d:
                out.append((i, digits[:i] + other + digits[i + 1 :]))
    return out


# --- shipped formats ------------------------------------------------------------------------


def test_shipped_formats_are_what_the_packs_say(ir_pack: RulePack, ro_pack: RulePack) -> None:
    assert (IR.length, IR.modulus, IR.pad_to_length_from, IR.reject_repeated_digits) == (
        10,
        11,
        8,
        True,
    )
    assert IR.weights == (10, 9, 8, 7, 6, 5, 4, 3, 2)
    assert (RO.length, RO.modulus, RO.pad_to_length_from, RO.reject_repeated_digits) == (
        13,
        11,
        None,
        False,
    )
    assert RO.weights == (2, 7, 9, 1, 4, 6, 3, 5, 8, 2, 7, 9)
    assert ir_pack.national_id.example == IR_EXAMPLE
    assert ro_pack.national_id.example == RO_EXAMPLE


@pytest.mark.parametrize(
    ("fmt", "valid"),
    [
        (IR, IR_EXAMPLE),
        (IR, "0013542419"),
        (IR, "0084575948"),
        (IR, "0067749828"),
        (IR, "1234567891"),
        (RO, RO_EXAMPLE),
        (RO, "2960101400013"),
        (RO, "5010101400010"),
    ],
)
def test_valid_examples_are_accepted_unchanged(fmt: NationalIdFormat, valid: str) -> None:
    assert fmt.is_valid(valid)
    assert fmt.normalise(valid) == valid


def test_examples_check_digits_by_hand() -> None:
    # 0*10+4*9+9*8+9*7+3*6+7*5+0*4+8*3+9*2 = 266 = 24*11 + 2 -> 11 - 2 = 9
    assert _remainder(IR, IR_EXAMPLE[:-1]) == 2
    assert IR.check_digit(IR_EXAMPLE[:-1]) == 9
    # 1*2+8*7+0*9+0*1+1*4+0*6+1*3+2*5+2*8+1*2+1*7+4*9 = 136 = 12*11 + 4 -> 4
    assert _remainder(RO, RO_EXAMPLE[:-1]) == 4
    assert RO.check_digit(RO_EXAMPLE[:-1]) == 4


# --- normalisation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "0499370899",
        " 0499370899 ",
        "049 937 0899",
        "049-937089-9",
        "049\u2013937\u20140899",  # en and em dashes
        "049\u2212937 0899",  # minus sign
        "049.937.0899",
        "049/937_0899",
        "049\u00a0937\u202f0899",  # no-break spaces
        "049\u200b937\u200c0899",  # zero-width space and joiner
        "\u200f0499370899\u200e",  # right-to-left and left-to-right marks
        "\u202b0499370899\u202c",  # embedding and pop
        "\u20670499370899\u2069",  # right-to-left isolate and pop isolate
        "\u2066۰۴۹۹۳۷۰۸۹۹\u2069",
        "\u061c0499370899",  # Arabic letter mark
        "\ufeff0499370899",  # byte order mark
        "۰۴۹۹۳۷۰۸۹۹",  # Persian digits
        "٠٤٩٩٣٧٠٨٩٩",  # Arabic-Indic digits
        "۰۴۹-۹۳۷-۰۸۹۹",
        "۰۴۹۹٣٧٠899",  # mixed scripts
        "499370899",  # 9 digits: a leading zero left out
        "۴۹۹۳۷۰۸۹۹",
    ],
)
def test_ir_normalises_what_people_type(typed: str) -> None:
    assert IR.normalise(typed) == IR_EXAMPLE


@pytest.mark.parametrize(
    "typed",
    [
        "1800101221144",
        "1 800101 221144",
        "1-800101-22-1144",
        "\u200f1800101221144",
        "۱۸۰۰۱۰۱۲۲۱۱۴۴",
        "١٨٠٠١٠١٢٢١١٤٤",
    ],
)
def test_ro_normalises_what_people_type(typed: str) -> None:
    assert RO.normalise(typed) == RO_EXAMPLE


@given(body=_body(IR), zeros=st.integers(min_value=1, max_value=2))
def test_ir_pads_eight_and_nine_digit_codes_to_ten(body: str, zeros: int) -> None:
    full = IR.complete("0" * zeros + body[zeros:])
    short = full[zeros:]
    assert len(short) == 10 - zeros
    if len(set(full)) > 1:
        assert IR.normalise(short) == full
        assert IR.normalise(short.translate(_PERSIAN)) == full


def test_ir_does_not_pad_seven_digits() -> None:
    full = IR.complete("000123456")
    with pytest.raises(InvalidNationalId) as info:
        IR.normalise(full[3:])
    assert info.value.params == {"length": 10, "problem": "length"}


def test_ro_never_pads() -> None:
    with pytest.raises(InvalidNationalId) as info:
        RO.normalise(RO_EXAMPLE[1:])
    assert info.value.params["problem"] == "length"
    assert not isinstance(info.value, NationalIdCheckDigit)


@pytest.mark.parametrize("digit", "0123456789")
def test_ir_refuses_one_repeated_digit(digit: str) -> None:
    with pytest.raises(InvalidNationalId) as info:
        IR.normalise(digit * 10)
    assert type(info.value) is InvalidNationalId
    assert info.value.params == {"problem": "repeated"}
    assert not IR.is_valid(digit * 10)


def test_some_repeated_ir_codes_would_pass_the_check_digit_alone() -> None:
    # Why the pack refuses them explicitly: the weighted sum cannot tell them apart.
    passing = [d for d in "0123456789" if IR.check_digit(d * 9) == int(d)]
    assert passing, "expected at least one repeated code to satisfy the check digit"
    assert "0" in passing


def test_ro_accepts_a_repeated_digit_that_passes_its_check() -> None:
    passing = [d * 13 for d in "0123456789" if RO.check_digit(d * 12) == int(d)]
    for cnp in passing:
        assert RO.normalise(cnp) == cnp


@pytest.mark.parametrize(
    ("fmt", "length"),
    [(IR, n) for n in (*range(1, 8), *range(11, 21))]
    + [(RO, n) for n in (*range(1, 13), *range(14, 21))],
)
def test_every_wrong_length_is_refused(fmt: NationalIdFormat, length: int) -> None:
    typed = ("1234567890" * 3)[:length]
    with pytest.raises(InvalidNationalId) as info:
        fmt.normalise(typed)
    err = info.value
    assert type(err) is InvalidNationalId
    assert err.code == "INVALID_NATIONAL_ID"
    assert err.field == "national_id"
    assert err.params == {"length": fmt.length, "problem": "length"}
    assert f"{fmt.length} digits, not {length}" in err.message
    assert not fmt.is_valid(typed)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("- -", "empty"),
        ("\u200f\u200e", "empty"),
        ("04993708a9", "digits"),
        ("+0499370899", "digits"),
        ("0499370899x", "digits"),
        ("O499370899", "digits"),  # a letter O for a zero
        ("०४९९३७०८९९", "digits"),  # Devanagari digits are not read
        ("04993708\u00b99", "digits"),  # superscript one
    ],
)
def test_malformed_ids_say_what_is_wrong(typed: str, problem: str) -> None:
    for fmt in (IR, RO):
        with pytest.raises(InvalidNationalId) as info:
            fmt.normalise(typed)
        assert type(info.value) is InvalidNationalId
        assert info.value.params["problem"] == problem
        assert info.value.field == "national_id"


def test_fullwidth_digits_are_read() -> None:
    assert IR.normalise("０４９９３７０８９９") == "0499370899"


@pytest.mark.parametrize(("fmt", "valid"), [(IR, IR_EXAMPLE), (RO, RO_EXAMPLE)])
def test_a_wrong_check_digit_is_its_own_error(fmt: NationalIdFormat, valid: str) -> None:
    wrong = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    with pytest.raises(NationalIdCheckDigit) as info:
        fmt.normalise(wrong)
    err = info.value
    assert isinstance(err, InvalidNationalId)
    assert isinstance(err, InvalidInput)
    assert err.code == "NATIONAL_ID_CHECK_DIGIT"
    assert err.field == "national_id"
    assert "problem" not in err.params
    assert not fmt.is_valid(wrong)


def test_is_valid_wants_normalised_ascii_digits() -> None:
    assert not IR.is_valid("049 937 0899")
    assert not IR.is_valid("۰۴۹۹۳۷۰۸۹۹")
    assert not IR.is_valid("499370899")


# --- what the check digit detects -----------------------------------------------------------


@pytest.mark.parametrize("fmt", [IR, RO], ids=["ir-tamin", "ro-cnas"])
def test_every_weight_is_coprime_to_the_modulus(fmt: NationalIdFormat) -> None:
    # So changing any one body digit always changes the remainder ...
    assert all(math.gcd(w, fmt.modulus) == 1 for w in fmt.weights)
    for w in fmt.weights:
        for delta in range(-9, 10):
            if delta:
                assert (w * delta) % fmt.modulus != 0


@pytest.mark.parametrize("fmt", [IR, RO], ids=["ir-tamin", "ro-cnas"])
def test_only_remainders_one_and_ten_share_a_check_digit(fmt: NationalIdFormat) -> None:
    # ... and a changed remainder goes unnoticed only when both map to the same digit.
    collisions = {
        (a, b)
        for a in range(fmt.modulus)
        for b in range(fmt.modulus)
        if a < b and fmt.remainder_to_digit[a] == fmt.remainder_to_digit[b]
    }
    assert collisions == {(1, 10)}


@pytest.mark.parametrize(("fmt", "valid"), [(IR, IR_EXAMPLE), (RO, RO_EXAMPLE)])
def test_every_substitution_of_the_examples_is_refused(fmt: NationalIdFormat, valid: str) -> None:
    subs = _substitutions(valid)
    assert len(subs) == fmt.length * 9
    for i, typo in subs:
        assert not fmt.is_valid(typo), (i, typo)
        if len(set(typo)) > 1 or not fmt.reject_repeated_digits:
            with pytest.raises(NationalIdCheckDigit):
                fmt.normalise(typo)


@pytest.mark.parametrize("name", ["ir-tamin", "ro-cnas"])
def test_substitutions_escape_only_through_the_one_ten_collision(name: str) -> None:
    """Exhaustively over many ids: exactly what the scheme can and cannot catch."""
    fmt = FORMATS[name]
    rng = random.Random(f"subst-{name}")
    undetected_total = 0
    for _ in range(150):
        body = "".join(rng.choice("0123456789") for _ in range(fmt.length - 1))
        valid = fmt.complete(body)
        if not fmt.is_valid(valid):  # a repeated IR code; refused for another reason
            continue
        r_old = _remainder(fmt, body)
        undetected_by_position: dict[int, int] = {}
        for i, typo in _substitutions(valid):
            accepted = fmt.is_valid(typo)
            if i == fmt.length - 1:
                assert not accepted, "a changed check digit is always caught"
                continue
            r_new = _remainder(fmt, typo[:-1])
            assert r_new != r_old
            collide = fmt.remainder_to_digit[r_new] == fmt.remainder_to_digit[r_old]
            assert accepted == collide, (valid, typo)
            if accepted:
                assert valid[-1] == "1"
                assert {r_old, r_new} == {1, 10}
                undetected_by_position[i] = undetected_by_position.get(i, 0) + 1
        assert all(n == 1 for n in undetected_by_position.values())
        if valid[-1] != "1":
            assert not undetected_by_position, "ids not ending in 1 catch every substitution"
        undetected_total += sum(undetected_by_position.values())
    # The true limitation: some single substitutions do go through.
    assert undetected_total > 0


@pytest.mark.parametrize("name", ["ir-tamin", "ro-cnas"])
def test_most_adjacent_transpositions_are_caught(name: str) -> None:
    fmt = FORMATS[name]
    rng = random.Random(f"swap-{name}")
    caught = tried = 0
    for _ in range(300):
        valid = fmt.complete("".join(rng.choice("0123456789") for _ in range(fmt.length - 1)))
        for i in range(fmt.length - 1):
            a, b = valid[i], valid[i + 1]
            if a == b:
                continue
            swapped = valid[:i] + b + a + valid[i + 2 :]
            tried += 1
            caught += not fmt.is_valid(swapped)
    assert caught / tried > 0.8


# --- complete() -----------------------------------------------------------------------------


@given(body=_body(IR))
def test_ir_complete_always_validates(body: str) -> None:
    full = IR.complete(body)
    assert full[:-1] == body
    assert len(full) == 10
    if len(set(full)) == 1:
        assert not IR.is_valid(full)
    else:
        assert IR.is_valid(full)
        assert IR.normalise(full) == full
        assert IR.normalise(full.translate(_ARABIC_INDIC)) == full
        assert IR.normalise(f"{full[:3]}-{full[3:9]}-{full[9]}") == full


@given(body=_body(RO))
def test_ro_complete_always_validates(body: str) -> None:
    full = RO.complete(body)
    assert full[:-1] == body
    assert len(full) == 13
    assert RO.is_valid(full)
    assert RO.normalise(full) == full
    assert RO.normalise(" ".join(full).translate(_PERSIAN)) == full


@settings(max_examples=50)
@given(body=_body(RO), digit=st.integers(min_value=0, max_value=9))
def test_only_the_computed_check_digit_validates(body: str, digit: int) -> None:
    assert RO.is_valid(body + str(digit)) == (digit == RO.check_digit(body))


@pytest.mark.parametrize("body", ["", "12345678", "1234567890", "12345678a", "۱۲۳۴۵۶۷۸۹"])
def test_complete_wants_the_body_exactly(body: str) -> None:
    with pytest.raises(ValueError, match="need 9 digits"):
        IR.complete(body)
