"""The DynamoDB session head's attributes (adapters/aws/session_head.py): a head missing one
is reported by the name it is written under now, and the name it had before."""

from __future__ import annotations

from typing import Any

import pytest

from mockmind.adapters.aws.session_head import head_of, int_of
from mockmind.domain.errors import StoreError


def _head(**attributes: Any) -> dict[str, Any]:
    return {"pk": {"S": "SESSION#s-1"}, "sk": {"S": "SESSION"}, **attributes}


def test_a_head_without_its_version_names_both_names_it_could_have() -> None:
    head = _head(g={"S": "gen1"}, s={"N": "0"}, n={"N": "0"}, r={"N": "9000.0"})
    with pytest.raises(StoreError) as raised:
        head_of(head)
    assert str(raised.value) == (
        "session head 'SESSION#s-1' has no 'v' (nor 'version', its name before)"
    )


def test_a_head_without_its_first_number_names_it() -> None:
    with pytest.raises(StoreError) as raised:
        int_of(_head(v={"N": "3"}), "s")
    assert str(raised.value) == (
        "session head 'SESSION#s-1' has no 's' (nor 'start', its name before)"
    )


def test_either_name_is_read() -> None:
    new = head_of(_head(v={"N": "3"}, g={"S": "a"}, l={"S": "t"}, r={"N": "9000.5"}))
    old = head_of(_head(version={"N": "3"}, gen={"S": "a"}, last={"S": "t"}, renew={"N": "9000.5"}))
    assert new == old
    assert (new.version, new.gen, new.last, new.renew) == (3, "a", "t", 9000.5)
