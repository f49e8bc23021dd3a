from __future__ import annotations

import pytest

from mockmind.learning.paths import infer_paths, segment_kind


@pytest.mark.parametrize(
    ("segment", "kind"),
    [
        ("42", "integer"),
        ("3f2504e0-4f89-11d3-9a0c-0305e82c3301", "uuid"),
        ("deadbeef01", "hex"),
        ("order_55c00a6eb7b3", "id"),
        ("p-1", "id"),
        ("v2", "word"),
        ("oauth2", "word"),
        ("products", "word"),
        ("nobody-here", "word"),
    ],
)
def test_segment_kinds(segment: str, kind: str) -> None:
    assert segment_kind(segment) == kind


def test_ids_at_one_position_become_one_named_parameter() -> None:
    model = infer_paths(
        [
            ("GET", "/orders/order_1a2b3c"),
            ("POST", "/orders/order_9f8e7d/pay"),
            ("POST", "/orders/order_1a2b3c/pay"),
            ("GET", "/cart/items/17"),
            ("GET", "/v2/users/3f2504e0-4f89-11d3-9a0c-0305e82c3301"),
        ]
    )
    assert model.templates == {
        "/orders/order_1a2b3c": "/orders/{orderId}",
        "/orders/order_9f8e7d/pay": "/orders/{orderId}/pay",
        "/orders/order_1a2b3c/pay": "/orders/{orderId}/pay",
        "/cart/items/17": "/cart/items/{itemId}",
        "/v2/users/3f2504e0-4f89-11d3-9a0c-0305e82c3301": "/v2/users/{userId}",
    }
    (pay,) = model.parameters["/orders/{orderId}/pay"]
    assert (pay.name, pay.values, pay.kind) == (
        "orderId",
        ("order_1a2b3c", "order_9f8e7d"),
        "string",
    )
    assert [p.kind for p in model.parameters["/cart/items/{itemId}"]] == ["integer"]
    assert [p.kind for p in model.parameters["/v2/users/{userId}"]] == ["uuid"]
    assert model.values_of("/orders/order_9f8e7d/pay") == {"orderId": "order_9f8e7d"}


def test_words_are_slugs_when_many_lead_to_the_same_request() -> None:
    users = ["ada", "grace", "alan", "edsger"]
    model = infer_paths([("GET", f"/users/{u}") for u in users] + [("GET", "/users")])
    assert {model.template_of(f"/users/{u}") for u in users} == {"/users/{userId}"}


def test_a_few_words_or_unalike_ones_stay_fixed() -> None:
    # Five top-level words with different requests are a path's fixed words, not slugs.
    requests = [
        ("POST", "/login"),
        ("POST", "/logout"),
        ("GET", "/products"),
        ("GET", "/cart"),
        ("DELETE", "/cart"),
        ("GET", "/admin/stats"),
    ]
    model = infer_paths(requests)
    assert sorted(set(model.templates.values())) == [
        "/admin/stats",
        "/cart",
        "/login",
        "/logout",
        "/products",
    ]
    three = infer_paths([("GET", f"/users/{u}") for u in ("ada", "grace", "alan")])
    assert sorted(set(three.templates.values())) == ["/users/ada", "/users/alan", "/users/grace"]


def test_a_word_beside_ids_stays_fixed_and_is_reported() -> None:
    model = infer_paths(
        [("GET", "/products/p-1"), ("GET", "/products/p-2"), ("GET", "/products/search")]
    )
    assert model.template_of("/products/search") == "/products/search"
    assert model.template_of("/products/p-2") == "/products/{productId}"
    assert model.ambiguities == [
        "/products: search kept as fixed segment(s) beside 2 id-like value(s) at the same position"
    ]


def test_two_parameters_in_one_path_get_different_names() -> None:
    model = infer_paths([("GET", "/a/12/34"), ("GET", "/a/13/35")])
    assert model.template_of("/a/12/34") == "/a/{aId}/{id}"
    nested = infer_paths([("GET", "/12/34")])
    assert nested.template_of("/12/34") == "/{id}/{id2}"


def test_a_word_beside_ids_that_was_never_found_is_a_value_of_the_parameter() -> None:
    requests = [
        ("GET", "/users/u-1/posts"),
        ("POST", "/users/u-2/posts"),
        ("POST", "/users/nobody-here/posts"),
        ("GET", "/users/search"),
    ]
    model = infer_paths(requests, not_found=["/users/nobody-here/posts"])
    assert model.template_of("/users/nobody-here/posts") == "/users/{userId}/posts"
    assert model.template_of("/users/search") == "/users/search"
    assert model.ambiguities == [
        "/users: nobody-here taken as value(s) of the parameter beside 2 id-like value(s): "
        "every request under it answered 404",
        "/users: search kept as fixed segment(s) beside 2 id-like value(s) at the same position",
    ]
