"""The action page in a real browser: Debian's Chromium, headless, driven by Selenium.

The browser is a test dependency (the README's test command installs `chromium` and
`chromium-driver`); without it these tests fail, they are never skipped. Every check compares
what the page makes with what the tool makes in Python for the same resident.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy.dataset import load_dataset
from advocacy.formats.mailto import encode_address, encode_value, mailto_link
from advocacy.formats.text import email_text, letter_text
from advocacy.generate import LetterFactory, plan_city
from advocacy.models import Sender
from advocacy.packet import select_cities
from advocacy.site import build_site
from advocacy.site.build import GMAIL_MAX_LENGTH, OUTLOOK_MAX_LENGTH
from advocacy.templating import search_path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
DOCS = Path(__file__).resolve().parent.parent / "docs"
NAME = "Olena <script>window.pwned=1</script> \u200fKovalenko 🌻"  # with a right-to-left mark
RESIDENT = {
    "name": NAME,
    "street": "1 Market St & 2nd #4",
    "zip": "95113",
    "email": "olena@example.org",
}


@pytest.fixture(scope="module")
def data():
    return load_dataset()


@pytest.fixture(scope="module")
def page(data, tmp_path_factory):
    """The embedded campaign's page, built with today's date (the page dates letters today)."""
    out = tmp_path_factory.mktemp("site")
    return build_site(data, select_cities(data), search_path(), out, dt.date.today()).path


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads):
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"the browser tests need Chromium: {', '.join(missing)} missing "
            "(apt-get install chromium chromium-driver)",
            pytrace=False,
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1200,1800")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    driver.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    yield driver
    driver.quit()


def open_page(browser, page: Path, width: int = 1200) -> None:
    browser.set_window_size(width, 1800)
    browser.get(page.as_uri())
    browser.get_log("performance")  # start the request record at this page


def fill(browser, city: str, district: str | None, resident: dict[str, str]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.find_element(By.ID, "city-search").send_keys(city)
    if district is not None:
        Select(browser.find_element(By.ID, "district")).select_by_value(district)
    for field, value in resident.items():
        element = browser.find_element(By.ID, f"f-{field}")
        if element.tag_name == "select":
            Select(element).select_by_value(value)
            continue
        element.clear()
        element.send_keys(value)


def requests_made(browser) -> list[str]:
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def python_letter(data, city_name: str, official_name: str, sender: Sender, personal: str = ""):
    city = data.find_city(city_name)
    jobs, _ = plan_city(data, city, search_path())
    job = next(j for j in jobs if j.official.name == official_name)
    job = dataclasses.replace(job, personal=personal)
    factory = LetterFactory(search_path(), ("txt",), sender, dt.date.today(), data.quotes)
    return factory.compose(job)


def card(browser, official: str):
    from selenium.webdriver.common.by import By

    found = [
        section
        for section in browser.find_elements(By.CSS_SELECTOR, ".official")
        if section.get_attribute("data-official") == official
    ]
    assert len(found) == 1, f"{len(found)} letters to {official!r}"
    return found[0]


def words(text: str) -> str:
    """Letters and digits only: layout (line breaks, list markers, quote marks) aside."""
    return re.sub(r"[^0-9A-Za-z]+", "", text)


def test_a_resident_of_district_3_writes_to_the_mayor_and_their_member(
    browser, page, data, downloads, tmp_path
):
    from selenium.webdriver.common.by import By

    open_page(browser, page)
    personal = "My grandmother  was born\nin Kharkiv <b>&</b> 🌻"
    fill(browser, "San Jose, CA", "3", {**RESIDENT, "personal": personal})
    shown = [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".official h3")]
    assert shown == [
        "To Matt Mahan, Mayor",
        "To Anthony Tordillos, Councilmember, District 3",
    ]
    sender = Sender(
        name=NAME,
        address_lines=(RESIDENT["street"], "San Jose, CA 95113"),
        email=RESIDENT["email"],
        district="District 3",
    )
    letter = python_letter(data, "San Jose, CA", "Matt Mahan", sender, " ".join(personal.split()))
    mayor = card(browser, "Matt Mahan")

    # The preview: the typed name is text, never markup.
    preview = mayor.find_element(By.CSS_SELECTOR, ".letter")
    assert NAME in preview.get_attribute("textContent")  # .text would drop the mark
    assert browser.execute_script("return document.scripts.length") == 2
    assert browser.execute_script("return window.pwned === undefined")
    assert "I am a resident of District 3 in San Jose" in preview.text
    assert "My grandmother was born in Kharkiv <b>&</b> 🌻" in preview.text
    assert words(preview.text) == words(letter_text(letter))

    # The mail-app link is byte for byte the tool's.
    href = mayor.find_element(By.CSS_SELECTOR, "a[data-act=mailto]").get_attribute("href")
    expected = mailto_link(letter)
    assert expected is not None and href == expected.uri and len(href) <= 1800

    # Compose links: decoded, they carry the letter (full when it fits, else the short form).
    full = email_text(letter)
    for act, limit, subject_key in (
        ("gmail", GMAIL_MAX_LENGTH, "su"),
        ("outlook", OUTLOOK_MAX_LENGTH, "subject"),
    ):
        link = mayor.find_element(By.CSS_SELECTOR, f"a[data-act={act}]").get_attribute("href")
        assert len(link) <= limit
        query = parse_qs(urlsplit(link).query, keep_blank_values=True, strict_parsing=True)
        assert query["to"] == ["mayor@sanjoseca.gov"]
        assert query[subject_key] == [letter.subject]
        body = query["body"][0].replace("\r\n", "\n")
        if act == "gmail":
            assert body == full
        else:
            assert body == unquote(expected.uri.split("&body=", 1)[1]).replace("\r\n", "\n")

    # Copy the letter: what lands on the clipboard is the subject and the full email text.
    mayor.find_element(By.CSS_SELECTOR, "button[data-act=copy]").click()
    copied = browser.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, (e) => done('' + e));"
    )
    assert copied == f"Subject: {letter.subject}\n\n{full}"

    # Download .eml: a draft any mail program reads back as the same letter.
    mayor.find_element(By.CSS_SELECTOR, "button[data-act=eml]").click()
    eml = downloads / "matt-mahan.eml"
    for _ in range(50):
        if eml.exists():
            break
        time.sleep(0.1)
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "mayor@sanjoseca.gov"
    # Python's parser puts a space between encoded words; RFC 2047 readers join them.
    assert " ".join(message["From"].addresses[0].display_name.split()) == NAME
    assert message["From"].addresses[0].addr_spec == RESIDENT["email"]
    assert message["Subject"] == letter.subject and message["X-Unsent"] == "1"
    assert message.get_content().replace("\r\n", "\n") == full

    # Print: the button marks this letter and calls print(); the printed page is the letter.
    browser.execute_script("window.print = () => { window.printed = (window.printed || 0) + 1; };")
    mayor.find_element(By.CSS_SELECTOR, "button[data-act=print]").click()
    assert browser.execute_script("return window.printed") == 1
    pdf = tmp_path / "printed.pdf"
    pdf.write_bytes(base64.b64decode(browser.print_page()))
    check_print(pdf, letter)

    assert [
        u for u in requests_made(browser) if not u.startswith(("file:", "data:", "blob:"))
    ] == []
    assert browser.get_log("browser") == []  # no CSP violation, no script error


def check_print(pdf: Path, letter) -> None:
    """The printed letter: its words, US Letter pages, the address inside the window."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "612 x 792 pts" in info.stdout  # US Letter
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    expected = letter_text(letter)
    body = expected[expected.index("Re: ") :]
    assert words(text[text.index("Re: ") :]) == words(body)
    bbox = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    first_line = letter.recipient_lines[0].split()
    boxes = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
        bbox,
    )
    found = [b for b in boxes if b[4] == first_line[0]]
    x_min, y_min = float(found[0][0]), float(found[0][1])
    # The #10 window: 0.875in to 4.625in from the left, 2.125in to 3.25in from the top.
    assert 0.875 * 72 - 0.5 <= x_min <= 4.625 * 72  # half a point for rounding
    assert 2.125 * 72 - 0.5 <= y_min <= 3.25 * 72


