"""integrity.checkpoints: C2SP signed notes and checkpoints, checked against the Go vectors."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tally.ledger.errors import VerificationError
from tally.ledger.integrity import checkpoints as notes
from tally.ledger.integrity.checkpoints import Checkpoint

# Vectors from golang.org/x/mod/sumdb/note (note.go documentation and note_test.go).
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY_B64 = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"  # 0x01 || Ed25519 seed
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZS"
    "NXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01"
    "oOTGwnWLox33WWd1RvMc+QQ=\n"
)
PETER_NOTE = TEXT + "\n" + PETER_SIG


def _vkey_public(vkey: str) -> bytes:
    return base64.b64decode(vkey.split("+")[2])[1:]


PETER_PUB = _vkey_public(PETER_VKEY)
ENOCH_PUB = _vkey_public(ENOCH_VKEY)
PETER_KEY = Ed25519PrivateKey.from_private_bytes(base64.b64decode(PETER_SKEY_B64)[1:])

ROOT = bytes(range(32))


def test_key_hash_matches_the_go_reference() -> None:
    assert notes.key_hash("PeterNeumann", PETER_PUB).hex() == "c74f20a3"
    assert notes.key_hash("EnochRoot", ENOCH_PUB).hex() == "af0cfe78"
    assert PETER_KEY.public_key().public_bytes_raw() == PETER_PUB


def test_verifier_key_round_trips_the_go_reference() -> None:
    assert notes.verifier_key("PeterNeumann", PETER_PUB) == PETER_VKEY
    assert notes.verifier_key("EnochRoot", ENOCH_PUB) == ENOCH_VKEY
    assert notes.parse_verifier_key(PETER_VKEY) == ("PeterNeumann", PETER_PUB)


@pytest.mark.parametrize(
    "vkey",
    [
        PETER_VKEY[:-1],
        PETER_VKEY.replace("c74f20a3", "c74f20a4"),  # wrong key id
        PETER_VKEY.replace("c74f20a3", "C74F20A3"),
        PETER_VKEY.replace("PeterNeumann", "PeterNeumanX"),  # id no longer matches
        PETER_VKEY.replace("+ARpc", "+Apc"),
        "PeterNeumann+c74f20a3",
        "",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_mangled_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(VerificationError):
        notes.parse_verifier_key(vkey)


def test_sign_note_reproduces_the_go_reference_byte_for_byte() -> None:
    assert notes.sign_note(TEXT, "PeterNeumann", PETER_KEY) == PETER_NOTE


def test_open_note_returns_the_text() -> None:
    assert notes.open_note(PETER_NOTE, "PeterNeumann", PETER_PUB) == TEXT


def test_signatures_by_other_keys_are_ignored() -> None:
    both = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert notes.open_note(both, "PeterNeumann", PETER_PUB) == TEXT
    assert notes.open_note(both, "EnochRoot", ENOCH_PUB) == TEXT
    # Same name, other key id: not ours, ignored rather than failed.
    foreign = Ed25519PrivateKey.generate()
    cosigned = notes.sign_note(TEXT, "PeterNeumann", foreign) + PETER_SIG
    assert notes.open_note(cosigned, "PeterNeumann", PETER_PUB) == TEXT


def test_a_note_without_our_signature_is_refused() -> None:
    with pytest.raises(VerificationError, match="not signed by"):
        notes.open_note(TEXT + "\n" + ENOCH_SIG, "PeterNeumann", PETER_PUB)


def test_a_signature_relabelled_with_another_name_is_ignored() -> None:
    # The key is (name, key id): our signature under another name is not ours.
    relabelled = TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "PeterNeumannX")
    with pytest.raises(VerificationError, match="not signed by"):
        notes.open_note(relabelled, "PeterNeumann", PETER_PUB)


def test_wrong_key_and_wrong_name_are_refused() -> None:
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    with pytest.raises(VerificationError):
        notes.open_note(PETER_NOTE, "PeterNeumann", other)
    with pytest.raises(VerificationError):
        notes.open_note(PETER_NOTE, "PeterNeuman", PETER_PUB)
    with pytest.raises(VerificationError):
        notes.open_note(PETER_NOTE, "PeterNeumann", PETER_PUB[:31])


def test_a_forged_signature_by_our_key_is_refused() -> None:
    forged = TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(VerificationError, match="not valid"):
        notes.open_note(forged, "PeterNeumann", PETER_PUB)
    # Every line by our key must verify, not just the first one.
    with pytest.raises(VerificationError):
        forged_line = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
        notes.open_note(PETER_NOTE + forged_line, "PeterNeumann", PETER_PUB)


@pytest.mark.parametrize(
    "note",
    [
        TEXT,  # no signature block
        TEXT + "\n",  # empty signature block
        TEXT + "\n" + PETER_SIG[:-1],  # last line unterminated
        "\x01" + PETER_NOTE,  # control character
        "\udcff" + PETER_NOTE,  # not UTF-8
        TEXT + "\n" + "\u2014 Bad Name " + PETER_SIG.split()[-1] + "\n",
        # A valid signature does not excuse a malformed line beside it.
        PETER_NOTE + "\u2014 Bad Name " + PETER_SIG.split()[-1] + "\n",
        PETER_NOTE + "\u2014 PeterNeumann AAAA\n",
        PETER_NOTE + "\u2014 a+b " + PETER_SIG.split()[-1] + "\n",
        PETER_NOTE + "\u2014 NoSpaceAtAll\n",
        PETER_NOTE + ENOCH_SIG[:-1] + "x",  # the block must end in a newline
        PETER_NOTE + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG.replace("\u2014 ", "- "),
        TEXT + "\n" + PETER_SIG.replace("x08go", "x08g!"),  # not base64
        TEXT + "\n" + PETER_SIG.replace("AM=\n", "AM\n"),  # unpadded
        TEXT + "\n" + PETER_SIG.replace("AM=\n", "AN=\n"),  # non-canonical trailing bits
        TEXT + "\n" + "\u2014 PeterNeumann AAAA\n",  # too short to hold a key id and a signature
        TEXT + "\n" + "\u2014 PeterNeumann\n",
        TEXT.replace("\n", "\r\n") + "\r\n" + PETER_SIG,
        TEXT + "\n" + PETER_SIG * 101,  # more signatures than any verifier should read
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(VerificationError):
        notes.open_note(note, "PeterNeumann", PETER_PUB)


@given(data=st.data())
def test_any_tampered_character_of_the_text_is_refused(data: st.DataObject) -> None:
    at = data.draw(st.integers(min_value=0, max_value=len(TEXT) - 1))
    replacement = data.draw(st.characters(codec="utf-8").filter(lambda c: c != TEXT[at]))
    tampered = TEXT[:at] + replacement + TEXT[at + 1 :] + "\n" + PETER_SIG
    with pytest.raises(VerificationError):
        notes.open_note(tampered, "PeterNeumann", PETER_PUB)


@given(data=st.data())
def test_any_flipped_bit_of_the_signature_is_refused(data: st.DataObject) -> None:
    blob = bytearray(base64.b64decode(PETER_SIG.split()[-1]))
    bit = data.draw(st.integers(min_value=0, max_value=len(blob) * 8 - 1))
    blob[bit // 8] ^= 1 << (bit % 8)
    line = f"\u2014 PeterNeumann {base64.b64encode(bytes(blob)).decode()}\n"
    with pytest.raises(VerificationError):
        notes.open_note(TEXT + "\n" + line, "PeterNeumann", PETER_PUB)


@given(
    text=st.lists(
        st.text(st.characters(codec="utf-8", min_codepoint=0x20), min_size=0, max_size=30),
        min_size=1,
        max_size=5,
    )
)
def test_sign_and_open_round_trip(text: list[str]) -> None:
    body = "".join(line + "\n" for line in text)
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    note = notes.sign_note(body, "example.org/log", key)
    assert notes.open_note(note, "example.org/log", public) == body
    assert notes.split_note(note)[0] == body


def test_sign_note_refuses_what_cannot_be_a_note() -> None:
    with pytest.raises(ValueError):
        notes.sign_note("no final newline", "name", PETER_KEY)
    with pytest.raises(ValueError):
        notes.sign_note("tab\there\n", "name", PETER_KEY)
    for name in ["", "a b", "a+b", "a\nb", "a\u00a0b"]:
        with pytest.raises(ValueError):
            notes.sign_note(TEXT, name, PETER_KEY)


# --- Checkpoints. ---


def test_checkpoint_body_is_the_c2sp_text() -> None:
    cp = Checkpoint(origin="example.com/behind-the-sofa", size=20852163, root_hash=ROOT)
    assert cp.body() == (
        "example.com/behind-the-sofa\n20852163\n" + base64.b64encode(ROOT).decode() + "\n"
    )
    assert Checkpoint.parse_body(cp.body()) == cp


def test_parse_body_reads_the_spec_example() -> None:
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    cp = Checkpoint.parse_body(text)
    assert (cp.origin, cp.size, len(cp.root_hash)) == ("example.com/behind-the-sofa", 20852163, 32)


def test_parse_body_keeps_extension_lines() -> None:
    body = f"log.example\n5\n{base64.b64encode(ROOT).decode()}\nfirst ext\nsecond\n"
    cp = Checkpoint.parse_body(body)
    assert cp.extensions == ("first ext", "second")
    assert cp.body() == body
    with pytest.raises(ValueError):
        notes.sign_checkpoint(cp, PETER_KEY)  # Tally does not sign extension lines


ROOT_B64 = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    "body",
    [
        f"log\n5\n{ROOT_B64}",  # no final newline
        "log\n5\n",
        f"log\n{ROOT_B64}\n",
        f"\n5\n{ROOT_B64}\n",  # empty origin
        f"log\n\n{ROOT_B64}\n",
        f"log\n5\n{ROOT_B64}\n\next\n",  # empty extension line
        f"log\n05\n{ROOT_B64}\n",  # leading zero
        f"log\n00\n{ROOT_B64}\n",
        f"log\n+5\n{ROOT_B64}\n",
        f"log\n-5\n{ROOT_B64}\n",
        f"log\n 5\n{ROOT_B64}\n",
        f"log\n5 \n{ROOT_B64}\n",
        f"log\n1_000\n{ROOT_B64}\n",
        f"log\n\u0665\n{ROOT_B64}\n",  # a non-ASCII digit int() would accept
        f"log\n0x5\n{ROOT_B64}\n",
        f"log\n{2**63}\n{ROOT_B64}\n",  # beyond int64
        f"log\n5\n{ROOT_B64} \n",
        f"log\n5\n {ROOT_B64}\n",
        f"log\n5\n{ROOT_B64.rstrip('=')}\n",  # unpadded
        f"log\n5\n{base64.b64encode(ROOT[:31]).decode()}\n",  # 31 bytes
        f"log\n5\n{base64.b64encode(ROOT + b'x').decode()}\n",  # 33 bytes
        f"log\n5\n{ROOT_B64[:-2]}9=\n",  # non-canonical trailing bits
        f"log\n5\n{base64.urlsafe_b64encode(bytes([251] * 32)).decode()}\n",  # URL alphabet
        f"log\n5\n{ROOT.hex()}\n",  # hex, not base64
        f" log\n5\n{ROOT_B64}\n",  # origin with spaces or '+' cannot be a key name
        f"log \n5\n{ROOT_B64}\n",
        f"my log\n5\n{ROOT_B64}\n",
        f"log+1\n5\n{ROOT_B64}\n",
        f"log\r\n5\r\n{ROOT_B64}\r\n",
        f"log\n5\t\n{ROOT_B64}\n",
    ],
)
def test_parse_body_is_strict(body: str) -> None:
    with pytest.raises(VerificationError):
        Checkpoint.parse_body(body)


def test_parse_body_names_what_is_wrong() -> None:
    with pytest.raises(VerificationError, match="non-empty lines"):
        Checkpoint.parse_body(f"log\n5\n{ROOT_B64}\n\next\n")
    with pytest.raises(VerificationError, match="base64 of 32 bytes"):
        Checkpoint.parse_body(f"log\n5\n{base64.b64encode(ROOT[:31]).decode()}\n")


@given(
    origin=st.text(
        st.characters(codec="utf-8", min_codepoint=0x21).filter(
            lambda c: not c.isspace() and c != "+"
        ),
        min_size=1,
        max_size=40,
    ),
    size=st.integers(min_value=0, max_value=2**63 - 1),
    root=st.binary(min_size=32, max_size=32),
)
def test_checkpoint_body_round_trips(origin: str, size: int, root: bytes) -> None:
    cp = Checkpoint(origin=origin, size=size, root_hash=root)
    assert Checkpoint.parse_body(cp.body()) == cp
    assert Checkpoint.model_validate_json(cp.model_dump_json()) == cp


def test_checkpoint_model_validates_its_fields() -> None:
    for fields in [
        {"origin": "a b", "size": 1, "root_hash": ROOT},
        {"origin": "", "size": 1, "root_hash": ROOT},
        {"origin": "log", "size": -1, "root_hash": ROOT},
        {"origin": "log", "size": 1, "root_hash": ROOT[:31]},
        {"origin": "log", "size": "1", "root_hash": ROOT},
        {"origin": "log", "size": 1, "root_hash": ROOT, "extensions": ("",)},
    ]:
        with pytest.raises(ValidationError):
            Checkpoint(**fields)  # type: ignore[arg-type]
    cp = Checkpoint(origin="log", size=1, root_hash=ROOT)
    with pytest.raises(ValidationError):
        setattr(cp, "size", 2)  # noqa: B010 - frozen models refuse assignment


@pytest.fixture
def operator() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_checkpoint_sign_and_verify_round_trip(operator: Ed25519PrivateKey) -> None:
    public = operator.public_key().public_bytes_raw()
    cp = Checkpoint(origin="tally.example/izium", size=451, root_hash=ROOT)
    note = notes.sign_checkpoint(cp, operator)
    assert note.startswith(cp.body() + "\n\u2014 tally.example/izium ")
    assert notes.verify_checkpoint(note, public) == cp
    assert notes.verify_checkpoint(note, public, origin="tally.example/izium") == cp
    assert notes.open_note(note, "tally.example/izium", public) == cp.body()


def test_checkpoint_verification_refuses_forgeries(operator: Ed25519PrivateKey) -> None:
    public = operator.public_key().public_bytes_raw()
    cp = Checkpoint(origin="tally.example/izium", size=451, root_hash=ROOT)
    note = notes.sign_checkpoint(cp, operator)
    other = Ed25519PrivateKey.generate()
    refused = [
        (note, public, "tally.example/other"),  # another log
        (note.replace("\n451\n", "\n452\n"), public, None),  # changed size
        (note.replace(ROOT_B64, base64.b64encode(ROOT[::-1]).decode()), public, None),
        (note, other.public_key().public_bytes_raw(), None),  # another operator
        (notes.sign_checkpoint(cp, other), public, None),
        # Signed by the operator, but under a key name that is not the origin.
        (notes.sign_note(cp.body(), "someone-else", operator), public, None),
        # A validly signed note that is not a checkpoint.
        (notes.sign_note("tally.example/izium\n", "tally.example/izium", operator), public, None),
        (cp.body(), public, None),  # unsigned
        # Signed under the expected name, but the text names another log.
        (notes.sign_note(cp.body(), "someone-else", operator), public, "someone-else"),
    ]
    for forged, key, origin in refused:
        with pytest.raises(VerificationError):
            notes.verify_checkpoint(forged, key, origin)
