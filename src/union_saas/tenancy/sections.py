"""The public home of a tenant (``/t/<slug>``) is made of sections that domains contribute.

A domain registers ``section(order, template)`` with a function ``(tenant, user) -> context or None``;
the home page renders each section's template with its context, in order. None hides the section.
Each section must do a bounded number of queries (the home page's query count is tested).
"""
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    name: str
    order: int
    template: str
    context: Callable


SECTIONS: dict[str, Section] = {}


def section(name, order, template):
    def decorate(fn):
        SECTIONS[name] = Section(name, order, template, fn)
        return fn

    return decorate


def render_context(tenant, user):
    """[(section, context)] of the sections that have something to show, in order."""
    out = []
    for sec in sorted(SECTIONS.values(), key=lambda s: s.order):
        ctx = sec.context(tenant, user)
        if ctx is not None:
            out.append((sec, ctx))
    return out


@dataclass(frozen=True)
class ManageTab:
    endpoint: str
    label: object  # a lazy string
    permission: str
    order: int
    shown: Callable | None = None  # (tenant) -> bool: only at some unions (a federation's review queue)
    count: Callable | None = None  # (tenant) -> int: work waiting there, shown as a badge (one query)


@dataclass(frozen=True)
class Todo:
    """One kind of work waiting at a union: a line of its manage home (/manage/<slug>) with its count and a
    link to the work, counted in the badge of the tab ``tab``."""

    name: str
    label: object  # a lazy string: what waits ("Membership requests to review")
    permission: str
    count: Callable  # (tenant) -> int, one query
    endpoint: str  # the page where the work is done (``slug`` is filled in)
    order: int
    tab: str | None = None
    shown: Callable | None = None
    args: tuple = ()  # more arguments of the link: (("status", "pending"),)


MANAGE_TABS: list[ManageTab] = []
TODOS: dict[str, Todo] = {}


def manage_tab(endpoint, label, permission, order, *, shown=None, count=None, todo=None):
    """Add a tab to the navigation of every /manage/<slug> page (shown where ``permission`` is held).

    With ``count`` the tab's work is also a line of the union's to-do overview, worded ``todo`` (the tab's
    label by default); other lines can count into its badge with ``todo(..., tab=endpoint)``."""
    MANAGE_TABS[:] = [tab for tab in MANAGE_TABS if tab.endpoint != endpoint]
    MANAGE_TABS.append(ManageTab(endpoint, label, permission, order, shown, count))
    MANAGE_TABS.sort(key=lambda tab: tab.order)
    if count is not None:
        TODOS[endpoint] = Todo(endpoint, todo or label, permission, count, endpoint, order, endpoint, shown)


def todo(name, label, permission, count, endpoint, order, *, tab=None, shown=None, **url_args):
    """Add a line to the to-do overview of /manage/<slug>: ``count(tenant)`` things waiting, done at
    ``endpoint`` (with ``url_args``), counted in the badge of ``tab`` when given."""
    TODOS[name] = Todo(name, label, permission, count, endpoint, order, tab, shown, tuple(sorted(url_args.items())))


def todos_at(tenant, held):
    """[(todo, count)] of the lines of ``tenant``'s overview that a caller holding ``held`` there sees, in
    order: one query each."""
    out = []
    for item in sorted(TODOS.values(), key=lambda t: (t.order, t.name)):
        if item.permission in held and (item.shown is None or item.shown(tenant)):
            out.append((item, int(item.count(tenant) or 0)))
    return out


@dataclass(frozen=True)
class Entry:
    """A link of the worker's own place: an entry of "我的" or a tile of the services grid."""

    name: str
    order: int
    label: object  # a lazy string
    url: Callable  # (user) -> str | None; None hides the entry for that user
    count: Callable | None = None  # (user) -> int: shown as a badge (one query)
    icon: str | None = None  # the name of an icon of core/static/icons.svg


ME_ENTRIES: dict[str, Entry] = {}
SERVICES: dict[str, Entry] = {}


def me_entry(name, order, label, url, *, count=None, icon=None):
    """An entry of the member's "我的" centre (my groups, my tickets, my requests...)."""
    ME_ENTRIES[name] = Entry(name, order, label, url, count, icon)


def service(name, order, label, url, *, icon=None):
    """A tile of the services grid of the member's home and of the 服务 tab."""
    SERVICES[name] = Entry(name, order, label, url, None, icon)


def entries_for(registry, user):
    """[(entry, url, count)] of a registry's entries shown to ``user``, in order."""
    out = []
    for entry in sorted(registry.values(), key=lambda e: e.order):
        url = entry.url(user)
        if url is not None:
            out.append((entry, url, entry.count(user) if entry.count else None))
    return out
