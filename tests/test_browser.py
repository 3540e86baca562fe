"""The web UI in a real browser: Debian's Chromium driven by playwright (no browser download), against
uvicorn serving a filled SQLite archive on a free loopback port.

Screenshots go to the test's tmp directory (``pytest --basetemp=DIR`` keeps them somewhere known).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, expect, sync_playwright

from gavel.app.archiving import archive_record
from gavel.render.view import build_view
from gavel.storage.archive import Archive, open_archive
from gavel.web.app import create_app
from render_support import AGENDA, TOOLS, fixture_meeting
from web_support import TOKEN, WEEKLY, Corpus, fill, meeting_path

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HIGHLIGHT = "rgb(255, 255, 160)"  # .ln:target in gavel.css

pytestmark = pytest.mark.servers  # Chromium, and uvicorn on a loopback port


class Site:
    def __init__(self, base: str, corpus: Corpus) -> None:
        self.base = base
        self.corpus = corpus

    def url(self, path: str) -> str:
        return self.base + path


@contextmanager
def serving(archive: Archive) -> Iterator[str]:
    """uvicorn serving ``archive`` in a thread, on a socket bound to a free loopback port: its base URL."""
    app = create_app(archive, token=TOKEN)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite://{tmp_path_factory.mktemp('browser') / 'archive.db'}"
    with open_archive(url) as archive:
        corpus = fill(archive, url)
        with serving(archive) as base:
            yield Site(base, corpus)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():  # a failure, not a skip, like the other system packages the suite needs
        pytest.fail(f"{CHROMIUM} is missing: run ./scripts/test (it installs Debian's chromium)", pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A desktop-sized page that fails the test on any console error (a CSP violation shows up there)."""
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    opened = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    opened.on("console", on_console)
    opened.set_default_timeout(10_000)
    yield opened
    context.close()
    assert errors == []


def expect_target(page: Page, element_id: str) -> None:
    """Wait (at most the page's timeout) until the element ``element_id`` is the document's ``:target``: the URL
    changes before the new document has loaded."""
    page.wait_for_function("id => document.querySelector(':target')?.id === id", arg=element_id)


def test_browse_series_meeting_and_search_to_the_line(site: Site, page: Page, tmp_path: Path) -> None:
    page.goto(site.url("/"))
    expect(page).to_have_title("Meetings · gavel")
    expect(page.locator("table.series-list tbody tr")).to_have_count(2)
    page.screenshot(path=str(tmp_path / "1-series.png"), full_page=True)

    page.get_by_role("link", name=WEEKLY, exact=True).click()
    expect(page).to_have_url(site.url(f"/series/{WEEKLY}"))
    expect(page.locator("h1")).to_have_text(WEEKLY)
    expect(page.locator("#open-actions li")).to_have_count(2)
    page.get_by_role("link", name="2023-11-07 15:00").click()

    roadmap = meeting_path(site.corpus.roadmap)
    expect(page).to_have_url(site.url(roadmap))
    expect(page.locator("h1")).to_have_text("#weekly: weekly sync")
    expect(page.locator("#summary")).to_contain_text("ship the roadmap in December")
    expect(page.locator("#log .ln")).to_have_count(10)
    page.screenshot(path=str(tmp_path / "2-meeting.png"), full_page=True)

    page.get_by_role("searchbox", name="Search the archive").fill("yesterday")
    page.get_by_role("searchbox", name="Search the archive").press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=yesterday$"))
    expect(page.locator("li.hit")).to_have_count(1)
    expect(page.locator("li.hit mark")).to_have_text("yesterday")
    page.screenshot(path=str(tmp_path / "3-search.png"), full_page=True)

    page.locator("li.hit .where a").click()
    expect(page).to_have_url(site.url(f"{roadmap}#l-4"))
    expect_target(page, "l-4")
    line = page.locator("#l-4")
    expect(line).to_contain_text("I read the roadmap draft yesterday")
    expect(line).to_have_css("background-color", HIGHLIGHT)
    expect(line).to_be_in_viewport()
    expect(page.locator("#l-3")).not_to_have_css("background-color", HIGHLIGHT)
    page.screenshot(path=str(tmp_path / "4-line.png"))


def test_search_filters_and_pages(site: Site, page: Page, tmp_path: Path) -> None:
    page.goto(site.url("/search"))
    page.locator("#q").fill("pagination")
    page.locator("details summary").click()
    page.get_by_label("Series").select_option(WEEKLY)
    page.get_by_label("Kind").select_option("line")
    page.locator("form.search button[type=submit]").click()
    expect(page.locator("p.count")).to_have_text("60 results, page 1 of 3.")
    expect(page.locator("li.hit")).to_have_count(20)
    page.get_by_role("link", name="Next ›").click()
    expect(page.locator("p.count")).to_have_text("60 results, page 2 of 3.")
    expect(page.get_by_label("Series")).to_have_value(WEEKLY)  # the form keeps its filters
    page.screenshot(path=str(tmp_path / "search-page-2.png"), full_page=True)
    page.locator("li.hit .where a").first.click()
    expect(page).to_have_url(re.compile(r"#l-\d+$"))
    fragment = page.url.partition("#")[2]
    expect_target(page, fragment)
    expect(page.locator(f"#{fragment}")).to_contain_text("pagination line")


