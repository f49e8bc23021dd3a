"""A URI already absolute in the main document is taken as it is: what urljoin answers."""

from __future__ import annotations

from urllib.parse import urldefrag, urljoin

from mockmind.openapi import OpenAPIDocument


def test_absolute_uris_in_the_main_document_are_what_urljoin_answers(
    petstore: OpenAPIDocument,
) -> None:
    ops = list(petstore.operations())
    assert ops
    uris = [uri for uri in petstore._resolved if uri.startswith(petstore.uri + "#")]
    assert uris
    for uri in [*uris, petstore.uri + "#/paths/~1pets/get", petstore.uri + "#/a%25b/~0c"]:
        assert petstore.absolute(uri) == urljoin(petstore.uri, uri) == uri
        assert petstore.absolute(uri, "file:///elsewhere/other.yaml#/x") == uri
        assert urldefrag(uri) == (petstore.uri, uri[len(petstore.uri) + 1 :])


def test_a_chain_through_absolute_uris_resolves_as_before(petstore: OpenAPIDocument) -> None:
    target = petstore.uri + "#/components/schemas"
    node, uri = petstore.deref_located({"$ref": target}, petstore.uri)
    assert uri == target
    assert node is petstore.raw["components"]["schemas"]
    assert petstore.public(uri) == "#/components/schemas"


def test_the_empty_reference_is_the_document_without_the_base_fragment(
    petstore: OpenAPIDocument,
) -> None:
    # RFC 3986 5.4.1 ("" resolves to the base without its fragment); urljoin keeps the fragment.
    base = petstore.uri + "#/components/schemas/Pet/allOf/0"
    assert petstore.absolute("", base) == petstore.uri
    assert (
        petstore.absolute("", "file:///elsewhere/other.yaml#/x") == "file:///elsewhere/other.yaml"
    )
    node, uri = petstore.deref_located({"$ref": ""}, base)
    assert uri == petstore.uri
    assert node is petstore.raw
