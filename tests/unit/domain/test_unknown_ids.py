"""An id never seen: 404 where the operation documents a 404 (or a 4XX, or a default),
in every session but the one that made it; else an entity generated now and kept
(read-through), for a read, a change or a delete alike, starting in its machine's initial
state. A PUT creates where the document describes it as create-or-replace (it documents 201).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from mockmind.app.bootstrap import Container, build
from mockmind.config import parse_config
from mockmind.domain.http import MockRequest, MockResponse
from mockmind.domain.resources import creates_on_put
from mockmind.ports.api_description import OperationInfo

DOCUMENT = """
openapi: 3.0.3
info: {title: Notes, version: '1'}
x-note: &note {application/json: {schema: {$ref: '#/components/schemas/Note'}}}
x-notes: &notes
  application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Note'}}}
x-file: &file {application/json: {schema: {$ref: '#/components/schemas/File'}}}
x-tag: &tag {application/json: {schema: {$ref: '#/components/schemas/Tag'}}}
x-tags: &tags
  application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Tag'}}}
x-files: &files
  application/json: {schema: {type: array, items: {$ref: '#/components/schemas/File'}}}
paths:
  /notes:
    get:
      responses:
        '200': {description: All, content: *notes}
    post:
      requestBody: {content: *note}
      responses:
        '201': {description: Made, content: *note}
  /notes/{noteId}:
    parameters: [{name: noteId, in: path, required: true, schema: {type: string}}]
    get:
      responses:
        '200': {description: One, content: *note}
        '404': {description: None}
    put:
      requestBody: {content: *note}
      responses:
        '200': {description: Replaced, content: *note}
        '404': {description: None}
    patch:
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses:
        '200': {description: Merged, content: *note}
        '404': {description: None}
    delete:
      responses:
        '204': {description: Gone}
        '404': {description: None}
  /notes/{noteId}/archive:
    parameters: [{name: noteId, in: path, required: true, schema: {type: string}}]
    post:
      responses:
        '200': {description: Archived, content: *note}
        '404': {description: None}
        '409': {description: Not now}
  /tags:
    get:
      responses:
        '200': {description: All, content: *tags}
  /tags/{tagId}:
    parameters: [{name: tagId, in: path, required: true, schema: {type: string}}]
    get:
      responses:
        '200': {description: One, content: *tag}
    patch:
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses:
        '200': {description: Merged, content: *tag}
        '401': {description: Who are you}
    delete:
      responses:
        '204': {description: Gone}
  /tags/{tagId}/uses:
    parameters: [{name: tagId, in: path, required: true, schema: {type: string}}]
    get:
      responses:
        '200': {description: All, content: *tags}
  /tags/{tagId}/uses/{useId}:
    parameters:
      - {name: tagId, in: path, required: true, schema: {type: string}}
      - {name: useId, in: path, required: true, schema: {type: string}}
    get:
      responses:
        '200': {description: One, content: *tag}
    delete:
      responses:
        '204': {description: Gone}
  /files:
    get:
      responses:
        '200': {description: All, content: *files}
  /files/{fileId}:
    parameters: [{name: fileId, in: path, required: true, schema: {type: string}}]
    get:
      responses:
        '200': {description: One, content: *file}
    put:
      requestBody: {content: *file}
      responses:
        '200': {description: Replaced, content: *file}
        '201': {description: Created, content: *file}
components:
  schemas:
    Note:
      type: object
      properties:
        id: {type: string}
        text: {type: string}
        state: {type: string, enum: [open, archived]}
    Tag:
      type: object
      properties:
        id: {type: string}
        label: {type: string}
        stage: {type: string, enum: [draft, live, retired]}
    File:
      type: object
      properties:
        id: {type: string}
        name: {type: string}
