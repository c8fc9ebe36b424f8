"""Production static files: compressed at collectstatic, served compressed, and light.

Production stores static files with WhiteNoise's CompressedManifestStaticFilesStorage (config/static_files.py, which
looks each URL up once a process): each
file gets a hashed name and, beside it, a .gz (and a .br: `brotli` is a dependency for that) that WhiteNoise serves
to a browser that asks for it. This test runs the real `collectstatic` with that storage into a temporary
STATIC_ROOT, then serves a page and its stylesheets through the WhiteNoise middleware with Django's test client.

Collecting everything takes minutes (about 10,000 files: the DSFR's 25 MB of icons, the API docs' bundles): the
test leaves out the directories no page of ours links (listed in UNUSED) — the files kept are those the pages
link and those they reference (fonts, the 7 icons), so the manifest pass and the compression run on the real CSS.
"""

import gzip
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

PRODUCTION_STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "config.static_files.StaticFilesStorage"},  # WhiteNoise's, URLs kept (issue #20)
}
# What no page links: the API docs' bundles, DRF's browsable API, the stock admin's files, the DSFR's per-component and utility builds, its artwork and the icon families we do not use.
# Directories are matched by their own name, files by their path (django.contrib.staticfiles.utils.get_files).
UNUSED = [
    "drf_spectacular_sidecar",
    "rest_framework",
    "admin",  # the console's pages link them; the page served here does not
    "*.map",
    "*.legacy.*",  # the DSFR builds for old browsers
    "dsfr/dist/component/*",
    "dsfr/dist/core/*",
    "dsfr/dist/utility/*",
    "dsfr/dist/legacy/*",
    "dsfr/dist/layout/*",
    "dsfr/dist/analytics/*",
    "dsfr/dist/artwork/*/*",  # the pictograms (the theme modal uses the artwork at the top)
    "dsfr/dist/scheme/*",
    "dsfr/dist/dsfr.*",  # the top-level copies of dsfr/dist/dsfr/
    # and the icon families no kept stylesheet references (unused_icon_families)
]
DSFR_CSS = "dsfr/dist/dsfr/dsfr.min.css"
# The CSS a page costs a browser that accepts gzip (measured 2026-12: 94 KB, most of it the DSFR's), and
# uncompressed (721 KB). Linking the DSFR utility CSS again (458 KB) would break the second.
CSS_BUDGET_GZIP = 110_000
CSS_BUDGET_RAW = 760_000


def unused_icon_families() -> list[str]:
    """The DSFR's icon families (dsfr/dist/icons/<family>/) that neither its CSS nor ours references."""
    icons = Path(finders.find("dsfr/dist/icons"))
    referenced = "\n".join(Path(finders.find(name)).read_text() for name in (DSFR_CSS, "css/icons.css"))
    used = set(re.findall(r"icons/([a-z-]+)/", referenced))
    return [f"dsfr/dist/icons/{family.name}/*" for family in icons.iterdir() if family.name not in used]


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("static_root")
    with override_settings(STATIC_ROOT=root, STORAGES=PRODUCTION_STORAGES):
        patterns = UNUSED + unused_icon_families()
        args = ["--noinput", "--verbosity", "0"] + [f"--ignore={pattern}" for pattern in patterns]
        call_command("collectstatic", *args)
    return root


@pytest.fixture
def served(static_root, settings):
    """A test client whose WhiteNoise middleware serves the collected files (and only them, as in production)."""
    settings.STATIC_ROOT = static_root
    settings.STORAGES = PRODUCTION_STORAGES
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    return Client()  # a new client, a new middleware chain: WhiteNoise reads the files of this STATIC_ROOT


def _hashed(static_root: Path, name: str) -> Path:
    import json

    manifest = json.loads((static_root / "staticfiles.json").read_text())
    return static_root / manifest["paths"][name]


def test_the_dsfr_css_gets_compressed_siblings_smaller_than_itself(static_root):
    import brotli  # a dependency: WhiteNoise writes .br files only when it is installed

    css = _hashed(static_root, DSFR_CSS)
    original = css.read_bytes()
    gz = Path(f"{css}.gz")
    br = Path(f"{css}.br")
    assert gz.is_file() and br.is_file()
    assert gzip.decompress(gz.read_bytes()) == original
    assert brotli.decompress(br.read_bytes()) == original
    assert gz.stat().st_size < len(original) / 5  # 711 KB → about 92 KB
    assert br.stat().st_size < gz.stat().st_size


def test_whitenoise_serves_the_compressed_css_to_who_asks_for_it(served, static_root):
    url = settings.STATIC_URL + _hashed(static_root, DSFR_CSS).relative_to(static_root).as_posix()
    original = _hashed(static_root, DSFR_CSS).read_bytes()

    as_gzip = served.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert as_gzip.status_code == 200
    assert as_gzip["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in as_gzip["Vary"]
    body = b"".join(as_gzip.streaming_content)
    assert gzip.decompress(body) == original
    assert int(as_gzip["Content-Length"]) == len(body) < len(original) / 5
    assert "immutable" in as_gzip["Cache-Control"]  # a hashed name is cached for good

    as_brotli = served.get(url, HTTP_ACCEPT_ENCODING="gzip, br")
    assert as_brotli["Content-Encoding"] == "br"

    plain = served.get(url)  # a client that asks for nothing gets the file as it is
    assert not plain.has_header("Content-Encoding")
    assert b"".join(plain.streaming_content) == original


def _stylesheets(html: str) -> list[str]:
    return re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)


def test_a_page_links_no_utility_css_and_its_css_stays_within_budget(served, static_root):
    page = served.get("/compte/connexion/")
    assert page.status_code == 200
    sheets = _stylesheets(page.content.decode())
    assert any("dsfr.min." in href for href in sheets)
    assert not [href for href in sheets if "utility" in href]  # 458 KB for 7 icons: static/css/icons.css instead
    assert not (static_root / "dsfr/dist/utility").exists()  # (left out above; the page could not link it anyway)

    raw = compressed = 0
    for href in sheets:
        response = served.get(href, HTTP_ACCEPT_ENCODING="gzip")
        assert response.status_code == 200, href
        assert response["Content-Encoding"] == "gzip", href
        compressed += int(response["Content-Length"])
        raw += len(gzip.decompress(b"".join(response.streaming_content)))
    assert compressed <= CSS_BUDGET_GZIP, f"{compressed} octets de CSS compressé pour {sheets}"
    assert raw <= CSS_BUDGET_RAW, f"{raw} octets de CSS pour {sheets}"


def test_the_icons_css_names_only_icons_the_collected_set_holds(static_root):
    """icons.css (the 7 icons used) points at files that exist: the manifest pass rewrote each to its hashed name."""
    icons = _hashed(static_root, "css/icons.css").read_text()
    urls = {url.strip("'\"") for url in re.findall(r"url\(([^)]+)\)", icons)}
    assert 1 <= len(urls) <= 12
    for url in urls:
        assert re.search(r"\.[0-9a-f]{12}\.svg$", url), url
        assert (static_root / "css" / url).resolve().is_file(), url