def test_someone_from_elsewhere_writes_as_a_non_resident_to_the_mayor_only(browser, page, data):
    from selenium.webdriver.common.by import By

    open_page(browser, page)
    resident = {**RESIDENT, "name": "Ann Lee", "city": "Chicago", "state": "IL", "zip": "60601"}
    browser.find_element(By.ID, "city-search").send_keys("portland")
    status = browser.find_element(By.ID, "city-status").text
    assert status == "2 cities match: Portland, ME; Portland, OR."
    assert browser.find_element(By.ID, "letters-status").text.startswith("Choose your city")
    fill(browser, ", or", None, resident)
    officials = [
        s.get_attribute("data-official")
        for s in browser.find_elements(By.CSS_SELECTOR, ".official")
    ]
    portland = data.find_city("Portland, OR")
    assert officials == [o.name for o in data.officials_of(portland) if o.role == "mayor"]
    status = browser.find_element(By.ID, "letters-status").text
    assert "You do not live in Portland" in status
    sender = Sender(
        name="Ann Lee",
        address_lines=(RESIDENT["street"], "Chicago, IL 60601"),
        email=RESIDENT["email"],
    )
    letter = python_letter(data, "Portland, OR", officials[0], sender)
    mayor = card(browser, officials[0])
    href = mayor.find_element(By.CSS_SELECTOR, "a[data-act=mailto]")
    assert href.get_attribute("href") == mailto_link(letter).uri
    text = mayor.find_element(By.CSS_SELECTOR, ".letter").text
    assert "I live in Chicago and am writing to Portland’s leaders" in text
    assert "I am a resident" not in text and "our city’s" not in text
    assert requests_made(browser) == []


