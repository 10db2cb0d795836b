"""The HTTP face of the service: ``create_app`` is the only wiring point."""

from __future__ import annotations

from flask import Flask

from dispatch import runtime
from dispatch.db import configure_database
from dispatch.logs import configure_logging
from dispatch.settings import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the WSGI app. Tests pass ``settings``; production reads the environment."""
    from api import (
        abuse,
        agent_desk,
        areas,
        auth,
        categories,
        complaints,
        context,
        db,
        errors,
        health,
        incidents,
        input_guard,
        kpi,
        mapview,
        metrics,
        notifications,
        open311,
        photos,
        sms,
        staff_accounts,
        traffic,
        workflow,
    )
    from api.extensions import api
    from api.limits import limiter

    settings = settings or Settings.from_env()
    configure_logging(settings.log_level, "web")
    app = Flask(__name__, static_folder=None)
    # "/api//v1/x" is a 404 in our error document, not werkzeug's HTML redirect page;
    # set before any rule is added (each rule copies it when bound).
    app.url_map.merge_slashes = False
    app.config.update(
        API_TITLE="Dasan Field Dispatch",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/static/vendor/swagger-ui/",
        SECRET_KEY=settings.secret_key,
        # Photos are the largest bodies we take (issue: 5 x 10 MB plus form fields).
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.config.update(RATELIMIT_STORAGE_URI=settings.redis_url,
                      RATELIMIT_STORAGE_OPTIONS={"socket_timeout": 2,
                                                 "socket_connect_timeout": 2})
    if settings.proxy_count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_count,
                                x_proto=settings.proxy_count)
    app.wsgi_app = input_guard.ReadTimeout(app.wsgi_app, settings.client_read_timeout_s)
    app.extensions["dispatch.settings"] = settings
    runtime.configure(settings)  # jobs run inline or deferred read the same settings
    # The engine must exist before any request opens a session.
    configure_database(settings)
    context.init_app(app)  # request id + security headers, before anything can fail
    input_guard.init_app(app)
    db.init_app(app)
    metrics.init_app(app)
    # Auth before flask-smorest parses anything (before_request runs ahead of the view).
    app.before_request(auth.enforce_staff_roles)
    app.before_request(input_guard.check_body_type)  # 415 after 401/403, before parsing
    limiter.init_app(app)
    api.init_app(app)
    # After api.init_app: our handlers replace flask-smorest's HTTPException handler.
    errors.init_app(app)
    for blueprint in (complaints.blp, agent_desk.blp, photos.blp, areas.blp, categories.blp,
                      auth.blp, abuse.blp, mapview.blp, kpi.blp, workflow.blp, traffic.blp,
                      incidents.blp, notifications.blp, sms.blp, staff_accounts.blp):
        api.register_blueprint(blueprint)
    app.register_blueprint(health.blp)
    app.register_blueprint(metrics.blp)
    app.register_blueprint(open311.blp)
    # Unknown Open311 paths and methods answer in the spec's error document too.
    errors.delegate_http_errors(app, "/open311/", open311.handle_http_exception)
    from api import pwa, static, stream

    app.register_blueprint(static.blp)
    app.register_blueprint(pwa.blp)
    app.register_blueprint(stream.blp)
    return app
