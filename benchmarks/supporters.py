"""Write a synthetic supporters file for `advocacy packet --supporters` (benchmarks, trials).

    python benchmarks/supporters.py out/supporters.csv                 # 10,000 supporters
    python benchmarks/supporters.py s.csv --count 200 --seed 7
    python benchmarks/supporters.py s.json --notes 0.5 --problems 0.02 # JSON, more notes, bad rows

Every person is made up: names drawn from many scripts (Latin with diacritics, Cyrillic, Greek,
Armenian, Georgian, Hebrew, Arabic, Devanagari, Han, Hangul, Thai), addresses "<n> Example St"
with the city, state and ZIP code of a city of the embedded data that has officials on record,
and, in a districted city (San Jose, San Diego, Portland OR), one of its council districts.
Emails are at example.org. The mix of cities gives about 2.5 letters a supporter (mayor + their
district's member; Portland's districts elect three), so 10,000 supporters make about 25,000
letters with the embedded data.

``--notes`` is the share of supporters with a personal note; a third of those notes are the
same suggested paragraph (as campaigns hand out), the rest are their own. ``--problems`` adds
that share of rows a loader must report: a city with no tie, a missing district in a districted
city, a missing name. Output: CSV, JSON or YAML, chosen by the file's suffix; the same seed
gives the same file.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

COLUMNS = ("name", "address", "city", "state", "zip", "email", "phone", "district", "note")

GIVEN = {
    "latin": ["Mary", "José", "Zoë", "Chloé", "Søren", "Łukasz", "Małgorzata", "Nguyễn Thị",
              "Sinéad", "Jürgen", "Tomáš", "Ayşe", "Joaquín", "Leilani", "Ngozi", "Oleksandr"],
    "cyrillic": ["Олена", "Дмитро", "Оксана", "Тарас", "Ірина", "Богдан", "Софія", "Андрій"],
    "greek": ["Γιώργος", "Ελένη", "Δημήτρης", "Μαρία"],
    "armenian": ["Արամ", "Անի", "Նարեկ"],
    "georgian": ["ნინო", "გიორგი", "თამარ"],
    "hebrew": ["נועה", "דוד", "מרים"],
    "arabic": ["فاطمة", "يوسف", "ليلى"],
    "devanagari": ["प्रिया", "अर्जुन", "अनीता"],
    "han": ["王", "李", "陈"],
    "hangul": ["지은", "민준", "서연"],
    "thai": ["สมชาย", "มาลี"],
}  # fmt: skip
FAMILY = {
    "latin": ["Smith", "García", "Nguyễn", "Wiśniewski", "Kovalenko", "O'Brien", "Müller",
              "Dvořáková", "Çelik", "Okafor", "Pérez-Núñez", "St. Clair", "Ó Súilleabháin"],
    "cyrillic": ["Коваленко", "Шевченко", "Бондаренко", "Ткаченко", "Мельник"],
    "greek": ["Παπαδόπουλος", "Νικολάου"],
    "armenian": ["Պետրոսյան", "Հովհաննիսյան"],
    "georgian": ["ბერიძე", "კაპანაძე"],
    "hebrew": ["כהן", "לוי"],
    "arabic": ["الحسن", "منصور"],
    "devanagari": ["शर्मा", "पटेल"],
    "han": ["小明", "美玲", "伟"],
    "hangul": ["김", "박", "이"],
    "thai": ["ศรีสุข", "วงศ์ไทย"],
}  # fmt: skip
SUGGESTED = (
    "My family came here from Kharkiv. Please let our city stand with Ukraine, not with the "
    "Kremlin."
)
OWN_NOTES = [
    "I have volunteered with Ukrainian refugees in {city} since 2022.",
    "My grandmother was born in Odesa; this tie hurts her every day.",
    "Our church collects medical supplies for Kharkiv every month.",
    "As a teacher, I want my students to see {city} choose a side.",
    "I wrote to you last year and hope to hear back this time.",
    "Please also consider a partnership with Zaporizhzhia.",
]
#: share of supporters per kind of city: about 2.5 letters a supporter with the embedded data
WEIGHTS = {"San Jose": 0.30, "San Diego": 0.25, "Portland": 0.30}
OTHER_WEIGHT = 0.15
_ZIP = re.compile(r"\b(\d{5})(?:-\d{4})?\s*$")


def cities_with_officials() -> list[dict[str, Any]]:
    """Every city of the embedded data with officials: name, state, ZIP, districts."""
    from advocacy.dataset import load_dataset

    data = load_dataset()
    found = []
    for city in data.cities():
        officials = data.officials_of(city)
        if not officials:
            continue
        districts = sorted(
            {o.district for o in officials if o.role == "council_member" and o.district},
            key=lambda d: (len(d), d),
        )
        zips = [m.group(1) for o in officials if (m := _ZIP.search(o.address or ""))]
        found.append(
            {
                "city": city.name,
                "state": city.state,
                "zip": zips[0] if zips else "",
                "districts": districts,
            }
        )
    return found


def _name(rng: random.Random) -> str:
    script = rng.choice(list(GIVEN))
    given, family = rng.choice(GIVEN[script]), rng.choice(FAMILY[script])
    if script in ("han", "hangul"):
        return f"{given}{family}" if script == "han" else f"{given} {family}"
    return f"{given} {family}"


def make_rows(count: int, seed: int, notes: float, problems: float) -> list[dict[str, str]]:
    """``count`` supporters (plus duplicates-free problem rows within the count)."""
    rng = random.Random(seed)
    cities = cities_with_officials()
    districted = {c["city"]: c for c in cities if c["districts"]}
    others = [c for c in cities if not c["districts"]]
    choices = [districted[name] for name in WEIGHTS if name in districted] + others
    weights = [WEIGHTS[name] for name in WEIGHTS if name in districted]
    weights += [OTHER_WEIGHT / max(len(others), 1)] * len(others)
    rows = []
    for index in range(count):
        place = rng.choices(choices, weights)[0]
        name = _name(rng)
        note = ""
        if rng.random() < notes:
            note = SUGGESTED if rng.random() < 1 / 3 else rng.choice(OWN_NOTES)
            note = note.format(city=place["city"])
        row = {
            "name": name,
            "address": f"{100 + index} Example St",
            "city": place["city"],
            "state": place["state"],
            "zip": place["zip"],
            "email": f"supporter{index}@example.org",
            "phone": f"+1 555 01{index % 100:02d} {index % 10000:04d}",
            "district": rng.choice(place["districts"]) if place["districts"] else "",
            "note": note,
        }
        if rng.random() < problems:
            kind = rng.randrange(3)
            if kind == 0:
                row.update(city="Springfield", state="KS", zip="66000", district="")
            elif kind == 1 and place["districts"]:
                row["district"] = ""
            else:
                row["name"] = ""
        rows.append(row)
    return rows


def write(path: Path, rows: list[dict[str, str]]) -> None:
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".json":
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    elif suffix in (".yaml", ".yml"):
        import yaml

        path.write_text(yaml.safe_dump(rows, allow_unicode=True, sort_keys=False), "utf-8")
    else:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="file to write (.csv, .json, .yaml)")
    parser.add_argument("--count", type=int, default=10_000, help="supporters (10,000)")
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--notes", type=float, default=0.3, help="share with a note (0.3)")
    parser.add_argument("--problems", type=float, default=0.0, help="share of bad rows (0)")
    args = parser.parse_args(argv)
    rows = make_rows(args.count, args.seed, args.notes, args.problems)
    write(args.path, rows)
    print(f"{len(rows):,} supporters written to {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
