from tests.isolation.world import Case, managed

CASES = [
    Case("insights.overview", "GET", "/manage/{own}/insights", managed(200), page=True),
    Case("insights.refresh", "POST", "/manage/{own}/insights/refresh", managed(302), page=True),
    Case("insights_api.insights", "GET", "/api/v1/tenants/{own}/insights", managed(200)),
]
