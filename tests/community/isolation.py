"""The community endpoints in the isolation matrix, around a post of union a-s1 shared with its subtree.

The post's author is nobody of the matrix; moderators (``community.moderate``: union admins and officers,
the federation's admins) see every post of their subtree in any status. Two more records: a sibling's post
for its own members only (404 to everyone else), and a hidden post (its author and moderators only).
"""
import io

from tests.groups.isolation import a_group, a_group_of_everyone
from tests.isolation.world import Case, everyone, managed, members

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _poster(session):
    from union_saas.accounts.models import User

    user = User(username="poster", display_name="Poster", password_hash="x")
    session.add(user)
    session.flush()
    return user


def _post(world, session, *, slug="a-s1", scope="subtree", status="visible", author=None, images=False):
    from union_saas.community.models import Post, PostImage
    from union_saas.core import files

    tenant = world.tenants[slug]
    author = author or _poster(session)
    post = Post(tenant_id=tenant.id, root_id=tenant.root_id, author_id=author.id, body="Hello", body_html="<p>Hello</p>",
                scope=scope, status=status, image_ids=[])
    session.add(post)
    session.flush()
    if images:
        stored = files.save(session, PNG, filename="a.png", content_type="image/png")
        session.add(PostImage(post_id=post.id, position=0, file_id=stored.id))
        post.image_ids = [stored.id]
        session.flush()
    return post


def a_post(world, session):
    return {"post_id": _post(world, session).id}


def a_post_with_an_image(world, session):
    return {"post_id": _post(world, session, images=True).id}


def a_siblings_post(world, session):
    return {"post_id": _post(world, session, slug="a-s2", scope="tenant").id}


def a_hidden_post(world, session):
    return {"post_id": _post(world, session, status="hidden", author=world.users["member_own"]).id}


def a_comment(world, session):
    from union_saas.community.models import Comment

    post = _post(world, session)
    comment = Comment(post_id=post.id, tenant_id=post.tenant_id, root_id=post.root_id, author_id=post.author_id,
                      body="Hi", body_html="<p>Hi</p>", status="visible")
    session.add(comment)
    post.comments_count = 1
    session.flush()
    return {"post_id": post.id, "comment_id": comment.id}


def _item(world, session, *, status="open", author=None):
    from union_saas.community.models import ModerationItem

    post = _post(world, session, status="hidden" if status == "open" else "removed", author=author)
    tenant = world.tenants["a-s1"]
    item = ModerationItem(tenant_id=tenant.id, root_id=tenant.root_id, content_tenant_id=tenant.id, item_type="post",
                          item_id=post.id, author_id=post.author_id, excerpt="Hello", reason="reports", status=status,
                          decision_reason="" if status == "open" else "Spam")
    session.add(item)
    session.flush()
    return item


def an_open_item(world, session):
    return {"moderation_id": _item(world, session).id}


def a_removal_of_member_own(world, session):
    """A removal of member_own's post at a-s1: its author may read it and appeal (to the federation)."""
    return {"moderation_id": _item(world, session, status="removed", author=world.users["member_own"]).id}


def a_mute(world, session):
    from datetime import timedelta

    from union_saas.community.models import Mute
    from union_saas.core.db import utcnow

    tenant = world.tenants["a-s1"]
    mute = Mute(tenant_id=tenant.id, root_id=tenant.root_id, user_id=world.users["member_own"].id,
                until=utcnow() + timedelta(hours=5), reason="")
    session.add(mute)
    session.flush()
    return {"mute_id": mute.id}


def image():
    return {"file": (io.BytesIO(PNG), "a.png")}


def page_images():
    return {"images": (io.BytesIO(PNG), "a.png")}


# Who may write in a-s1's space: its members and the members below (the audience of a subtree post), and its
# officers (any grant at a-s1 or above); everyone else who sees the union reads only (403).
WRITERS = {**everyone(403), "own_admin": 201, "own_officer": 201, "parent_admin": 201}
WRITER_MEMBERS = {"member_own": 201, "member_child": 201}
PAGE_WRITERS = {k: (302 if v == 201 else v) for k, v in WRITERS.items()}
PAGE_WRITER_MEMBERS = {k: 302 for k in WRITER_MEMBERS}
# A sibling's tenant-scoped post: its own members and the moderators of a-s2 (and above) only.
SIBLING = {**managed(404), "parent_admin": 200, "sibling_admin": 200}
SIBLING_MEMBERS = {"member_own": 404, "member_child": 404, "member_parent": 404, "member_sibling": 200,
                   "member_other": 404}
