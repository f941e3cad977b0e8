from tests.isolation.world import Case, managed

CASES = [
    Case("insights.overview", "GET", "/manage/{own}/insights", managed(200), page=True),
    Case("insights.refresh", "POST", "/manage/{own}/insights/refresh", managed(302), page=True),
    Case("insights.export", "POST", "/manage/{own}/insights/export", managed(302), page=True, form=True,
         body={"sort": "members_active", "dir": "desc"}),
    Case("insights_api.insights", "GET", "/api/v1/tenants/{own}/insights", managed(200)),
    Case("insights_api.export", "POST", "/api/v1/tenants/{own}/insights/export", managed(202),
         body={"sort": "name"}),
]
