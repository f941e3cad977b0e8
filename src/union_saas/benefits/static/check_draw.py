#!/usr/bin/env python3
"""Check a giveaway's draw yourself (Python 3, nothing to install).

    python3 check_draw.py draw.json [MY-CODE]

draw.json is the published data of the draw page ("Download the published data"), the same as
GET /api/v1/giveaways/<id>/draw: commitment, seed, entries_hash, ranking, winners. It checks that
1. sha256(seed) is the commitment published before anyone entered,
2. sha256 of the entry codes, sorted and joined by newlines, is the entries hash,
3. ordering the codes by sha256(seed bytes + code) gives the published ranking, and the first
   ones (as many as the giveaway's quantity) are the winners;
then, with your own entry code, it tells you your place.
"""
import hashlib
import json
import sys


def check(draw, my_code=None):
    """Return a list of (what was checked, True/False) and your place (or None)."""
    seed = bytes.fromhex(draw["seed"])
    codes = list(draw["ranking"])
    results = [
        ("commitment = sha256(seed)", hashlib.sha256(seed).hexdigest() == draw["commitment"]),
        ("entries_hash = sha256(sorted codes)",
         hashlib.sha256("\n".join(sorted(codes)).encode("utf-8")).hexdigest() == draw["entries_hash"]),
    ]
    ranking = sorted(codes, key=lambda code: (hashlib.sha256(seed + code.encode("utf-8")).hexdigest(), code))
    results.append(("ranking = codes by sha256(seed + code)", ranking == draw["ranking"]))
    results.append(("winners = the first of the ranking", ranking[:len(draw["winners"])] == draw["winners"]))
    place = ranking.index(my_code) + 1 if my_code in ranking else None
    return results, place


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        draw = json.load(f)
    my_code = argv[2] if len(argv) > 2 else None
    results, place = check(draw, my_code)
    for what, ok in results:
        print(("OK    " if ok else "WRONG ") + what)
    if my_code:
        if place is None:
            print(f"{my_code}: not among the entries")
        else:
            won = place <= len(draw["winners"])
            print(f"{my_code}: place {place} of {len(draw['ranking'])}" + (" (a winner)" if won else " (reserve)"))
    return 0 if all(ok for _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