def test_someone_from_a_namesake_city_names_their_state(browser, page, data):
    """Portland, ME writing to Portland, OR: not a resident, and "Portland, ME" in the letter."""
    from selenium.webdriver.common.by import By

    open_page(browser, page)
    resident = {**RESIDENT, "name": "Ann Lee", "city": "Portland", "state": "ME", "zip": "04101"}
    fill(browser, "Portland, OR", None, resident)
    mayor = browser.find_element(By.CSS_SELECTOR, ".official")
    sender = Sender(
        name="Ann Lee",
        address_lines=(RESIDENT["street"], "Portland, ME 04101"),
        email=RESIDENT["email"],
    )
    name = mayor.get_attribute("data-official")
    letter = python_letter(data, "Portland, OR", name, sender)
    href = mayor.find_element(By.CSS_SELECTOR, "a[data-act=mailto]").get_attribute("href")
    assert href == mailto_link(letter).uri
    assert "I live in Portland, ME" in mayor.find_element(By.CSS_SELECTOR, ".letter").text


def test_sending_waits_for_the_residents_details(browser, page):
    from selenium.webdriver.common.by import By

    open_page(browser, page)
    fill(browser, "Chicago", None, {})
    mayor = browser.find_element(By.CSS_SELECTOR, ".official")
    assert mayor.find_element(By.CSS_SELECTOR, "a[data-act=mailto]").get_attribute("href") is None
    assert all(not b.is_enabled() for b in mayor.find_elements(By.CSS_SELECTOR, "button"))
    assert "[Your name]" in mayor.find_element(By.CSS_SELECTOR, ".letter").text


