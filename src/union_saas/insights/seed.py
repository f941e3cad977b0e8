"""``flask demo seed``: the last step computes the seeded federation's figures, so its pages show them at once."""
from union_saas.insights import services
from union_saas.tenancy.models import Tenant


def step_rollups(ctx):
    """Refresh the rollups of the federation just built (after every domain's rows are in)."""
    root = ctx.session.get(Tenant, ctx.root.id)
    written = services.refresh(ctx.session, root)
    ctx.counts["insights_rollup"] = written


SEED_STEPS = [(1000, step_rollups)]
