"""Lists and pages do a bounded number of queries: as many for 12 polls as for 2."""


def test_lists_and_pages_do_not_grow_with_the_polls(api, login, world, verified, make_poll, queries_of):
    member = verified(world["street"], username="counter")
    client, pages, org, org_pages = api(member), login(member), api(world["organiser"]), login(world["organiser"])

    def calls():
        return (lambda: client.get("/api/v1/polls"), lambda: client.get("/api/v1/polls?open=1"),
                lambda: client.get("/api/v1/me/votes"), lambda: pages.get("/polls"), lambda: pages.get("/me/votes"),
                lambda: pages.get("/t/street"), lambda: org.get("/api/v1/tenants/street/polls"),
                lambda: org_pages.get("/manage/street/polls"), lambda: org_pages.get("/manage/street/poll-entries"))

    def make(n):
        for i in range(n):
            poll = make_poll(world["street"], labels=("A", "B", "C"), title=f"Poll {i}")
            assert client.post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [poll.option_ids[0]]}).status_code == 201
        return poll

    make(2)
    few = queries_of(*calls())
    poll = make(10)
    many = queries_of(*calls())
    assert many == few, (few, many)
    # The home page has other domains' sections too; a /manage page counts each domain's to-do for its badges.
    from union_saas.tenancy import sections
    assert max(few[:5] + few[6:7]) <= 10 and few[5] <= 25
    assert max(few[7:]) <= 10 + len(sections.TODOS), few
    # one poll's pages: results in one query, whatever the votes
    single = (lambda: client.get(f"/api/v1/polls/{poll.id}/results"), lambda: pages.get(f"/polls/{poll.id}"),
              lambda: org_pages.get(f"/manage/polls/{poll.id}"))
    before = queries_of(*single)
    for _ in range(5):
        verified_client = api(verified(world["street"]))
        verified_client.post(f"/api/v1/polls/{poll.id}/votes", json={"choices": [poll.option_ids[1]]})
    assert queries_of(*single) == before
