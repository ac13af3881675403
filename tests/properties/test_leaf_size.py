"""Every leaf fits a C2SP tile entry (at most 65,535 bytes): the largest statement the
input records allow, in the characters that grow most when escaped twice (once in the
body, once in the leaf), stays under the cap; a leaf over it is refused, not truncated."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tally.ledger.errors import VerificationError
from tally.ledger.integrity.envelope import MAX_LEAF_BYTES, Stored, leaf_from
from tally.ledger.integrity.signing import canonical
from tally.ledger.model.bodies import claim_body
from tally.ledger.model.inputs import ReportRecord

WIDE = st.sampled_from(['"', "\\", "\t", "\n", "\U0010fffd", "é", "€"])


@given(quote=st.text(WIDE, min_size=1000, max_size=1000),
       url=st.text(WIDE, min_size=2048, max_size=2048))
def test_the_largest_claim_fits_a_tile_entry(quote: str, url: str) -> None:
    record = ReportRecord(figure="a/" + "b" * 197, value="1000000000..2000000000",
                          as_of="2022-09-16/2022-09-23", source="s" * 64,
                          via=[f"{i:02d}" + "v" * 62 for i in range(20)],
                          url="https://x.example/" + url[:2048 - 18], published="2022-09-23",
                          quote=quote, document_sha256="0" * 64)
    body = canonical(claim_body("0" * 32, "0" * 16, record, record.value))
    leaf = leaf_from("claim.recorded", "0" * 32, 1,
                     Stored(body, "0" * 128, dt.datetime(2025, 1, 1, tzinfo=dt.UTC)),
                     hashlib.sha256(b"").hexdigest())
    assert len(leaf) <= MAX_LEAF_BYTES


def test_a_leaf_over_the_cap_is_refused() -> None:
    stored = Stored("x" * MAX_LEAF_BYTES, "0" * 128, dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(VerificationError, match="64 KiB"):
        leaf_from("claim.recorded", "0" * 32, 1, stored, "0" * 64)
