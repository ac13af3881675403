"""A quote signed here starts and ends on a word's or number's edge; a line signed
elsewhere (an export read back) keeps the quote its signer chose."""

from __future__ import annotations

import pytest

from tally.ledger.errors import InputError
from tally.ledger.evidence.anchors import anchor, inside

TEXT = "Officials said 2,700 homes were flooded in 24 settlements, up 3.5%."


@pytest.mark.parametrize(("at", "cut"), [
    (TEXT.index("700"), True), (TEXT.index(",700"), True), (TEXT.index("2,700"), False),
    (TEXT.index("fficials"), True), (0, False), (len(TEXT), False),
    (TEXT.index(".5%"), True), (TEXT.index("5%"), True), (TEXT.index(" homes"), False),
])
def test_inside(at: int, cut: bool) -> None:
    assert inside(TEXT, at) is cut


def test_a_cut_quote_is_refused_unless_signed_elsewhere() -> None:
    with pytest.raises(InputError, match="starts inside a word or number"):
        anchor(TEXT, "700 homes")
    kept = anchor(TEXT, "700 homes", whole=False)
    assert kept["position"]["start"] == TEXT.index("700")
    assert anchor(TEXT, "2,700 homes")["quote"]["exact"] == "2,700 homes"
