"""Names refuse hidden characters (controls, bidi marks, zero-width characters) exactly as a
source's name and a figure's unit do: one rule (`records.name_problem`) behind all of them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tally.ledger.errors import InputError
from tally.ledger.handlers import check_name
from tally.ledger.model.inputs import FigureRecord, SourceRecord

# Written out from the rule, not taken from the code under test: every C0 control (tab and
# newline too), DEL, the C1 controls, the bidi marks, embeddings, overrides and isolates, the
# zero-width characters, the line and paragraph separators, and a few other invisible ones.
BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
ZERO_WIDTH = [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF]
OTHER = [0x2028, 0x2029, 0x00AD, 0x180E, 0x2061, 0xE0001, 0xE0041]
REFUSED = [chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0), *BIDI, *ZERO_WIDTH, *OTHER]]

allowed_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cf", "Zl", "Zp", "Cs")), max_size=60
)
refused_text = st.builds(lambda a, c, b: a + c + b, allowed_text, st.sampled_from(REFUSED),
                         allowed_text)


@given(before=allowed_text, hidden=st.sampled_from(REFUSED), after=allowed_text,
       what=st.sampled_from(["signer", "ledger"]))
def test_a_name_with_a_hidden_character_is_refused(
    before: str, hidden: str, after: str, what: str
) -> None:
    with pytest.raises(InputError) as caught:
        check_name(before + hidden + after, what)
    assert caught.value.field == "name"
    assert caught.value.message.startswith(f"the {what} name must not contain ")
    assert "\n" not in caught.value.message
    assert hidden not in caught.value.message  # named as U+XXXX, never printed
    assert f"(found U+{ord(hidden):04X})" in caught.value.message


@given(name=allowed_text.filter(bool))
def test_a_name_without_one_is_accepted(name: str) -> None:
    check_name(name, "signer")


@given(name=st.text(min_size=201, max_size=300).filter(lambda t: len(t) > 200) | st.just(""))
def test_an_empty_or_overlong_name_is_refused_in_one_sentence(name: str) -> None:
    with pytest.raises(InputError, match="must have 1 to 200 characters"):
        check_name(name, "ledger")


def _accepted(make: object) -> bool:
    try:
        make()  # type: ignore[operator]
    except ValidationError as e:
        assert e.errors()[0]["type"] in {"control_character", "hidden_character"}
        return False
    return True


def _name_ok(text: str) -> bool:
    try:
        check_name(text, "signer")
    except InputError:
        return False
    return True


@given(text=st.one_of(allowed_text, refused_text))
def test_names_source_names_and_units_agree(text: str) -> None:
    """A name is refused exactly when a source's name, or a unit, would be."""
    name = text or "x"  # at most 121 characters: a source name has 200
    assert _name_ok(name) == _accepted(lambda: SourceRecord(id="s", name=name, kind="media"))
    unit = text[:32] or "x"
    assert _name_ok(unit) == _accepted(lambda: FigureRecord(id="f", unit=unit))
