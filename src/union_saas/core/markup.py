"""User-written Markdown made safe to show: rendered, then sanitised with an allow-list (nh3)."""
import markdown
import nh3

# Text structure, tables and links; no raw HTML, no images, no scripts, no styles, no event handlers.
ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "u", "a", "ul", "ol", "li", "blockquote", "code", "pre",
                "h1", "h2", "h3", "h4", "hr", "table", "thead", "tbody", "tr", "th", "td"}


def render_markdown(text: str) -> str:
    html = markdown.markdown(text or "", extensions=["tables", "sane_lists"], output_format="html")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")
