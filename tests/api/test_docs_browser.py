"""The API documentation really renders in a browser with nothing but the application: every request to another
origin is blocked, and the page must still show the operations, under our Content-Security-Policy."""

import os

import pytest

# pytest-playwright runs an event loop in the test thread; the ORM calls around it are plain sync code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
    }


def test_swagger_ui_renders_without_any_other_origin(page, live_server):
    elsewhere: list[str] = []
    problems: list[str] = []

    def only_the_application(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_application)
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock", timeout=60_000)

    assert page.locator(".opblock").count() >= 30  # every operation of the schema, listed
    assert page.get_by_text("/api/v1/bookings/{id}/confirm/").count() >= 1
    assert elsewhere == []
    assert not [p for p in problems if "Content Security Policy" in p], problems
