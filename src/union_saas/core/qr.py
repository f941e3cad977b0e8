"""QR codes for pages: inline SVG made from our own data (no image request, no script)."""
import qrcode
import qrcode.image.svg
from markupsafe import Markup


def qr_svg(data) -> Markup:
    """``data`` as a QR code, inline SVG (made here from our own data: safe to embed)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    return Markup(svg[svg.index("<svg"):])
