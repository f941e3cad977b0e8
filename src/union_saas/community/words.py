"""Watched words: one prepared automaton per list version, one pass over a text.

Both the words and the text are *normalised* the same way: NFKC (full-width forms become half-width,
compatibility characters their plain form), case folded, and every space, punctuation mark, symbol or
control character dropped, so that ``Ｂ ａ-d`` and ``b.a.d`` both read ``bad``. The words of a list are
put in one Aho-Corasick automaton (``pyahocorasick``); a text is normalised once and walked once, whatever
the number of words. Automata are cached by the versions of the lists they were built from (a union's list
changes its version), so a list is built once per change, by each process.
"""
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass

import ahocorasick

DROPPED = ("Z", "P", "S", "C")  # separators, punctuation, symbols, control/format characters


def normalise(text: str) -> str:
    """The form matching reads: NFKC, case folded, without spaces, punctuation, symbols or controls."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in DROPPED)


@dataclass(frozen=True)
class Hits:
    block: tuple = ()
    review: tuple = ()


class Matcher:
    """The words of one or more lists, prepared: ``find(text)`` walks the normalised text once."""

    def __init__(self, words):
        """``words``: (word as written, level) pairs; a word that normalises to nothing is skipped."""
        self.automaton = ahocorasick.Automaton()
        self.size = 0
        for word, level in words:
            key = normalise(word)
            if not key:
                continue
            known = self.automaton.get(key, None)
            # one word in two lists: block wins over review
            if known is None or (known[1] == "review" and level == "block"):
                if known is None:
                    self.size += 1
                self.automaton.add_word(key, (word, level))
        if self.size:
            self.automaton.make_automaton()

    def find(self, text) -> Hits:
        if not self.size:
            return Hits()
        found = {"block": {}, "review": {}}
        for _end, (word, level) in self.automaton.iter(normalise(text)):
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
