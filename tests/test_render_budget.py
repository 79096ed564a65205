"""A template that would take the machine fails its letter with file:line; the rest go on.

The bombs run in a child process whose address space is capped (``resource.setrlimit``) and
which is killed after a timeout, so a regression fails the test instead of the machine.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

BOMBS = {
    "loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "repeat": "{{ 'x' * 10**9 }}",
    "range": "{{ range(10**9) | list }}",
    "power": "{{ 10 ** 100000 }}",
    "doubling": (
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}{{ ns.s | length }}"
    ),
    "center": "{{ 'x' | center(1000000000) }}",
    "format": "{{ '%0999999999d' % 1 }}",
    "method": "{{ 'x'.ljust(10**9) }}",
    "output": "{% for i in range(100000) %}{{ 'y' * 100 }}{% endfor %}",
}
EXPECTED = {
    "loops": "rendering took more than 1 s, the limit for one letter",
    "repeat": "a value of 1 repeated 1,000,000,000 times is over the limit",
    "range": "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000)",
    "power": "10 ** 100000 has over 4,300 digits",
    # memory, or on a loaded machine possibly time first: either way bounded
    "doubling": "rendering took more than (256 MB of memory|1 s), the limit for one letter",
    "center": "a value of 1,000,000,000 characters is over the limit of 4,000,000",
    "format": "a format width of 999999999 (the limit is 10,000)",
    "method": "a value of 1,000,000,000 characters is over the limit of 4,000,000",
    "output": "the letter is over 4,000,000 characters, the limit of one letter",
}


def test_every_bomb_fails_its_letter_with_file_and_line(tmp_path: Path):
    templates = tmp_path / "templates"
    templates.mkdir()
    for name, body in BOMBS.items():
        (templates / f"{name}.j2").write_text(
            f'{{% extends "builtin:mayor.j2" %}}\n{{% block ask %}}\n{body}\n{{% endblock %}}\n',
            encoding="utf-8",
        )
    script = textwrap.dedent(
        f"""
        import json, resource
        limit = 2 * 1024 ** 3
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        from click.testing import CliRunner
        import advocacy.budget as budget
        from advocacy.cli import cli
        budget.MAX_RENDER_MEMORY = 256 * 1024 ** 2
        found = {{}}
        for name in {list(BOMBS)!r} + ["mayor"]:
            # 1 s for the endless loops; time enough for the others on a loaded machine
            budget.MAX_RENDER_SECONDS = 1 if name == "loops" else 30
            result = CliRunner().invoke(
                cli,
                ["letter", "--city", "San Jose", "--to", "mayor", "--template", name,
                 "--format", "txt", "--date", "2026-12-01"],
            )
            found[name] = [result.exit_code, result.output]
        print(json.dumps(found))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    for name in BOMBS:
        code, output = found[name]
        assert code == 1, (name, output)
        line = "" if name in ("output",) else ":3"
        expected = EXPECTED[name] if name == "doubling" else re.escape(EXPECTED[name])
        assert re.search(f"templates/{name}.j2{line}: over a limit: {expected}", output), output
        assert "Traceback" not in output
    # the built-in template still renders in the same process after every bomb
    code, output = found["mayor"]
    assert code == 0, output
    assert (tmp_path / "out/san-jose-ca/matt-mahan.txt").read_text(encoding="utf-8")


def test_a_template_out_of_time_is_not_rendered_again_for_every_official(tmp_path, monkeypatch):
    from click.testing import CliRunner

    import advocacy.budget as budget
    from advocacy.cli import cli

    monkeypatch.setattr(budget, "MAX_RENDER_SECONDS", 0.5)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "slow.j2").write_text(
        '{% extends "builtin:council.j2" %}\n{% block ask %}\n' + BOMBS["loops"] + "\n"
        "{% endblock %}\n",
        encoding="utf-8",
    )
    started = time.monotonic()
    result = CliRunner().invoke(
        cli, ["letter", "--city", "San Jose", "--to", "council", "--template", "slow",
              "--format", "txt"],
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert "slow.j2:3: over a limit: rendering took more than 0.5 s" in result.output
    # ten council members: the budget is spent once, the nine others fail at once
    assert "(and 8 more letters)" in result.output
    assert "(for an earlier letter; not rendered again)" in result.output
    assert elapsed < 10, elapsed


def test_the_budget_is_taken_back_after_each_letter():
    import resource
    import signal

    from advocacy.budget import OverBudget, letter_budget

    before = resource.getrlimit(resource.RLIMIT_AS)
    with letter_budget(seconds=30, memory=64 * 1024**2):
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        assert soft != resource.RLIM_INFINITY
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 0
        assert signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, None)
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL
    try:
        with letter_budget(seconds=30, memory=64 * 1024**2):
            bytearray(256 * 1024**2)
    except OverBudget as err:
        assert err.exhausted and "more than 64 MB of memory" in str(err)
    else:
        raise AssertionError("256 MB were allowed under a 64 MB budget")
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_forked_worker_measures_its_own_memory():
    from advocacy.budget import _address_space

    assert _address_space() is not None  # the parent's /proc/self/statm is open now
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child grows by 200 MB: its own statm must show it
        os.close(reader)
        ballast = bytearray(200 * 1024**2)
        with open("/proc/self/statm", "rb") as handle:
            fresh = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        os.write(writer, json.dumps([_address_space(), fresh, len(ballast)]).encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as handle:
        measured, fresh, _ = json.loads(handle.read())
    os.waitpid(pid, 0)
    assert abs(measured - fresh) < 8 * 1024**2
    assert measured > _address_space() + 150 * 1024**2
