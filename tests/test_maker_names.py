"""Every maker is a first-class maker: no maker's key, display name or company appears in lib/
outside the registry module (lib/makers.py), in code, strings, comments or docstrings alike."""

from __future__ import annotations

import re

import pytest

from lib import makers, paths
from tests.conftest import FROZEN_DATA

LIB = paths.PROJECT_ROOT / "lib"
REGISTRY_MODULE = LIB / "makers.py"


def _names() -> set[str]:
    names = set()
    for data_dir in (None, FROZEN_DATA):
        for maker in makers.registry(data_dir).values():
            names |= {maker.key, maker.display_name} | ({maker.company} - {None})
    return names


def _mentions(text: str, names: set[str]) -> list[tuple[int, str]]:
    found = []
    for name in sorted(names):
        pattern = r"(?<![A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_])"
        found += [(text.count("\n", 0, m.start()) + 1, name) for m in re.finditer(pattern, text)]
    return sorted(found)


MODULES = sorted(p for p in LIB.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(LIB)))
def test_no_maker_is_named_outside_the_registry(path):
    if path == REGISTRY_MODULE:
        return
    mentions = _mentions(path.read_text(), _names())
    assert not mentions, f"{path.relative_to(LIB)} names makers: {mentions}"


def test_the_search_finds_a_name_as_a_word_only():
    text = "a = 1\nb = 'NIO ET9'  # Leapmotor's\nUNION = 'nio_x'\n"
    assert _mentions(text, {"NIO", "Leapmotor", "nio"}) == [(2, "Leapmotor"), (2, "NIO")]