def test_phone_layout(site: Site, browser: Browser, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    try:
        for path in ("/", f"/series/{WEEKLY}", meeting_path(site.corpus.k8s), "/search?q=kubernetes"):
            page.goto(site.url(path))
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, overflow)
        page.goto(site.url(meeting_path(site.corpus.k8s) + "#l-27"))
        expect(page.locator("#l-27")).to_have_css("background-color", HIGHLIGHT)
        page.screenshot(path=str(tmp_path / "phone-line.png"))
        page.goto(site.url(meeting_path(site.corpus.k8s)))
        page.screenshot(path=str(tmp_path / "phone-meeting.png"))
    finally:
        context.close()


def test_works_without_javascript_and_login(site: Site, browser: Browser, tmp_path: Path) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        restricted = site.url(meeting_path(site.corpus.restricted))
        assert page.goto(restricted).status == 404  # type: ignore[union-attr]
        page.goto(site.url("/"))
        page.get_by_role("link", name="Sign in").click()
        page.locator("#token").fill("wrong")
        page.locator("form.login button").click()
        expect(page.locator("p.error")).to_have_text("That token is not right.")
        page.locator("#token").fill(TOKEN)
        page.locator("form.login button").click()
        expect(page).to_have_url(site.url("/"))
        expect(page.locator("footer")).to_contain_text("Signed in")
        assert page.goto(restricted).status == 200  # type: ignore[union-attr]
        expect(page.locator("#log")).to_contain_text("zanzibar keys leaked")
        page.screenshot(path=str(tmp_path / "restricted.png"), full_page=True)
        cookies = context.cookies()
        assert [c["name"] for c in cookies] == ["gavel_session"] and cookies[0]["httpOnly"]
        assert cookies[0]["sameSite"] == "Lax" and "correct" not in cookies[0]["value"]  # never the token
        page.get_by_role("button", name="Sign out").click()
        assert page.goto(restricted).status == 404  # type: ignore[union-attr]
        # a copy of the cookie, put back after signing out, is worth nothing
        context.add_cookies([{"name": "gavel_session", "value": cookies[0]["value"], "url": site.base}])
        assert page.goto(restricted).status == 404  # type: ignore[union-attr]
        page.goto(site.url("/search?q=zanzibar"))
        expect(page.locator("p.count")).to_have_text("0 results.")
        page.goto(site.url("/login"))
        for _ in range(4):  # with the first one, five wrong tokens: this address has to wait
            page.locator("#token").fill("wrong")
            page.locator("form.login button").click()
            expect(page.locator("p.error")).to_have_text("That token is not right.")
        page.locator("#token").fill(TOKEN)
        page.locator("form.login button").click()
        expect(page.locator("p.error")).to_contain_text("Too many wrong tokens from your address: try again in")
    finally:
        context.close()


def test_hostile_text_stays_text(site: Site, page: Page) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(site.url(meeting_path(site.corpus.hostile)))
    expect(page.locator("h1")).to_have_text('#weekly: <script>alert("title")</script>')
    expect(page.locator("#log")).to_contain_text("<img src=x onerror=alert(2)>")
    page.goto(site.url("/search?q=" + "%3Cscript%3Ealert(1)%3C%2Fscript%3E"))
    expect(page.locator("#q")).to_have_value("<script>alert(1)</script>")
    assert page.locator("img").count() == 0
    assert dialogs == []


def test_agenda_attendance_nicks_and_corrections(
    browser: Browser, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The meeting tools' minutes from the archive: a search for an agenda title opens its agenda item."""
    url = f"sqlite://{tmp_path_factory.mktemp('browser-tools') / 'archive.db'}"
    with open_archive(url) as archive:
        for fixture in (AGENDA, TOOLS):
            meeting, logged = fixture_meeting(fixture)
            archive.store(archive_record(build_view(meeting, log_basename=fixture.basename)), logged)
        with serving(archive) as base:
            page = browser.new_page(viewport={"width": 1100, "height": 800})
            page.set_default_timeout(10_000)
            page.goto(f"{base}/search?q=triage&kind=agendum")
            expect(page.locator("li.hit")).to_have_count(1)
            page.locator("li.hit .where a").click()
            expect(page).to_have_url(f"{base}/series/gavel_agenda/{AGENDA.basename}#i-7")
            expect_target(page, "i-7")
            agenda = page.locator("#agenda li")
            expect(agenda).to_have_count(3)
            expect(agenda.nth(0)).to_have_text("Release plan (sdake): done, 6.4 of 5 minutes (over)")
            expect(agenda.nth(1)).to_have_text("Bug triage (alice): skipped")
            expect(agenda.nth(1)).to_be_in_viewport()
            page.screenshot(path=str(tmp_path / "agenda.png"), full_page=True)

            page.goto(f"{base}/series/gavel_tools/{TOOLS.basename}")
            expect(page.locator("#attendance .present")).to_have_text("Present: sdake_, alice, bob")
            expect(page.locator("#attendance .regrets")).to_have_text("Regrets: carol")
            expect(page.locator("#people li").first).to_have_text("sdake_ (8) (also sdake)")
            corrected = page.locator("#summary .corrected")
            expect(corrected).to_have_count(2)
            expect(corrected.nth(1)).to_have_attribute("title", "first said: the relase is on friday")
            expect(page.locator(".details").first).to_contain_text("Meeting started by sdake at")
            page.screenshot(path=str(tmp_path / "tools.png"), full_page=True)
            page.close()
