"""Check templates by rendering them for every official, and time public comments.

``check_templates`` writes nothing and prints nothing: it returns one report per template with
its problems (``advocacy.models.Problem``, ``path:line``). What it finds:

- errors: syntax errors, undefined variables, sandbox violations, invalid metadata, a template
  extending itself, placeholders a template writes itself (``[Insert ask here]``), public
  comments over their time limit, letters over ``max_words``;
- warnings: placeholders left by a missing input (``[Your name]`` without a sender,
  ``[meeting date]`` without ``--meeting-date``, ``[number of signers]`` without
  ``--signers``) and mailto links whose body is shortened to fit ``MAX_LENGTH``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from advocacy.claims import probe_letter, probe_senders
from advocacy.compose import compose_letter, word_count
from advocacy.dataset import City, DataSet
from advocacy.exceptions import AdvocacyError, TemplateFailed
from advocacy.formats.mailto import MAX_LENGTH, build_uri, mailto_link
from advocacy.formats.text import email_text
from advocacy.letter import PLACEHOLDER_ADDRESS, PLACEHOLDER_NAME, Letter
from advocacy.models import Findings, Problem, Sender
from advocacy.reading import Reading, is_public_comment, reading_of
from advocacy.templating import (
    BUILTIN_PREFIX,
    TEMPLATE_SUFFIX,
    TemplateInfo,
    builtin_dir,
    make_environment,
    read_meta,
    template_error,
)

KINDS = ("letter", "public-comment")
SENDER_HINT = "set [sender] in advocacy.toml or pass --sender FILE"
#: Placeholders that mean "an input is missing" (a warning), with how to supply it.
INPUT_PLACEHOLDERS = {
    PLACEHOLDER_NAME: SENDER_HINT,
    **{line: SENDER_HINT for line in PLACEHOLDER_ADDRESS},
    "[meeting date]": "pass --meeting-date",
    "[agenda item]": "pass --agenda-item",
    "[number of signers]": "pass --signers FILE",
}
_PLACEHOLDER = re.compile(r"\[[^\[\]\n]{2,80}\]")
_EXTENDS = re.compile(r"""\{%-?\s*extends\s+["']([^"']+)["']""")


# -- placeholders ----------------------------------------------------------------------------


def placeholders(letter: Letter) -> list[str]:
    """Bracketed placeholders left in the letter's text (quotations are not searched)."""
    pieces = [letter.subject, letter.salutation, letter.closing]
    for paragraph in (*letter.paragraphs, *letter.short_paragraphs):
        pieces.append(paragraph.plain(""))
        pieces.extend("".join(p for p in item if isinstance(p, str)) for item in paragraph.items)
    text = "\n".join(pieces)
    for note in (*letter.notes, *letter.short_notes):
        text = text.replace(note.quote.text, "")
    found = [m.group(0) for m in _PLACEHOLDER.finditer(text)]
    if letter.sender.is_placeholder:
        found.append(PLACEHOLDER_NAME)
    if not letter.sender.address_lines:
        found.extend(PLACEHOLDER_ADDRESS)
    return list(dict.fromkeys(p for p in found if not p[1:-1].strip().isdigit()))


# -- checking templates ----------------------------------------------------------------------


@dataclass
class TemplateReport(Findings):
    """The outcome of checking one template."""

    name: str
    path: Path
    origin: str
    info: TemplateInfo | None = None
    letters: int = 0
    failed: int = 0
    problems: list[Problem] = field(default_factory=list)
    longest: Reading | None = None  # public comments: the longest of them

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "origin": self.origin,
            "letters": self.letters,
            "failed": self.failed,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "reading": None
            if self.longest is None
            else {
                "words": self.longest.words,
                "seconds": self.longest.seconds,
                "limit_seconds": self.longest.limit_seconds,
                "words_per_minute": self.longest.words_per_minute,
            },
            "problems": [p.to_dict() for p in self.problems],
        }


