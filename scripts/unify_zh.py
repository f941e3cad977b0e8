"""Give each msgid one Chinese translation across the domains' catalogs (Flask-Babel merges them into
one namespace, so two translations of the same msgid would make the page depend on the merge order).
Fills new entries from NEW, then, where catalogs disagree, keeps the translation of the first domain in
PREFERENCE order."""
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1] / "src" / "union_saas"
PREFERENCE = ["core", "tenancy", "accounts", "access", "members", "activities", "office"]
NEW = {
    "Which unions": "范围", "Place": "地点", "No limit": "不限名额", "Name of the union": "名称",
    "Mobile number": "手机号",
}


def catalogs():
    paths = {p.parts[-5]: p for p in ROOT.glob("*/translations/zh/LC_MESSAGES/messages.po")}
    order = [d for d in PREFERENCE if d in paths] + sorted(set(paths) - set(PREFERENCE))
    return [(d, paths[d]) for d in order]


def main():
    loaded = [(d, p, read_po(p.open("rb"), locale="zh")) for d, p in catalogs()]
    chosen = {}
    for _d, _p, catalog in loaded:
        for m in catalog:
            if m.id and isinstance(m.id, str):
                if not m.string and m.id in NEW:
                    m.string = NEW[m.id]
                    m.flags.discard("fuzzy")
                if m.string:
                    chosen.setdefault(m.id, m.string)
    for _d, path, catalog in loaded:
        for m in catalog:
            if m.id and isinstance(m.id, str) and m.id in chosen:
                m.string = chosen[m.id]
        with path.open("wb") as f:
            write_po(f, catalog, width=110)


if __name__ == "__main__":
    main()
