"""``advocacy site``: a static action page from which residents send their own letters.

The letters are rendered by the tool at build time, from the same templates and data as the
packet, with unique marker characters standing for what the resident types (name, address,
email, district). The page puts the typed values in place of the markers, escaped for HTML and
percent-encoded for links, and never sends anything anywhere.

``letters`` renders the variants and refuses templates the page cannot fill, ``pack`` turns
them into the page's compact data, ``build`` writes the page.
"""

from __future__ import annotations

from advocacy.site.build import SiteResult, build_site

__all__ = ["SiteResult", "build_site"]