@dataclass(frozen=True)
class CheckInputs:
    """What the letters are rendered with: the data, the sender, the date and the extras."""

    data: DataSet
    sender: Sender
    date: dt.date
    extras: dict[str, Any] = field(default_factory=dict)
    city: City | None = None


def shown_path(path: str | Path) -> str:
    """``builtin:NAME`` for a built-in, else relative to the current folder if inside it."""
    resolved = Path(path).resolve()
    if resolved.parent == builtin_dir().resolve():
        return f"{BUILTIN_PREFIX}{resolved.name}"
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def resolve_targets(
    folders: list[Path], targets: Sequence[str]
) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Turn NAME and PATH arguments into template files and their origins.

    Returns the search path to render with (a PATH outside it puts its folder first) and the
    ``(path, origin)`` pairs to check. No targets: every letter template on the search path.
    """
    from advocacy.workspace import locate_template

    builtin = builtin_dir().resolve()
    if not targets:
        return folders, _letter_templates(folders, builtin)
    chosen: list[tuple[Path, str]] = []
    search = list(folders)
    for target in targets:
        candidate = Path(target)
        if target.endswith(TEMPLATE_SUFFIX) and ("/" in target or candidate.is_file()):
            if not candidate.is_file():
                raise TemplateFailed("no such template file", target)
            path = candidate.resolve()
            if not any(path.parent == f.resolve() for f in search):
                search.insert(0, path.parent)
        else:
            path = locate_template(folders, target).resolve()
        origin = "built-in" if path.parent == builtin else "user"
        if origin == "user" and (builtin / path.name).is_file():
            origin = "user (overrides built-in)"
        chosen.append((path, origin))
    return search, chosen


def _letter_templates(folders: list[Path], builtin: Path) -> list[tuple[Path, str]]:
    """Every letter template along the search path, first match wins, metadata unread.

    Unlike ``list_templates`` this does not read the metadata, so one template with invalid
    metadata is reported by the check instead of stopping it.
    """
    found: dict[str, tuple[Path, str]] = {}
    for folder in folders:
        is_builtin = folder.resolve() == builtin
        for path in sorted(folder.glob(f"*{TEMPLATE_SUFFIX}")):
            if path.name.startswith(("_", ".")) or path.name.endswith(".html.j2"):
                continue
            if path.name in found:
                continue
            if is_builtin:
                origin = "built-in"
            elif (builtin / path.name).is_file():
                origin = "user (overrides built-in)"
            else:
                origin = "user"
            found[path.name] = (path, origin)
    return [found[name] for name in sorted(found)]


def check_templates(
    folders: list[Path], templates: Iterable[tuple[Path, str]], inputs: CheckInputs
) -> list[TemplateReport]:
    """Check each template file; see the module docstring for what is reported."""
    environment = make_environment(folders)
    return [check_template(environment, path, origin, inputs) for path, origin in templates]


def check_template(
    environment: jinja2.Environment, path: Path, origin: str, inputs: CheckInputs
) -> TemplateReport:
    """Check one template file: metadata, syntax, then a letter for every official."""
    report = TemplateReport(path.name.removesuffix(TEMPLATE_SUFFIX), path, origin)
    shown = shown_path(path)

    def add(severity: str, message: str, line: int | None = None, where: str = shown) -> None:
        report.problems.append(Problem(where, line, severity, message))

    try:
        info = read_meta(path, origin)
    except TemplateFailed as err:
        add("error", err.reason, err.line)
        return report
    report.info = info
    if info.kind not in KINDS:
        add("error", f"unknown kind {info.kind!r} in the metadata (use {', '.join(KINDS)})", 1)
    loop = _extends_loop(environment, path)
    if loop is not None:
        add("error", *loop)
        return report
    try:
        environment.get_template(path.name)
    except jinja2.TemplateError as err:
        failure = template_error(err, str(path))
        add("error", failure.reason, failure.line, shown_path(failure.template or path))
        return report
    if path.name.startswith("_"):
        return report  # a layout: it is checked through the letters that extend it

    failures: dict[tuple[str, int | None, str], list[str]] = {}
    claims: dict[str, tuple[dict[str, None], list[str]]] = {}
    probes = probe_senders(inputs.data.cities())
    placeholders_seen: dict[str, list[str]] = {}
    long_links: list[tuple[int, str]] = []
    over: list[tuple[int, str]] = []
    exhausted = False
    for city in _cities(inputs):
        if exhausted:
            break
        if info.tie_statuses and city.tie.status not in info.tie_statuses:
            continue
        for official in inputs.data.officials_of(city):
            if official.is_stale(inputs.date) or info.audience not in ("any", official.role):
                continue
            who = f"{official.name}, {city.label}"
            try:
                letter = compose_letter(
                    environment,
                    info,
                    official,
                    city,
                    inputs.sender,
                    inputs.date,
                    inputs.data.quotes,
                    inputs.extras,
                )
            except TemplateFailed as err:
                report.failed += 1
                where = shown_path(err.template) if err.template else shown
                failures.setdefault((where, err.line, err.reason), []).append(who)
                if err.exhausted:  # out of time or memory: as costly for every official
                    exhausted = True
                    break
                continue
            except AdvocacyError as err:
                report.failed += 1
                failures.setdefault((shown, None, str(err)), []).append(who)
                continue
            report.letters += 1
            for found in probe_letter(
                environment, info, official, city, probes, inputs.date, inputs.data.quotes,
                inputs.extras,
            ):  # fmt: skip
                if found.error:
                    where = shown_path(found.template) if found.template else shown
                    reason = f"{found.error} (with a {found.sender} sender)"
                    failures.setdefault((where, found.line, reason), []).append(who)
                else:
                    phrase = found.phrase.replace(city.name, "{{ city.name }}")
                    kinds, whom = claims.setdefault(phrase, ({}, []))
                    kinds[found.sender] = None
                    if not whom or whom[-1] != who:
                        whom.append(who)
            for placeholder in placeholders(letter):
                placeholders_seen.setdefault(placeholder, []).append(who)
            link = mailto_link(letter)
            if link is not None and link.shortened:
                full = build_uri(
                    official.email or "",
                    letter.subject,
                    email_text(letter, letter.short_paragraphs, letter.short_notes),
                )
                long_links.append((len(full), who))
            if is_public_comment(info):
                reading = reading_of(letter, info)
                if report.longest is None or reading.words > report.longest.words:
                    report.longest = reading
                if reading.over:
                    over.append((reading.words, who))
            elif info.max_words and word_count(letter.paragraphs) > info.max_words:
                over.append((word_count(letter.paragraphs), who))

    for (where, line, reason), whom in failures.items():
        add("error", f"{reason} ({_letters(whom)})", line, where)
    for phrase, (kinds, whom) in claims.items():
        where, line = _find_phrase(environment, path, phrase)
        add(
            "error",
            f"claims residency for a sender who lives elsewhere: “{phrase}” ({_letters(whom)}, "
            f"with a {' and an '.join(kinds)} sender); say it only "
            "{% if sender.is_resident %} (sender.is_constituent for a district)",
            line,
            where,
        )
    sender_set = not inputs.sender.is_placeholder and bool(inputs.sender.address_lines)
    for placeholder, whom in placeholders_seen.items():
        hint = INPUT_PLACEHOLDERS.get(placeholder)
        if hint == SENDER_HINT and not sender_set:
            continue  # reported once for all templates by sender_problems()
        if hint is not None and hint != SENDER_HINT:
            add("warning", f"placeholder {placeholder} left in {_letters(whom)}: {hint}")
        else:
            where, line = _find_in_sources(environment, path, placeholder)
            add(
                "error",
                f"placeholder {placeholder} would be sent as written ({_letters(whom)}); "
                "replace it with text or a variable",
                line,
                where,
            )
    if long_links:
        length, who = max(long_links)
        add(
            "warning",
            f"mailto body over {MAX_LENGTH} characters in {len(long_links)} letter(s) "
            f"(longest {length}: {who}); the email link is shortened: shorten the "
            "short_ask block or the short form",
        )
    if over:
        words, who = max(over)
        if is_public_comment(info):
            assert report.longest is not None
            limit = report.longest
            add(
                "error",
                f"public comment over the time limit in {len(over)} letter(s): longest "
                f"{Reading(words, limit.words_per_minute, limit.max_minutes).describe()} "
                f"({who})",
            )
        else:
            add(
                "error",
                f"over max_words {info.max_words} in {len(over)} letter(s): longest {words} "
                f"words ({who})",
            )
    return report


def sender_problems(sender: Sender, where: str) -> list[Problem]:
    """One warning when letters will carry the sender placeholders."""
    missing = []
    if sender.is_placeholder:
        missing.append(PLACEHOLDER_NAME)
    if not sender.address_lines:
        missing.extend(PLACEHOLDER_ADDRESS)
    if not missing:
        return []
    return [
        Problem(
            where,
            None,
            "warning",
            f"no sender: every letter carries the placeholders {', '.join(missing)}: {SENDER_HINT}",
        )
    ]


def _cities(inputs: CheckInputs) -> list[City]:
    return [inputs.city] if inputs.city is not None else inputs.data.cities()


def _letters(whom: list[str]) -> str:
    if len(whom) == 1:
        return f"letter to {whom[0]}"
    return f"{len(whom)} letters, first to {whom[0]}"


def _sources(environment: jinja2.Environment, path: Path) -> list[tuple[str, str]]:
    """The template and the templates it extends: (file name, source), child first."""
    assert environment.loader is not None
    chain: list[tuple[str, str]] = []
    name = path.name
    filename = str(path)
    source = path.read_text(encoding="utf-8")
    seen: set[str] = set()
    while filename not in seen:
        seen.add(filename)
        chain.append((filename, source))
        match = _EXTENDS.search(source)
        if not match:
            break
        name = match.group(1)
        try:
            source, found, _ = environment.loader.get_source(environment, name)
        except jinja2.TemplateNotFound:
            break
        filename = found or name
    return chain


def _extends_loop(environment: jinja2.Environment, path: Path) -> tuple[str, int] | None:
    """A template that extends itself (directly or through others): message and line."""
    assert environment.loader is not None
    source = path.read_text(encoding="utf-8")
    match = _EXTENDS.search(source)
    if not match:
        return None
    seen = {str(path.resolve())}
    name = match.group(1)
    while True:
        try:
            text, found, _ = environment.loader.get_source(environment, name)
        except jinja2.TemplateNotFound:
            return None  # reported when the template is rendered
        if found is None:
            return None
        resolved = str(Path(found).resolve())
        if resolved in seen:
            line = source.count("\n", 0, match.start()) + 1
            return (
                f'{{% extends "{match.group(1)}" %}} leads back to this file (a loop): '
                f'to extend the built-in template write {{% extends "{BUILTIN_PREFIX}'
                f'{match.group(1).removeprefix(BUILTIN_PREFIX)}" %}}',
                line,
            )
        seen.add(resolved)
        parent = _EXTENDS.search(text)
        if not parent:
            return None
        name = parent.group(1)


def _find_phrase(
    environment: jinja2.Environment, path: Path, phrase: str
) -> tuple[str, int | None]:
    """Where a rendered phrase is written: the phrase, else its first words, in the sources."""
    words = phrase.split()
    for size in range(len(words), 1, -1):
        where, line = _find_in_sources(environment, path, " ".join(words[:size]))
        if line is not None:
            return where, line
    return shown_path(path), None


def _find_in_sources(
    environment: jinja2.Environment, path: Path, text: str
) -> tuple[str, int | None]:
    """Where ``text`` is written: the first template in the extends chain that has it."""
    for filename, source in _sources(environment, path):
        index = source.find(text)
        if index >= 0:
            return shown_path(filename), source.count("\n", 0, index) + 1
    return shown_path(path), None
