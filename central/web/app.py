"""The console's ASGI app: routes, Starlette's signed session cookie, asgi-csrf on every form, error pages.

Security comes from libraries, not from this code: sessions are itsdangerous-signed cookies (Starlette's
SessionMiddleware: HttpOnly, SameSite=Lax, ``Secure`` unless ``central.web_secure_cookies`` is false, a
``max_age``), CSRF is asgi-csrf's signed double-submit token checked on every POST (a form without it gets 403),
passwords are Argon2id (argon2-cffi).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from asgi_csrf import asgi_csrf
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from central import office_keys
from central.db import DatabaseDown
from central.web import auditlog, auth, deadletters, exports, fleet, inbox, plan, public, requests
from central.web.console import Console, redirect, render

log = logging.getLogger(__name__)


class _EveryPath:
    """asgi-csrf skips its check for a POST without cookies unless the path is 'always protected': all are."""

    def __contains__(self, path: object) -> bool:
        return True


def _home(request: Request) -> Response:
    return redirect("/inbox")


def routes() -> list[Any]:
    return [
        Route("/", _home),
        Route("/login", auth.login_page, methods=["GET"]),
        Route("/login", auth.login_submit, methods=["POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        Route("/lang", auth.set_language, methods=["POST"]),
        Route("/inbox", inbox.inbox),
        Route("/inbox/bulk", inbox.bulk, methods=["POST"]),
        Route("/search", inbox.search),
        Route("/export", exports.export),
        Route("/requests/{msg_id}", requests.request_page),
        Route("/requests/{msg_id}/state", requests.change_state, methods=["POST"]),
        Route("/requests/{msg_id}/resend", requests.resend, methods=["POST"]),
        Route("/fleet", fleet.fleet),
        Route("/fleet/{device_id}", fleet.device),
        Route("/dead-letters", deadletters.dead_letters),
        Route("/dead-letters/{dead_id:int}/discard", deadletters.discard, methods=["POST"]),
        Route("/dead-letters/{dead_id:int}/requeue", deadletters.requeue, methods=["POST"]),
        Route("/audit", auditlog.audit_page),
        Route("/audit/export.csv", auditlog.audit_export),
        # the public's pages: no login (central.web.public), and the supervisors' plan (central.web.plan)
        Route("/publik", public.public_page),
        *[
            Route(f"/publik/{name}.{fmt}", public.open_data)
            for name in ("data", "minggu")
            for fmt in ("csv", "json")
        ],
        Route("/rencana", plan.plan_page),
        Route("/rencana/export.csv", plan.plan_export),
        Route("/rencana/catat", plan.record, methods=["POST"]),
        Mount("/static", StaticFiles(packages=[("central.web", "static")]), name="static"),
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    titles = {400: "err.400", 403: "err.403", 404: "err.404"}
    message = exc.detail if exc.status_code == 400 else ""
    return render(
        request,
        "error.html",
        status_code=exc.status_code,
        key=titles.get(exc.status_code, "err.title"),
        message=message,
    )


async def _database_down(request: Request, exc: Exception) -> Response:
    log.error("console: database not reachable (%s)", exc)
    return render(request, "error.html", status_code=503, key="err.db_down", message="")


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("console: unexpected error on %s %s", request.method, request.url.path)
    return render(request, "error.html", status_code=500, key="err.title", message="")


async def _csrf_failed(scope: Any, send: Any, message_id: Any) -> None:
    body = (
        b"<!doctype html><meta charset=utf-8><title>403</title><p>Formulir ini kedaluwarsa atau tidak sah. "
        b"Muat ulang halaman lalu coba lagi. / This form has expired or is not valid. Reload the page and try again."
        b' <a href="/">OK</a></p>'
    )
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"text/html; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def server_timing(app: Any) -> Any:
    """Adds ``Server-Timing: app;dur=MS`` (the time the app took up to its response headers) to every response:
    the benchmark reads it, and so can a browser's network panel."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - start) * 1000
                message = {
                    **message,
                    "headers": [
                        *message.get("headers", []),
                        (b"server-timing", f"app;dur={ms:.2f}".encode()),
                    ],
                }
            await send(message)

        await app(scope, receive, timed_send)

    return wrapped


def create_app(console: Console) -> Any:
    central = console.settings.central
    secure = central.web_secure_cookies
    session_secret = office_keys.secret(console.keys_dir, office_keys.SESSION_FILE).hex()
    app = Starlette(
        routes=routes(),
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=session_secret,
                session_cookie="layanan_session",
                max_age=central.session_max_age_s,
                same_site="lax",
                https_only=secure,
            )
        ],
        exception_handlers={HTTPException: _http_error, DatabaseDown: _database_down, Exception: _unexpected},
    )
    app.state.console = console
    return server_timing(
        asgi_csrf(
            app,
            signing_secret=session_secret,
            always_protect=_EveryPath(),
            cookie_secure=secure,
            cookie_samesite="Lax",
            send_csrf_failed=_csrf_failed,
        )
    )
