"""Signer and ledger names refuse control characters exactly as every text field of a record
does: one validator (`records.has_control_character`) behind both."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from ledger.commands import check_name
from ledger.errors import InputError
from ledger.records import SourceRecord

# Written out from the rule, not taken from the code under test: C0 controls but tab and
# newline, DEL, and the C1 controls.
REFUSED = [chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)] if chr(c) not in "\t\n"]

allowed_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters=REFUSED), max_size=60
)


@given(before=allowed_text, control=st.sampled_from(REFUSED), after=allowed_text,
       what=st.sampled_from(["signer", "ledger"]))
def test_a_name_with_a_control_character_is_refused(
    before: str, control: str, after: str, what: str
) -> None:
    with pytest.raises(InputError) as caught:
        check_name(before + control + after, what)
    assert caught.value.field == "name"
    assert caught.value.message.startswith(f"the {what} name ")
    assert "\n" not in caught.value.message


@given(name=allowed_text.filter(bool))
def test_a_name_without_one_is_accepted(name: str) -> None:
    check_name(name, "signer")


@given(name=st.text(min_size=201, max_size=300).filter(lambda t: len(t) > 200) | st.just(""))
def test_an_empty_or_overlong_name_is_refused_in_one_sentence(name: str) -> None:
    with pytest.raises(InputError, match="must have 1 to 200 characters"):
        check_name(name, "ledger")


@given(text=st.one_of(allowed_text, st.builds(lambda a, c, b: a + c + b, allowed_text,
                                               st.sampled_from(REFUSED), allowed_text)))
def test_names_and_record_fields_agree(text: str) -> None:
    """A name is refused exactly when a record's text field (a source's name) would be."""
    try:
        check_name(text or "x", "signer")
        name_ok = True
    except InputError:
        name_ok = False
    try:
        SourceRecord(id="s", name=text or "x", kind="media")  # at most 121 characters
        record_ok = True
    except ValidationError as e:
        assert e.errors()[0]["type"] == "control_character"
        record_ok = False
    assert name_ok == record_ok
