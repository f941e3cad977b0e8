"""The pages, twins of the API: forms shown again with what was typed and the messages; zh."""
import io

import pytest
import sqlalchemy as sa

from tests.community.conftest import PNG
from union_saas.community.models import (
    ModerationItem,
    Mute,
    Post,
    PostLike,
    WatchedWord,
)
from union_saas.tenancy import sections


@pytest.fixture
def login(login):
    """Signed in, reading English (the platform's default is Chinese)."""

    def sign_in(user):
        client = login(user)
        client.get("/lang/en")
        return client

    return sign_in


def test_write_a_post_with_images_and_read_it(login, tree, db_session):
    client = login(tree.member)
    page = client.get(f"/t/{tree.st.slug}/posts")
    assert page.status_code == 200 and 'name="body"' in page.get_data(as_text=True)
    r = client.post(f"/t/{tree.st.slug}/posts", data={"body": "Hello **all**", "scope": "tenant",
                                                      "images": [(io.BytesIO(PNG), "a.png"), (io.BytesIO(PNG), "b.png")]},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    post = db_session.scalar(sa.select(Post).where(Post.author_id == tree.member.id))
    assert post.scope == "tenant" and len(post.image_ids) == 2
    detail = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "<strong>all</strong>" in detail and f"/posts/{post.id}/images/1" in detail


def test_a_tenth_image_or_a_non_image_shows_the_form_again(login, tree):
    client = login(tree.member)
    files = [(io.BytesIO(PNG), f"{i}.png") for i in range(10)]
    r = client.post(f"/t/{tree.st.slug}/posts", data={"body": "many", "images": files},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "At most 9 images." in r.get_data(as_text=True)
    r = client.post(f"/t/{tree.st.slug}/posts", data={"body": "pdf", "images": [(io.BytesIO(b"%PDF-1.4"), "x.pdf")]},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and ">pdf</textarea>" in r.get_data(as_text=True)


def test_comment_like_and_report_through_pages(login, tree, make_post, db_session):
    post = make_post(tree.st, tree.member)
    client = login(tree.member2)
    r = client.post(f"/posts/{post.id}/comments", data={"body": "<b>x</b> typed"})
    assert r.status_code == 422 and "&lt;b&gt;x&lt;/b&gt; typed" in r.get_data(as_text=True)
    assert client.post(f"/posts/{post.id}/comments", data={"body": "Nice"}).status_code == 302
    assert client.post(f"/posts/{post.id}/like").status_code == 302
    assert db_session.scalar(sa.select(sa.func.count()).select_from(PostLike)) == 1
    assert "Unlike" in client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert client.post(f"/posts/{post.id}/unlike").status_code == 302
    assert db_session.scalar(sa.select(sa.func.count()).select_from(PostLike)) == 0
    r = client.post(f"/posts/{post.id}/report", data={"reason": "boring"})
    assert r.status_code == 422
    assert client.post(f"/posts/{post.id}/report", data={"reason": "spam", "detail": "ads"}).status_code == 302
    r = client.post(f"/posts/{post.id}/report", data={"reason": "spam"})
    assert r.status_code == 409 and "You have reported this already." in r.get_data(as_text=True)


def test_moderate_and_appeal_through_pages(login, tree, make_post, db_session):
    post = make_post(tree.st, tree.member)
    login(tree.member2).post(f"/posts/{post.id}/report", data={"reason": "abuse"})
    item = db_session.scalar(sa.select(ModerationItem))
    mod = login(tree.mod)
    queue = mod.get(f"/manage/{tree.st.slug}/moderation").get_data(as_text=True)
    assert f"/moderation/{item.id}" in queue
    manage = mod.get(f"/manage/{tree.st.slug}").get_data(as_text=True)
    assert "Moderation" in manage and f'href="/manage/{tree.st.slug}/moderation"' in manage
    r = mod.post(f"/moderation/{item.id}/decide", data={"action": "remove", "reason": ""})
    assert r.status_code == 422 and "Say why it is removed" in r.get_data(as_text=True)
    assert mod.post(f"/moderation/{item.id}/decide", data={"action": "remove", "reason": "Rude"}).status_code == 302
    author = login(tree.member)
    page = author.get(f"/moderation/{item.id}").get_data(as_text=True)
    assert 'name="statement"' in page and "Rude" in page
    r = author.post(f"/moderation/{item.id}/appeal", data={"statement": ""})
    assert r.status_code == 422
    assert author.post(f"/moderation/{item.id}/appeal", data={"statement": "Please look again"}).status_code == 302
    assert author.post(f"/moderation/{item.id}/appeal", data={"statement": "Again"}).status_code == 409
    fed = login(tree.fed_mod).get("/manage/fed/moderation").get_data(as_text=True)
    assert "Appeal against a removal" in fed


def test_words_and_mutes_pages(login, tree, db_session):
    mod = login(tree.mod)
    assert mod.post(f"/manage/{tree.st.slug}/watched-words",
                    data={"block": "scam\n诈骗", "review": "loan"}).status_code == 302
    assert db_session.scalar(sa.select(sa.func.count()).select_from(WatchedWord)) == 3
    r = mod.post(f"/manage/{tree.st.slug}/watched-words", data={"block": "loan", "review": "LOAN"})
    assert r.status_code == 422 and "both a block and a review word" in r.get_data(as_text=True)
    r = mod.post(f"/manage/{tree.st.slug}/mutes", data={"username": "nobody-here", "hours": "5"})
    assert r.status_code == 422 and 'value="nobody-here"' in r.get_data(as_text=True)
    assert mod.post(f"/manage/{tree.st.slug}/mutes",
                    data={"username": tree.member.username, "hours": "5", "reason": "Cool down"}).status_code == 302
    mute = db_session.scalar(sa.select(Mute))
    assert tree.member.display_name in mod.get(f"/manage/{tree.st.slug}/mutes").get_data(as_text=True)
    assert mod.post(f"/manage/mutes/{mute.id}/delete").status_code == 302
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Mute)) == 0


def test_pages_speak_chinese(login, tree, make_post):
    make_post(tree.st, tree.member, "你好")
    client = login(tree.member)
    client.get("/lang/zh")  # the reader's choice
    page = client.get(f"/t/{tree.st.slug}/posts").get_data(as_text=True)
    assert "社区帖子" in page and "发帖" in page


def test_home_section_me_entry_and_service(app, login, tree, make_post):
    make_post(tree.st, tree.member2, "On the home page")
    home = login(tree.member).get(f"/t/{tree.st.slug}").get_data(as_text=True)
    assert "On the home page" in home
    with app.test_request_context():
        entries = {e.name: (url, count) for e, url, count in sections.entries_for(sections.ME_ENTRIES, tree.member2)}
        assert entries["my_posts"] == ("/me/posts", 1)
        services = {e.name: url for e, url, _c in sections.entries_for(sections.SERVICES, tree.member)}
        assert services["posts"] == f"/t/{tree.st.slug}/posts"
        assert "posts" not in {e.name for e, _u, _c in sections.entries_for(sections.SERVICES, tree.outsider)}
