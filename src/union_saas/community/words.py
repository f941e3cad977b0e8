"""Watched words: one prepared automaton per list version, one pass over a text.

Both the words and the text are *normalised* the same way: NFKC (full-width forms become half-width,
compatibility characters their plain form), case folded, and every space, punctuation mark, symbol or
control character dropped, so that ``Ｂ ａ-d`` and ``b.a.d`` both read ``bad``. The words of a list are
put in one Aho-Corasick automaton (``ahocorasick_rs``: Rust's ``aho-corasick``, whose transitions are table
lookups, where ``pyahocorasick`` scans a node's children one by one: with thousands of Chinese first
characters that was 30 times slower); a text is normalised once and walked once, whatever the number of words. Automata are cached by the versions of the lists they were built from (a union's list
changes its version), so a list is built once per change, by each process.
"""
import functools
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass

import ahocorasick_rs

DROPPED = ("Z", "P", "S", "C")  # separators, punctuation, symbols, control/format characters
# Already in normal form (NFKC and case folded): lower-case ASCII letters, digits, the CJK unified ideographs.
STABLE = re.compile(r"[^a-z0-9\u4e00-\u9fff]+")


def _ranges(first, end):
    ranges, start, last = [], None, None
    for code in range(first, end):
        if unicodedata.category(chr(code))[0] in DROPPED:
            if start is None:
                start = code
            last = code
        elif start is not None:
            ranges.append((start, last))
            start = None
    if start is not None:
        ranges.append((start, last))
    return ranges


def _class(ranges):
    parts = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return re.compile(f"[{parts}]+")


@functools.cache
def _dropped():
    """Every separator, punctuation mark, symbol and control character of the basic plane, as one compiled
    character class (a table lookup a character), built once per process (some 30 ms)."""
    return _class(_ranges(0, 0x10000))


def _drop(text):
    text = _dropped().sub("", text)
    if text and max(text) > "\uffff":  # emoji and other characters beyond the basic plane: rare, one by one
        text = "".join(ch for ch in text if ch <= "\uffff" or unicodedata.category(ch)[0] not in DROPPED)
    return text


def _fold(match):
    return _drop(unicodedata.normalize("NFKC", match.group()).casefold())


def normalise(text: str) -> str:
    """The form matching reads: NFKC, case folded, without spaces, punctuation, symbols or controls.

    Marks and spaces go first (one regex pass); then only the runs not already in normal form (anything but
    lower-case ASCII, digits and CJK ideographs: full-width forms, capitals, accents...) are normalised."""
    return STABLE.sub(_fold, _drop(text or ""))


@dataclass(frozen=True)
class Hits:
    block: tuple = ()
    review: tuple = ()


class Matcher:
    """The words of one or more lists, prepared: ``find(text)`` walks the normalised text once."""

    def __init__(self, words):
        """``words``: (word as written, level) pairs; a word that normalises to nothing is skipped."""
        entries = {}
        for word, level in words:
            key = normalise(word)
            if not key:
                continue
            known = entries.get(key)
            # one word in two lists: block wins over review
            if known is None or (known[1] == "review" and level == "block"):
                entries[key] = (word, level)
        self.keys = list(entries)
        self.entries = [entries[k] for k in self.keys]
        self.size = len(self.keys)
        self.automaton = ahocorasick_rs.AhoCorasick(self.keys, matchkind=ahocorasick_rs.MatchKind.Standard) \
            if self.size else None

    def find(self, text) -> Hits:
        if not self.size:
            return Hits()
        found = {"block": {}, "review": {}}
        for index, _start, _end in self.automaton.find_matches_as_indexes(normalise(text), overlapping=True):
            word, level = self.entries[index]
            found[level].setdefault(word, None)
        return Hits(tuple(found["block"]), tuple(found["review"]))


_CACHE: OrderedDict = OrderedDict()
_LOCK = threading.Lock()
CACHE_SIZE = 512


def matcher_for(key, load) -> Matcher:
    """The matcher cached under ``key`` (the versions of the lists it reads), built by ``load()`` on a miss."""
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    built = Matcher(load())
    with _LOCK:
        _CACHE[key] = built
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return built


def clear_cache():
    with _LOCK:
        _CACHE.clear()
