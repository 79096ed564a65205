"""Write the action page: one self-contained ``index.html``, written atomically, only if changed.

Everything is inline: the letters' data as JSON, the script and the stylesheets. A
Content-Security-Policy in the page forbids every network request (``default-src 'none'``) and
allows exactly the page's own script and styles, by their SHA-256 hashes.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from advocacy import __version__
from advocacy.dataset import City, DataSet
from advocacy.formats.mailto import CUT_NOTICE, MAX_LENGTH
from advocacy.generate import Skipped
from advocacy.output import atomic_write, inside, remove_stale_temporaries
from advocacy.site.letters import FIELDS, MARKER_RANGE, CityLetters, SiteComposer
from advocacy.site.pack import pack, to_script_json
from advocacy.states import STATES
from advocacy.templating import make_environment
from advocacy.text import us_date

#: Outlook on the web cuts compose links longer than this; Gmail's bound is ours, with room to
#: spare under the request-line limits of web servers (8 KB and more).
OUTLOOK_MAX_LENGTH = 2048
GMAIL_MAX_LENGTH = 8000
#: What the page must stay under for the embedded campaign (issue 13).
PAGE_BUDGET = 300_000


@dataclass
class SiteResult:
    """What ``build_site`` did: the page, its size, and the counts the CLI reports."""

    path: Path
    size: int
    written: bool
    cities: int
    cities_with_letters: int
    officials: int
    letters: int
    skipped: list[tuple[City, Skipped]] = field(default_factory=list)


def _asset(name: str) -> str:
    return resources.files("advocacy.site").joinpath("assets", name).read_text(encoding="utf-8")


def _assets_dir() -> Path:
    return Path(str(resources.files("advocacy.site").joinpath("assets")))


def csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def render_page(cities: Sequence[CityLetters], data: DataSet, date: dt.date) -> str:
    """The page's HTML for ``cities`` (their letters composed already)."""
    settings = {
        "fields": list(FIELDS),
        "marker": MARKER_RANGE[0],
        "notice": CUT_NOTICE,
        "limits": {"mailto": MAX_LENGTH, "outlook": OUTLOOK_MAX_LENGTH, "gmail": GMAIL_MAX_LENGTH},
        "built": date.isoformat(),
    }
    payload = to_script_json(pack(cities, data.quotes, settings))
    script = _asset("page.js")
    screen = _asset("page.css")
    printed = _asset("print.css")
    policy = "; ".join(
        [
            "default-src 'none'",
            f"script-src {csp_hash(script)}",
            f"style-src {csp_hash(screen)} {csp_hash(printed)}",
            "img-src 'none'",
            "connect-src 'none'",
            "form-action 'none'",
            "base-uri 'none'",
        ]
    )
    environment = make_environment([_assets_dir()], html=True)
    template = environment.get_template("page.html.j2")
    return template.render(
        policy=policy,
        script=script,
        screen=screen,
        printed=printed,
        payload=payload,
        cities=cities,
        date_text=us_date(date),
        states=sorted(STATES.items()),
        version=__version__,
    )


def build_site(
    data: DataSet,
    cities: Sequence[City],
    folders: list[Path],
    out: Path,
    date: dt.date,
    template_name: str | None = None,
) -> SiteResult:
    """Compose every letter of ``cities`` and write ``out/index.html`` if its bytes changed.

    A template the page cannot fill raises :class:`~advocacy.exceptions.TemplateFailed` before
    anything is written.
    """
    composer = SiteComposer(folders, date, data.quotes)
    composed = [composer.city(data, city, template_name) for city in cities]
    page = render_page(composed, data, date).encode("utf-8")
    path = inside(out, "index.html")
    remove_stale_temporaries(out)
    written = not (path.is_file() and path.read_bytes() == page)
    if written:
        atomic_write(path, page)
    officials = sum(len(c.officials) for c in composed)
    return SiteResult(
        path=path,
        size=len(page),
        written=written,
        cities=len(composed),
        cities_with_letters=sum(1 for c in composed if c.officials),
        officials=officials,
        letters=sum(len(o.letters) for c in composed for o in c.officials),
        skipped=[(c.city, s) for c in composed for s in c.skipped],
    )
