"""Input records from command-line options, pydantic's errors made into one sentence."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def build(model: type[M], **values: Any) -> M:
    from tally.ledger.errors import InputError
    from tally.ledger.model.input_errors import describe

    try:
        return model.model_validate(values)
    except ValidationError as e:
        message, field = describe(e)
        raise InputError(message, field=field) from None


def split_list(text: str | None) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()] if text else []
