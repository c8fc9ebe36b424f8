"""Security policies that deserve a name, kept out of settings.py so they can be read (and tested) on their own.

- The Content-Security-Policy applied to every response (django-csp 4): scripts and styles only from our own origin,
  never inline (`'unsafe-inline'` is absent on purpose); a template that truly needs an inline block uses the
  per-request nonce (`nonce="{{ request.csp_nonce }}"`).
- The one relaxed policy, for the third-party API documentation pages (Swagger UI, Redoc), applied per view.
"""

from csp.constants import NONCE, NONE, SELF


def content_security_policy(*, report_uri: str = "", upgrade_insecure_requests: bool = False) -> dict:
    """The policy of every page, API response and download of the product."""
    directives: dict[str, object] = {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # The DSFR draws some icons and form controls with `data:` SVG images from its stylesheet.
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
    if report_uri:
        directives["report-uri"] = [report_uri]
    if upgrade_insecure_requests:
        directives["upgrade-insecure-requests"] = True
    return {"DIRECTIVES": directives}


# Swagger UI and Redoc (served by the app from drf-spectacular-sidecar, no CDN) inject inline styles, and Redoc
# runs its search in a `blob:` web worker. Only these two documentation pages get this relaxation; they display
# the public schema and hold no personal data.
API_DOCS_CSP_UPDATE = {
    "style-src": ["'unsafe-inline'"],
    "worker-src": [SELF, "blob:"],
    "img-src": ["blob:"],
}
