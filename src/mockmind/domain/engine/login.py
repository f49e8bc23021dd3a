"""Login and logout: the config's login route issues a token and marks the session logged in;
the logout route logs the session out and revokes every token it was issued (and one the
request carries, whichever session it was issued to)."""

from __future__ import annotations

from mockmind.domain.auth import TokenIssuer, bearer_token
from mockmind.domain.engine.answers import Answers
from mockmind.domain.engine.exchange import Exchange
from mockmind.domain.http import MockResponse
from mockmind.ports.api_description import ResponsePlan


class Login:
    def __init__(self, auth: TokenIssuer, answers: Answers) -> None:
        self._auth = auth
        self._answers = answers

    def respond(self, ex: Exchange, plan: ResponsePlan) -> MockResponse | None:
        """The answer when the request logs in or out; None for any other request."""
        session = ex.session
        if session is None:
            return None
        # Which of the two the route is was worked out once, with its route plan.
        role = ex.route.login_role
        if role == "login":
            return self._login(ex, plan, session.id)
        if role == "logout":
            self._auth.revoke(bearer_token(ex.request.headers))
            self._auth.revoke_session(session.id, ex.ctx.now())
            ex.changes.authenticated = False
            return self._answers.finish(plan, self._answers.body_for(plan, {}), "rule")
        return None

    def _login(self, ex: Exchange, plan: ResponsePlan, session_id: str) -> MockResponse:
        auth = self._auth
        username = auth.check_credentials(ex.routed.body)
        token = auth.issue(session_id, username, ex.ctx.now())
        ex.changes.authenticated = True
        ex.changes.state["username"] = username
        body = self._answers.generate(plan, f"{ex.ctx.seeds}:login") if plan.schema else {}
        if not isinstance(body, dict):
            body = {}
        body[auth.settings.token_field] = token
        return self._answers.finish(plan, body, "rule")