"""

CONFIG = """
intelligent_behavior:
  session_tracking: {method: header}
  behavior_model:
    rules:
      resources:
        notes:
          seed: [{id: shared-1, text: everyone's, state: open}]
      state_machines:
        notes_state:
          resource: notes
          field: state
          initial: open
          transitions:
            - {from: open, to: archived, on: "POST /notes/{noteId}/archive"}
        tags_stage:
          resource: tags
          field: stage
          initial: draft
          transitions:
            - {from: draft, to: live, on: "PATCH /tags/{tagId}"}
      consistency_rules:
        - name: archive_by_rule
          condition: "path matches '/notes/*' and method == 'PATCH' and body.archive == true"
          action: {type: transition, machine: notes_state, to: archived}
"""


@pytest.fixture
def app(tmp_path: Path) -> Container:
    document = tmp_path / "notes.yaml"
    document.write_text(DOCUMENT)
    return build(parse_config(f"openapi: {document}\n{CONFIG}", env={}), env={})


def call(
    app: Container, method: str, path: str, body: Any = None, session: str = "s-1"
) -> MockResponse:
    request = MockRequest(
        method=method,
        path=path,
        headers={"x-session-id": session, "content-type": "application/json"},
        body=json.dumps(body).encode() if body is not None else b"",
    )
    return asyncio.run(app.engine.handle(request)).response


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/notes/never-seen", None),
        ("PATCH", "/notes/never-seen", {"text": "x"}),
        ("PUT", "/notes/never-seen", {"text": "x"}),
        ("DELETE", "/notes/never-seen", None),
        ("POST", "/notes/never-seen/archive", None),
        ("PATCH", "/notes/never-seen", {"archive": True}),
        # An id with an encoded / or ? is one id, and an unknown one.
        ("PATCH", "/notes/a%2Fb", {"text": "x"}),
        ("POST", "/notes/%3Fabc/archive", None),
    ],
)
def test_an_unknown_id_is_404_where_the_operation_documents_404_and_creates_nothing(
    app: Container, method: str, path: str, body: Any
) -> None:
    response = call(app, method, path, body)
    assert response.status == 404
    note_id = MockRequest(method, path).segments[1]
    # The 404 is documented without content: no body, so no Content-Type the document does
    # not list; the engine's words are in a header.
    assert (response.body_kind, response.encoded()) == ("empty", b"")
    assert response.headers["X-Mockmind-Error"] == f"Not Found: note {note_id} does not exist"
    assert [note["id"] for note in call(app, "GET", "/notes").body] == ["shared-1"]


def test_what_exists_can_be_changed(app: Container) -> None:
    created = call(app, "POST", "/notes", {"text": "mine"}).body
    assert call(app, "PATCH", f"/notes/{created['id']}", {"text": "changed"}).status == 200
    # The shared seed set exists for every session.
    assert call(app, "POST", "/notes/shared-1/archive").body["state"] == "archived"
    assert call(app, "DELETE", f"/notes/{created['id']}").status == 204
    assert call(app, "PATCH", f"/notes/{created['id']}", {"text": "again"}).status == 404


def test_a_put_that_documents_201_creates_under_the_clients_id(app: Container) -> None:
    made = call(app, "PUT", "/files/a%2Fb", {"name": "report.pdf"})
    assert made.status == 200
    assert made.body == {"id": "a/b", "name": "report.pdf"}
    assert call(app, "GET", "/files/a%2Fb").body == {"id": "a/b", "name": "report.pdf"}
    replaced = call(app, "PUT", "/files/a%2Fb", {"name": "v2.pdf"})
    assert replaced.body == {"id": "a/b", "name": "v2.pdf"}


@pytest.mark.parametrize(
    ("statuses", "creates"),
    [((200, 201), True), ((201,), True), ((200,), False), ((200, 204), False), ((), False)],
)
def test_put_is_create_or_replace_when_it_documents_201(
    statuses: tuple[int, ...], creates: bool
) -> None:
    put = OperationInfo("PUT", "/files/{fileId}", success_statuses=statuses)
    assert creates_on_put(put) is creates
    assert creates_on_put(None) is False


def test_the_inferred_specs_say_which_put_creates(app: Container) -> None:
    specs = {spec.name: spec for spec in app.engine.world.resources.specs.values()}
    assert (specs["notes"].put_creates, specs["files"].put_creates) == (False, True)


def test_one_sessions_entity_is_404_in_another_session(app: Container) -> None:
    created = call(app, "POST", "/notes", {"text": "mine"}, session="a").body
    assert call(app, "GET", f"/notes/{created['id']}", session="b").status == 404
    assert call(app, "PATCH", f"/notes/{created['id']}", {"text": "b's"}, session="b").status == 404
    assert call(app, "GET", f"/notes/{created['id']}", session="a").body == created
    # The shared seed set is seen by every session.
    assert call(app, "GET", "/notes/shared-1", session="b").status == 200


def test_where_no_error_is_documented_an_unknown_id_is_read_through(app: Container) -> None:
    read = call(app, "GET", "/tags/t-1")
    assert (read.status, read.body["id"], read.body["stage"]) == (200, "t-1", "draft")
    assert call(app, "GET", "/tags/t-1").body == read.body
    # A change makes the entity too (PATCH documents a 401, which a 404 cannot be), and the
    # move it triggers starts from the initial state.
    patched = call(app, "PATCH", "/tags/t-2", {"label": "new"})
    assert (patched.status, patched.body["label"], patched.body["stage"]) == (200, "new", "live")
    assert call(app, "GET", "/tags/t-2").body == patched.body
    assert call(app, "DELETE", "/tags/t-3").status == 204
    # No operation here documents a 404: what was deleted is as if never seen. A second
    # DELETE succeeds as the first did, a change makes the entity anew, and so does a read.
    assert call(app, "DELETE", "/tags/t-3").status == 204
    remade = call(app, "PATCH", "/tags/t-3", {"label": "again"})
    assert (remade.status, remade.body["id"], remade.body["label"]) == (200, "t-3", "again")
    assert call(app, "GET", "/tags/t-3").body == remade.body
    assert call(app, "DELETE", "/tags/t-3").status == 204
    again = call(app, "GET", "/tags/t-3")
    assert (again.status, again.body["id"], again.body["stage"]) == (200, "t-3", "draft")
    # A list under a parent never seen makes the parent.
    assert call(app, "GET", "/tags/t-4/uses").status == 200
    assert call(app, "GET", "/tags/t-4").body["id"] == "t-4"
    listed = {tag["id"] for tag in call(app, "GET", "/tags").body}
    assert {"t-1", "t-2", "t-3", "t-4"} <= listed


def test_the_same_id_under_two_parents_is_read_through_under_each(app: Container) -> None:
    # readme-3.1: the category `guides` of branch `stable`, then of branch `vstable` (404
    # before: the id was taken by the first parent's entity).
    first = call(app, "GET", "/tags/a/uses/guides")
    second = call(app, "GET", "/tags/b/uses/guides")
    assert (first.status, second.status) == (200, 200)
    assert call(app, "GET", "/tags/a/uses/guides").body == first.body
    assert call(app, "GET", "/tags/b/uses/guides").body == second.body
    # A delete under one parent leaves the other's entity alone.
    assert call(app, "DELETE", "/tags/b/uses/guides").status == 204
    assert call(app, "GET", "/tags/a/uses/guides").body == first.body
    # Read through again, the deleted one is made anew as if never seen: the same content.
    again = call(app, "GET", "/tags/b/uses/guides")
    assert (again.status, again.body) == (200, second.body)


def test_a_read_through_entity_starts_in_its_machines_initial_state(app: Container) -> None:
    stages = {call(app, "GET", f"/tags/g-{n}").body["stage"] for n in range(12)}
    assert stages == {"draft"}


LISTED = """
openapi: 3.0.3
info: {title: Listed, version: '1'}
paths:
  /pets:
    get:
      responses:
        '200':
          description: All
          content:
            application/json:
              schema:
                type: array
                minItems: 2
                items: {$ref: '#/components/schemas/Pet'}
  /pets/{petId}:
    parameters: [{name: petId, in: path, required: true, schema: {type: string}}]
    get:
      responses:
        '200':
          description: One
          content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}
        '404': {description: None}
components:
  schemas:
    Pet:
      type: object
      required: [id, name]
      properties: {id: {type: string}, name: {type: string}}
"""


def test_an_id_a_generated_list_showed_is_the_listing_sessions_alone(tmp_path: Path) -> None:
    document = tmp_path / "pets.yaml"
    document.write_text(LISTED)
    tracking = "intelligent_behavior: {session_tracking: {method: header}}\n"
    app = build(parse_config(f"openapi: {document}\n{tracking}", env={}), env={})
    listed = call(app, "GET", "/pets", session="a").body
    assert len(listed) >= 2
    for pet in listed:
        # Seen by session a: it reads what its list showed; session b never saw it.
        assert call(app, "GET", f"/pets/{pet['id']}", session="a").body == pet
        assert call(app, "GET", f"/pets/{pet['id']}", session="b").status == 404
    assert {pet["id"] for pet in call(app, "GET", "/pets", session="b").body}.isdisjoint(
        pet["id"] for pet in listed
    )
