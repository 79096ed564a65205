"""The embedded data files as written: every status and every official traceable to a web page.

These checks read the YAML itself (not the loaded records), so they hold whatever the loader keeps.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import pytest
import yaml

URL = re.compile(r"^https?://[^\s/]+\.[^\s]+$")
DECISION_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
AS_OF = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
DECIDED_BY = {"city", "council", "mayor", "nonprofit", "unknown"}


def _records(name: str, key: str) -> list[dict[str, Any]]:
    text = resources.files("advocacy.embedded").joinpath(name).read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    return document[key]


TIES = _records("ties.yaml", "ties")
OFFICIALS = _records("officials.yaml", "officials")


def test_at_least_sixty_ties_with_unique_ids() -> None:
    assert len(TIES) >= 60
    ids = [t["id"] for t in TIES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("tie", TIES, ids=[t["id"] for t in TIES])
def test_every_tie_status_has_a_url_and_a_decider(tie: dict[str, Any]) -> None:
    assert URL.match(tie["source"]), tie["source"]
    assert tie["sources"] and all(URL.match(s) for s in tie["sources"]), tie["sources"]
    assert tie["source"] in tie["sources"]
    assert tie["decided_by"] in DECIDED_BY
    if tie["decided_by"] == "unknown":
        # no decision, so no page showing one and no date of one
        assert tie["decision_source"] is None
        assert tie["status_date"] is None
    else:
        assert URL.match(tie["decision_source"] or ""), tie["decision_source"]
    if tie["status_date"] is not None:
        assert DECISION_DATE.match(str(tie["status_date"])), tie["status_date"]
    assert AS_OF.match(str(tie["as_of"])), tie["as_of"]


def test_a_kept_tie_never_claims_a_city_decision_it_does_not_have() -> None:
    # "kept" on a nonprofit's word or an advisory board's minutes is not the city's decision
    by_id = {t["id"]: t for t in TIES}
    for tie_id in ("portland-khabarovsk", "san-diego-vladivostok", "duluth-petrozavodsk"):
        assert by_id[tie_id]["decided_by"] == "nonprofit"
    assert by_id["salt-lake-city-izhevsk"]["decided_by"] == "unknown"


def test_audited_corrections_stay_corrected() -> None:
    by_id = {t["id"]: t for t in TIES}
    eugene = by_id["eugene-irkutsk"]
    assert (eugene["status"], eugene["decided_by"], eugene["status_date"]) == (
        "suspended",
        "council",
        "2022-07-18",
    )
    san_jose = by_id["san-jose-yekaterinburg"]
    assert "/2013/" not in san_jose["source"]
    assert "/2013/" not in san_jose["decision_source"]
    assert by_id["burlington-yaroslavl"]["status"] == "suspended"
    assert by_id["burlington-yaroslavl"]["status_date"] == "2022-03-03"
    assert by_id["tulsa-zelenograd"]["status"] == "kept"


@pytest.mark.parametrize("official", OFFICIALS, ids=[o["id"] for o in OFFICIALS])
def test_every_official_has_a_source_url_and_as_of(official: dict[str, Any]) -> None:
    assert URL.match(official["source"] or ""), official["source"]
    assert AS_OF.match(str(official["as_of"])), official["as_of"]
