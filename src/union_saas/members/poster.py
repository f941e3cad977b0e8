"""A printable PNG poster per union: its name and a QR code of its join link."""
import io
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1240, 1754  # A4 at 150 dpi
RED, WHITE, INK, MUTED = (200, 16, 46), (255, 255, 255), (31, 35, 40), (95, 107, 118)
# Fonts with Chinese glyphs, first found wins (Debian: fonts-wqy-microhei, fonts-noto-cjk).
FONTS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
         "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc")


def font(size):
    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def qr_image(url, box=14):
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box, border=2)
    code.add_data(url)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")


QR_TOP = 500


def qr_block(url, side=760):
    """The QR code as pasted on the poster: ``side`` pixels square, every module the same whole number of
    pixels (a scanner's easiest read)."""
    code = qr_image(url, box=1)
    scale = max(1, side // code.width)
    block = Image.new("RGB", (side, side), WHITE)
    sharp = code.resize((code.width * scale, code.height * scale), Image.NEAREST)
    block.paste(sharp, ((side - sharp.width) // 2, (side - sharp.height) // 2))
    return block


def wrap(draw, text, face, width):
    """Lines of ``text`` no wider than ``width`` (character by character: Chinese has no spaces)."""
    lines, line = [], ""
    for ch in text:
        if draw.textlength(line + ch, font=face) > width and line:
            lines.append(line)
            line = ch
        else:
            line += ch
    return lines + ([line] if line else [])


def centred(draw, y, text, face, fill, width=WIDTH - 160):
    for line in wrap(draw, text, face, width):
        w = draw.textlength(line, font=face)
        draw.text(((WIDTH - w) / 2, y), line, font=face, fill=fill)
        y += int(face.size * 1.3)
    return y


def render(union_name, url, *, headline, invite, steps) -> bytes:
    """The poster as PNG bytes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), WHITE)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, WIDTH, 420], fill=RED)
    y = centred(draw, 90, headline, font(96), WHITE)
    centred(draw, max(y + 20, 250), union_name, font(60), WHITE)
    code = qr_block(url)
    side = code.width
    top = QR_TOP
    image.paste(code, ((WIDTH - side) // 2, top))
    y = centred(draw, top + side + 40, invite, font(48), INK)
    y = centred(draw, y + 20, steps, font(34), MUTED)
    centred(draw, HEIGHT - 110, url, font(28), MUTED)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def join_poster(tenant):
    """The poster of ``tenant``'s join link, as a PNG response (pages and API alike)."""
    from flask import make_response, url_for
    from flask_babel import gettext as _

    png = render(tenant.name, url_for("members.join_form", slug=tenant.slug, _external=True),
                 headline=_("Join the union"), invite=_("Scan to join %(union)s", union=tenant.name),
                 steps=_("Sign in or register, fill in your real name, ID number and mobile number: "
                         "it takes a minute."))
    response = make_response(png)
    response.mimetype = "image/png"
    response.headers["Content-Disposition"] = f'inline; filename="join-{tenant.slug}.png"'
    return response
