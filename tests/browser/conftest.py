"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Playwright's own browser download does not work here: `browser_type_launch_args` points it at /usr/bin/chromium
(or $CHROMIUM_PATH). Screenshots go to test-results/screenshots/, which CI keeps.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import factories as f

# pytest-playwright runs an event loop in the test thread; the ORM calls of the tests are still plain sync code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "fr-FR",
        "timezone_id": "Europe/Paris",
        "viewport": {"width": 1280, "height": 900},
    }


@pytest.fixture(autouse=True)
def _browser_settings(settings, live_server):
    """The live server runs in this process: these settings apply to it. Links in e-mails point at it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.OTP_REQUIRED = False  # the second factor has its own tests; here ARS staff log in with a password
    settings.SITE_URL = live_server.url


@pytest.fixture
def shoot(page):
    """Save a full-page screenshot of the current page, after checking what every page must hold."""

    def take(name: str) -> None:
        # A click on a link returns before the next page is parsed: wait until it has loaded and holds its title.
        page.wait_for_load_state("load")
        expect(page.locator("main h1")).to_have_count(1)
        check_page_structure(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take


def check_page_structure(page) -> None:
    """Accessibility basics a machine can check: one h1, headings in order, every field labelled, styles loaded."""
    report = page.evaluate(
        """() => {
          const levels = [...document.querySelectorAll('main h1, main h2, main h3, main h4, main h5, main h6')]
            .map(h => Number(h.tagName[1]));
          const unlabelled = [...document.querySelectorAll('main input, main select, main textarea')]
            .filter(el => el.type !== 'hidden' && el.type !== 'submit')
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                          && !el.getAttribute('aria-labelledby'))
            .map(el => el.name || el.id);
          const external = [...document.querySelectorAll('link[href], script[src], img[src]')]
            .map(el => el.href || el.src).filter(url => !url.startsWith(location.origin));
          const font = getComputedStyle(document.body).fontFamily;
          return {levels, unlabelled, external, font};
        }"""
    )
    levels = report["levels"]
    assert levels and levels[0] == 1 and levels.count(1) == 1, levels
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    assert report["unlabelled"] == [], report["unlabelled"]
    assert report["external"] == [], report["external"]
    assert "Marianne" in report["font"], report["font"]  # the DSFR stylesheet is loaded (from our own server)


@pytest.fixture
def world(transactional_db):
    """A zone with a host site and its secretary, the ARS staff of the region, the flat rate in force."""
    from accounts.authority import ensure_ars_group

    zone = f.ZoneFactory(name="CC du Livradois", department=f.DepartmentFactory(code="63", name="Puy-de-Dôme"))
    site = f.HostSiteFactory(zone=zone, name="Maison de santé d'Ambert")
    commune = f.CommuneFactory(department=zone.department, name="Ambert")
    secretary = f.SiteMembershipFactory(site=site, user__email="accueil@msp-ambert.fr").user
    ars = f.ArsMembershipFactory(region=zone.department.region, user__email="agent@ars.sante.fr").user
    ars.groups.add(ensure_ars_group())
    f.FlatRateFactory()
    return {"zone": zone, "site": site, "commune": commune, "secretary": secretary, "ars": ars}
