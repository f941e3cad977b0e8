"""The .xlsx export of a subtree's insights: what the page shows, sheet by sheet, from the rollups only."""
from flask_babel import gettext as _

from union_saas.activities.models import CATEGORY_LABELS
from union_saas.core import xlsx
from union_saas.insights import services
from union_saas.insights.models import FIGURES, LABELS, MONTHLY_FIGURES

BATCH = 200


def write(session, tenant, sort, descending, out, progress=None) -> int:
    """Write the workbook to ``out`` (a path or a binary file); returns the number of per-child rows."""
    headline, rows = services.overview(session, tenant, sort, descending)
    trends = services.trends(session, tenant)
    book = xlsx.Book(zone=services.federation_zone(tenant))

    figures = book.sheet(_("Figures"), [_("Figure"), _("Value"), _("Out of")])
    figures.append([_("Union"), tenant.name])
    if headline is None:
        figures.append([_("The figures have not been computed yet.")])
    else:
        figures.append([_("Computed at"), headline.computed_at])
        for key, value, out_of in services.headline_items(headline):
            figures.append([LABELS[key], xlsx.percent(value) if key == "verification_rate" else value, out_of])

    table = book.sheet(_("Unions under this one"),
                       [_("Union"), *(LABELS[f] for f in FIGURES), LABELS["verification_rate"]])
    done = 0
    for child, rollup in rows:
        if rollup is None:
            table.append([child.name])
        else:
            table.append([child.name, *(getattr(rollup, f) for f in FIGURES), xlsx.percent(rollup.verification_rate)])
        done += 1
        if progress and done % BATCH == 0:
            progress(done, len(rows))

    months = book.sheet(_("Per month"), [_("Month"), *(LABELS[f] for f in MONTHLY_FIGURES)])
    for i, month in enumerate(trends["months"]):
        months.append([month, *(trends[f][i] for f in MONTHLY_FIGURES)])

    categories = book.sheet(_("Activities by category"), [_("Category"), _("Activities")])
    for c in trends["categories"]:
        categories.append([CATEGORY_LABELS.get(c["category"], c["category"]), c["activities"]])

    book.save(out)
    return done
