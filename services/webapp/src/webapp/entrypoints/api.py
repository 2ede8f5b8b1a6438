"""The web app's HTTP side: its pages and static files (its own CSS and JavaScript, served
from here: no CDN), and problem pages instead of problem documents for a browser."""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from servicekit.http import create_service_app
from servicekit.problems import Problem, Upload
from servicekit.serving import Role
from webapp import isp, operator, public
from webapp.bootstrap import WebApp
from webapp.rendering import SignInFirst, page, to_sign_in

STATIC = Path(__file__).parents[1] / "static"
FORMS = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def create_app(webapp: WebApp) -> FastAPI:
    app = create_service_app(
        name="webapp",
        title="DotMac web app",
        description="Pages for visitors, ISP admins and operators, over the platform's APIs.",
        state={"runtime": webapp.runtime, "webapp": webapp},
        routers=(public.router, isp.router, operator.router),
        # Pages post HTML forms, not JSON.
        uploads={
            r"/customers/import": Upload(FORMS, 20 * 1024 * 1024),  # tenant-api's own limit
            r"/billing/branding": Upload(FORMS, 600 * 1024),  # a logo of up to 512 KiB
            r"/(?!api/).*": Upload(FORMS, 64 * 1024),  # its own /api/v1/webapp/ takes JSON
        },
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(SignInFirst)
    async def sign_in_first(request: Request, needed: SignInFirst) -> Response:
        return to_sign_in(request, needed.sign_in)

    @app.exception_handler(Problem)
    async def problem_page(request: Request, problem: Problem) -> Response:
        return page(
            request,
            "public/problem.html",
            {"status": problem.status, "title": problem.title, "detail": problem.detail},
            status=problem.status,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_page(request: Request, error: StarletteHTTPException) -> Response:
        return page(
            request,
            "public/problem.html",
            {"status": error.status_code, "title": "Not here", "detail": str(error.detail)},
            status=error.status_code,
        )

    return app


def role(webapp: WebApp) -> Role:
    return Role(app=create_app(webapp))
