"""Log in and out, and the ``page`` decorator every other page goes through: a session (Starlette's signed
cookie) that names a live account of the right generation and has been used recently, and the right role.
An expired session goes to the login page and, after it, back to the page asked for."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from central import accounts, audit
from central.web.console import console_of, flash, redirect, remote_of, render

log = logging.getLogger(__name__)
Handler = Callable[..., Response]


def current_user(request: Request) -> accounts.User | None:
    session = request.session
    uid, generation, seen = session.get("uid"), session.get("gen"), session.get("seen", 0)
    if not isinstance(uid, int):
        return None
    console = console_of(request)
    now = console.now()
    if now - float(seen) > console.settings.central.session_idle_s:
        return None
    user = accounts.by_id(console.db, uid)
    if user is None or user.disabled or user.locked or user.generation != generation:
        return None
    if now - float(seen) > 30:  # refresh the idle clock (at most every 30 s: each change re-sends the cookie)
        session["seen"] = now
    return user


def page(*roles: str) -> Callable[[Handler], Callable[[Request], Any]]:
    """A console page for signed-in users with one of ``roles`` (any role when none is named).

    The handler is synchronous (it runs in Starlette's thread pool) and gets ``(request, user, form)``; ``form`` is
    the parsed POST body (None for GET)."""

    def wrap(handler: Handler) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            user = await run_in_threadpool(current_user, request)
            if user is None:
                had_session = "uid" in request.session
                request.session.clear()
                if had_session:
                    flash(request, "login.expired")
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                if request.method != "GET":
                    target = request.headers.get("referer", "/") or "/"
                    target = _local(target)
                return redirect("/login", next=target)
            if roles and user.role not in roles:
                raise HTTPException(403)
            request.scope["user"] = user
            form = await request.form() if request.method == "POST" else None
            result: Response = await run_in_threadpool(handler, request, user, form)
            return result

        endpoint.__name__ = handler.__name__
        return endpoint

    return wrap


def _local(url: str) -> str:
    """Only a path on this site (no open redirect through ``next``)."""
    from urllib.parse import urlparse

    parsed = urlparse(url)
    path = parsed.path or "/"
    if not path.startswith("/") or path.startswith("//"):
        return "/"
    return path + (f"?{parsed.query}" if parsed.query else "")


def login_page(request: Request) -> Response:
    return render(request, "login.html", next=_local(request.query_params.get("next", "/")), problem="")


async def login_submit(request: Request) -> Response:
    form = await request.form()
    name = str(form.get("name", "")).strip().lower()
    password = str(form.get("password", ""))
    target = _local(str(form.get("next", "/")))
    console = console_of(request)
    result = await run_in_threadpool(
        accounts.login, console.db, name, password, console.settings.central.lock_after
    )
    if result.user is None:
        log.info("console login refused (%s) from %s", result.problem, remote_of(request))
        key = {"wait": "login.wait", "locked": "login.locked", "disabled": "login.disabled"}.get(
            result.problem, "login.wrong"
        )
        message = console.word(request.session.get("lang", "id"), key, s=result.wait_s)
        return render(request, "login.html", status_code=401, next=target, problem=message, name=name)
    user = result.user
    lang = request.session.get("lang", "id")
    request.session.clear()  # a new session on login (no fixation)
    request.session.update({"uid": user.id, "gen": user.generation, "seen": console.now(), "lang": lang})
    await run_in_threadpool(audit.write, console.db, user.name, "login", remote_of(request))
    if target == "/" or target.startswith("/login"):
        target = "/fleet" if user.role == "technician" else "/inbox"
    return redirect(target)


@page()
def logout(request: Request, user: accounts.User, form: Any) -> Response:
    audit.write(console_of(request).db, user.name, "logout", remote_of(request))
    lang = request.session.get("lang", "id")
    request.session.clear()
    request.session["lang"] = lang
    return redirect("/login")


async def set_language(request: Request) -> Response:
    form = await request.form()
    lang = str(form.get("lang", "id"))
    request.session["lang"] = lang if lang in ("id", "en") else "id"
    return redirect(_local(str(form.get("back", "/"))))
