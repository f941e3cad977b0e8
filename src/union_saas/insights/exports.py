"""The .xlsx export of a subtree's insights: what the page shows, sheet by sheet, from the rollups only."""
from flask_babel import gettext as _

from union_saas.activities.models import CATEGORY_LABELS
from union_saas.insights import services
from union_saas.insights.models import FIGURES, LABELS, MONTHLY_FIGURES
from union_saas.members.files import safe_cell

BATCH = 200
PERCENT = "0.0%"


def sheet_title(text):
    """A sheet name Excel accepts: 31 characters at most, none of []:*?/\\."""
    return "".join(" " if ch in "[]:*?/\\" else ch for ch in str(text))[:31]


def write(session, tenant, sort, descending, out, progress=None) -> int:
    """Write the workbook to ``out`` (a path or a binary file); returns the number of per-child rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    headline, rows = services.overview(session, tenant, sort, descending)
    trends = services.trends(session, tenant)
    book = Workbook(write_only=True)
    bold = Font(bold=True)

    def heading(sheet, *texts):
        cells = []
        for text in texts:
            cell = WriteOnlyCell(sheet, value=str(text))
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)

    def percent(sheet, value):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = PERCENT
        return cell

    figures = book.create_sheet(sheet_title(_("Figures")))
    heading(figures, _("Figure"), _("Value"), _("Out of"))
    figures.append([_("Union"), safe_cell(tenant.name)])
    if headline is None:
        figures.append([_("The figures have not been computed yet.")])
    else:
        computed = headline.computed_at.astimezone(services.federation_zone(tenant)).replace(tzinfo=None)
        figures.append([_("Computed at"), computed])
        for key, value, out_of in services.headline_items(headline):
            value = percent(figures, value) if key == "verification_rate" else value
            figures.append([str(LABELS[key]), value, out_of])

    table = book.create_sheet(sheet_title(_("Unions under this one")))
    heading(table, _("Union"), *(LABELS[f] for f in FIGURES), LABELS["verification_rate"])
    done = 0
    for child, rollup in rows:
        if rollup is None:
            table.append([safe_cell(child.name)])
        else:
            table.append([safe_cell(child.name), *(getattr(rollup, f) for f in FIGURES),
                          percent(table, rollup.verification_rate)])
        done += 1
        if progress and done % BATCH == 0:
            progress(done, len(rows))

    months = book.create_sheet(sheet_title(_("Per month")))
    heading(months, _("Month"), *(LABELS[f] for f in MONTHLY_FIGURES))
    for i, month in enumerate(trends["months"]):
        months.append([month, *(trends[f][i] for f in MONTHLY_FIGURES)])

    categories = book.create_sheet(sheet_title(_("Activities by category")))
    heading(categories, _("Category"), _("Activities"))
    for c in trends["categories"]:
        categories.append([str(CATEGORY_LABELS.get(c["category"], c["category"])), c["activities"]])

    book.save(out)
    return done
