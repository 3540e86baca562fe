"""The charts of a series page and a person page in Chromium: the SVGs are laid out (non-empty boxes, their
lines and labels drawn inside them), their text equivalents are in the page, and screenshots are saved to the
test's tmp directory (``pytest --basetemp=DIR`` keeps them somewhere known)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import FloatRect, Page, expect

from test_browser import Site, browser, page, site  # noqa: F401 -- the fixtures of the browser tests
from web_support import WEEKLY, XSS_NICK

pytestmark = pytest.mark.servers


def box(shown: Page, selector: str) -> FloatRect:
    found = shown.locator(selector).first.bounding_box()
    assert found is not None, selector
    return found


def test_series_charts_render(site: Site, page: Page, tmp_path: Path) -> None:  # noqa: F811
    page.goto(site.url(f"/series/{WEEKLY}"))
    charts = page.locator("#activity svg.chart")
    expect(charts).to_have_count(3)
    for index in range(3):
        chart = charts.nth(index)
        outer = chart.bounding_box()
        assert outer is not None and outer["width"] > 200 and outer["height"] > 100
        polyline = chart.locator("polyline").first.bounding_box()
        assert polyline is not None and polyline["width"] > 100  # four meetings drawn across the plot
        assert outer["x"] <= polyline["x"] and polyline["x"] + polyline["width"] <= outer["x"] + outer["width"]
        labels = chart.locator("text")
        assert labels.count() >= 5
        for label in range(labels.count()):  # every tick and line label inside the picture
            text = labels.nth(label).bounding_box()
            assert text is not None and text["width"] > 0
            assert outer["x"] - 1 <= text["x"] and text["x"] + text["width"] <= outer["x"] + outer["width"] + 1
    expect(charts.first).to_have_accessible_name("People per meeting")
    expect(charts.nth(2)).to_have_accessible_description(re.compile(r"^4 meetings\. opened: "))
    table = page.locator("#activity-data")
    expect(table.locator("tbody tr")).to_have_count(4)
    hidden = box(page, "#activity .visually-hidden")
    assert hidden["width"] <= 1 and hidden["height"] <= 1  # there for screen readers, not drawn
    page.locator("#activity").screenshot(path=str(tmp_path / "series-charts.png"))
    page.screenshot(path=str(tmp_path / "series.png"), full_page=True)


def test_person_page_from_a_meeting(site: Site, page: Page, tmp_path: Path) -> None:  # noqa: F811
    hostile = site.corpus.hostile
    page.goto(site.url(f"/series/{hostile.series}/{hostile.basename}"))
    page.locator("#people").get_by_role("link", name=XSS_NICK, exact=True).click()
    expect(page).to_have_url(site.url("/people/" + quote(XSS_NICK, safe="")))
    expect(page.locator("h1")).to_have_text(XSS_NICK)
    expect(page.locator("#meetings li")).to_have_count(1)
    page.screenshot(path=str(tmp_path / "person-hostile.png"), full_page=True)

    page.goto(site.url("/people/bob"))
    expect(page.locator("h1")).to_have_text("bob")
    expect(page.locator("#open-actions li")).to_have_count(1)
    expect(page.locator("#open-actions li")).to_contain_text("bob to publish the roadmap")
    expect(page.locator("#meetings li")).to_have_count(4)
    page.screenshot(path=str(tmp_path / "person-bob.png"), full_page=True)
