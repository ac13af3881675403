"""The closed vocabularies of the model: what a figure, a signer, a source or a document
may be. The signed statements (`statements.py`) accept exactly these, and every function
that takes one is typed with it, so mypy sees a misspelt kind before a test does."""

from __future__ import annotations

from typing import Literal

FigureKind = Literal["quantity", "status"]
Role = Literal["operator", "signer"]
SourceKind = Literal["official", "media", "ngo", "individual", "academic", "other"]
MediaType = Literal["text/plain", "text/html", "application/pdf", "application/warc"]

# The event types that set the rules' state (who signs, in which role, which sources,
# figures and documents exist): replayed before any claim is checked.
REGISTRY_TYPES = ("ledger.created", "signer.added", "signer.revoked", "source.registered",
                  "figure.defined", "document.archived")