HIDDEN_MEMBERS = {"member_own": 200, "member_child": 404, "member_parent": 404, "member_sibling": 404,
                  "member_other": 404}

P = "/api/v1/posts/{post_id}"
T = "/api/v1/tenants/{own}"
G = "/api/v1/groups/{group_id}/posts"
# A group of a-s1 for its subtree: seen by its audience and by group.manage at a-s1 or above (union officers
# hold none); only its active members write (its founder, nobody of the matrix; or, in a group of everyone,
# every caller).
GROUP_SEEN = managed(200, officer=404)
GROUP_NOT_IN = managed(403, officer=404)

CASES = [
    Case("community_api.create_post", "POST", T + "/posts", WRITERS, body={"body": "Hello"}, members=WRITER_MEMBERS),
    Case("community_api.list_posts", "GET", T + "/posts", everyone(200), setup=a_post),
    Case("community_api.my_posts", "GET", "/api/v1/me/posts", everyone(200), setup=a_post),
    Case("community_api.list_group_posts", "GET", G, GROUP_SEEN, setup=a_group, audience="subtree"),
    Case("community_api.create_group_post", "POST", G, GROUP_NOT_IN, setup=a_group, body={"body": "Hello"},
         audience="subtree", member_ok=403),
    Case("community_api.create_group_post", "POST", G, everyone(201), setup=a_group_of_everyone,
         body={"body": "Hello"}, members=members(201), id="members"),
    Case("community_api.get_post", "GET", P, managed(200), setup=a_post, audience="subtree"),
    Case("community_api.get_post", "GET", P, SIBLING, setup=a_siblings_post, members=SIBLING_MEMBERS, id="sibling"),
    Case("community_api.get_post", "GET", P, managed(200), setup=a_hidden_post, members=HIDDEN_MEMBERS, id="hidden"),
    Case("community_api.patch_post", "PATCH", P, managed(200), setup=a_post, body={"pinned": True}),
    # only the author adds images: whoever else sees the post is refused
    Case("community_api.add_image", "POST", P + "/images", managed(403), setup=a_post, files=image,
         audience="subtree"),
    Case("community_api.create_comment", "POST", P + "/comments", managed(201), setup=a_post, body={"body": "Hi"},
         audience="subtree"),
    Case("community_api.list_comments", "GET", P + "/comments", managed(200), setup=a_comment, audience="subtree"),
    Case("community_api.like", "POST", P + "/likes", managed(204), setup=a_post, audience="subtree"),
    Case("community_api.unlike", "DELETE", P + "/likes/me", managed(204), setup=a_post, audience="subtree"),
    Case("community_api.report_post", "POST", P + "/reports", managed(201), setup=a_post, body={"reason": "spam"},
         audience="subtree"),
    Case("community_api.report_comment", "POST", "/api/v1/comments/{comment_id}/reports", managed(201),
         setup=a_comment, body={"reason": "abuse"}, audience="subtree"),
    Case("community_api.queue", "GET", T + "/moderation", managed(200), setup=an_open_item),
    Case("community_api.get_item", "GET", "/api/v1/moderation/{moderation_id}", managed(200), setup=an_open_item),
    Case("community_api.decide", "POST", "/api/v1/moderation/{moderation_id}/decide", managed(200),
         setup=an_open_item, body={"action": "keep"}),
    # the author appeals; moderators see the item but may not appeal for them
    Case("community_api.appeal", "POST", "/api/v1/moderation/{moderation_id}/appeal", managed(403),
         setup=a_removal_of_member_own, body={"statement": "Not spam"}, members={"member_own": 201}),
    Case("community_api.get_words", "GET", T + "/watched-words", managed(200)),
    Case("community_api.put_words", "PUT", T + "/watched-words", managed(200), body={"block": ["scam"]}),
    Case("community_api.list_mutes", "GET", T + "/mutes", managed(200), setup=a_mute),
    Case("community_api.create_mute", "POST", T + "/mutes", managed(201),
         body={"username": "member-own", "hours": 24}),
    Case("community_api.delete_mute", "DELETE", "/api/v1/mutes/{mute_id}", managed(204), setup=a_mute),
    # pages
    Case("community.feed_page", "GET", "/t/{own}/posts", everyone(200), page=True, setup=a_post),
    Case("community.feed_page", "POST", "/t/{own}/posts", PAGE_WRITERS, page=True, body={"body": "Hello"},
         members=PAGE_WRITER_MEMBERS),
    Case("community.my_posts", "GET", "/me/posts", everyone(200), page=True),
    Case("community.group_feed", "GET", "/groups/{group_id}/posts", GROUP_SEEN, page=True, setup=a_group,
         audience="subtree"),
    Case("community.group_feed", "POST", "/groups/{group_id}/posts", GROUP_NOT_IN, page=True, setup=a_group,
         body={"body": "Hello"}, audience="subtree", member_ok=403),
    Case("community.group_feed", "POST", "/groups/{group_id}/posts", everyone(302), page=True,
         setup=a_group_of_everyone, body={"body": "Hello"}, members=members(302), id="members"),
    Case("community.detail", "GET", "/posts/{post_id}", managed(200), page=True, setup=a_post, audience="subtree"),
    Case("community.detail", "GET", "/posts/{post_id}", SIBLING, page=True, setup=a_siblings_post,
         members=SIBLING_MEMBERS, id="sibling"),
    Case("community.detail", "GET", "/posts/{post_id}", managed(200), page=True, setup=a_hidden_post,
         members=HIDDEN_MEMBERS, id="hidden"),
    Case("community.comment", "POST", "/posts/{post_id}/comments", managed(302), page=True, setup=a_post,
         body={"body": "Hi"}, audience="subtree"),
    Case("community.add_images", "POST", "/posts/{post_id}/images", managed(403), page=True, setup=a_post,
         files=page_images, audience="subtree"),
    Case("community.image", "GET", "/posts/{post_id}/images/0", managed(200), page=True, setup=a_post_with_an_image,
         audience="subtree"),
    Case("community.like", "POST", "/posts/{post_id}/like", managed(302), page=True, setup=a_post, audience="subtree"),
    Case("community.unlike", "POST", "/posts/{post_id}/unlike", managed(302), page=True, setup=a_post,
         audience="subtree"),
    Case("community.edit", "POST", "/posts/{post_id}/edit", managed(302), page=True, setup=a_post,
         body={"pinned": "1"}),
    Case("community.report_post", "GET", "/posts/{post_id}/report", managed(200), page=True, setup=a_post,
         audience="subtree"),
    Case("community.report_post", "POST", "/posts/{post_id}/report", managed(302), page=True, setup=a_post,
         body={"reason": "spam"}, audience="subtree"),
    Case("community.report_comment", "GET", "/comments/{comment_id}/report", managed(200), page=True,
         setup=a_comment, audience="subtree"),
    Case("community.report_comment", "POST", "/comments/{comment_id}/report", managed(302), page=True,
         setup=a_comment, body={"reason": "other", "detail": "Rude"}, audience="subtree"),
    Case("community.queue", "GET", "/manage/{own}/moderation", managed(200), page=True, setup=an_open_item),
    Case("community.item", "GET", "/moderation/{moderation_id}", managed(200), page=True, setup=an_open_item),
    Case("community.item", "GET", "/moderation/{moderation_id}", managed(200), page=True,
         setup=a_removal_of_member_own, members={"member_own": 200}, id="author"),
    Case("community.decide", "POST", "/moderation/{moderation_id}/decide", managed(302), page=True,
         setup=an_open_item, body={"action": "keep"}),
    Case("community.appeal", "POST", "/moderation/{moderation_id}/appeal", managed(403), page=True,
         setup=a_removal_of_member_own, body={"statement": "Not spam"}, members={"member_own": 302}),
    Case("community.words", "GET", "/manage/{own}/watched-words", managed(200), page=True),
    Case("community.words", "POST", "/manage/{own}/watched-words", managed(302), page=True,
         body={"block": "scam", "review": "loan"}),
    Case("community.mutes", "GET", "/manage/{own}/mutes", managed(200), page=True, setup=a_mute),
    Case("community.mutes", "POST", "/manage/{own}/mutes", managed(302), page=True,
         body={"username": "member-own", "hours": "24"}),
    Case("community.unmute", "POST", "/manage/mutes/{mute_id}/delete", managed(302), page=True, setup=a_mute),
]