def test_every_field_has_a_label_and_the_page_works_from_the_keyboard(browser, page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    open_page(browser, page)
    unlabelled = browser.execute_script(
        "return [...document.querySelectorAll('input, select, textarea')]"
        ".filter((e) => e.labels.length === 0).map((e) => e.id)"
    )
    assert unlabelled == []
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)  # the skip link
    body.send_keys(Keys.TAB)
    active = browser.switch_to.active_element
    assert active.get_attribute("id") == "city-search"
    active.send_keys("San Jose, CA", Keys.TAB)  # to the tie's source, then the district
    assert browser.switch_to.active_element.text == "source"
    browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "district"
    keys = [Keys.ARROW_DOWN] * 3 + [Keys.TAB, "Ann Lee", Keys.TAB, "1 Market St", Keys.TAB]
    keys += [Keys.TAB, Keys.TAB, "95113", Keys.TAB, "ann@example.org"]  # city, state filled
    for key in keys:
        browser.switch_to.active_element.send_keys(key)
    outline = browser.execute_script("return getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus is visible
    browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "f-personal"
    browser.switch_to.active_element.send_keys("In my words.", Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("data-act") == "mailto"
    assert browser.find_elements(By.CSS_SELECTOR, ".official h3")[1].text.endswith("District 3")


def test_the_page_fits_320_pixels_and_the_screenshots(browser, page, tmp_path):
    from selenium.webdriver.common.by import By

    shots = {}
    for width, name in ((1200, "site-desktop.png"), (320, "site-320px.png")):
        open_page(browser, page, width)
        own = "My family is from Kharkiv, which Russian missiles strike every week."
        fill(browser, "San Jose, CA", "3", {**RESIDENT, "name": "Olena Kovalenko", "personal": own})
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{overflow} px wider than the window at {width} px"
        browser.find_element(By.ID, "city-search").click()
        shots[name] = tmp_path / name
        height = min(browser.execute_script("return document.body.scrollHeight"), 2600)
        browser.set_window_size(width, height)
        browser.save_screenshot(str(shots[name]))
        assert shots[name].stat().st_size > 10_000
    if os.environ.get("ADVOCACY_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        for name, path in shots.items():
            shutil.copyfile(path, DOCS / name)


strings = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)


@settings(max_examples=30, deadline=None)
@given(st.lists(strings, min_size=1, max_size=20))
def test_the_pages_encoders_match_the_tools(browser, page, values):
    if not browser.current_url.startswith("file:"):
        browser.get(page.as_uri())
    encoded = browser.execute_script(
        "const s = window.advocacySite;"
        "return arguments[0].map((v) => [s.encodeValue(v), s.encodeAddress(v)]);",
        values,
    )
    assert encoded == [[encode_value(v), encode_address(v)] for v in values]


def test_hostile_contact_data_stays_text_in_the_page(browser, tmp_path):
    """A contact file's `</script>` cannot end the page's data or script."""
    from selenium.webdriver.common.by import By

    hostile = 'Ann </script><script>window.pwned=2</script> "Q" & O\'Lee {{ 7*7 }}'
    contacts = tmp_path / "council.csv"
    contacts.write_text(
        "name,role,city,state,district,email,address,source,as_of\n"
        f'"{hostile.replace(chr(34), chr(34) * 2)}",council_member,San Jose,CA,3,'
        'ann@example.org,"200 E. Santa Clara St.\nSan Jose, CA 95113",'
        "https://www.sanjoseca.gov/,2026-11-01\n",
        encoding="utf-8",
    )
    data = load_dataset([contacts])
    cities = select_cities(data, ["San Jose, CA"])
    page = build_site(data, cities, search_path(), tmp_path / "site", dt.date.today()).path
    open_page(browser, page)
    fill(browser, "San Jose", "3", {**RESIDENT, "name": "Bo"})
    member = card(browser, hostile)
    heading = member.find_element(By.CSS_SELECTOR, "h3").text
    assert heading == f"To {hostile}, Councilmember, District 3"
    assert browser.execute_script("return window.pwned === undefined && document.scripts.length")
    assert browser.execute_script("return document.scripts.length") == 2
    sender = Sender(
        name="Bo",
        address_lines=(RESIDENT["street"], "San Jose, CA 95113"),
        email=RESIDENT["email"],
        district="District 3",
    )
    letter = python_letter(data, "San Jose, CA", hostile, sender)
    link = member.find_element(By.CSS_SELECTOR, "a[data-act=mailto]").get_attribute("href")
    assert link == mailto_link(letter).uri
    assert browser.get_log("browser") == []


def test_the_page_works_from_a_static_web_server(browser, page):
    """Served over HTTP, the page asks for nothing but itself."""
    import functools
    import http.server
    import threading

    from selenium.webdriver.common.by import By

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(page.parent))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        browser.get(url)
        fill(browser, "Chicago", None, {**RESIDENT, "city": "Chicago", "state": "IL"})
        link = browser.find_element(By.CSS_SELECTOR, "a[data-act=mailto]").get_attribute("href")
        assert link.startswith("mailto:")
        assert requests_made(browser) == [url]
        assert browser.get_log("browser") == []
    finally:
        server.shutdown()
        server.server_close()
