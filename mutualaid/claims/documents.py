"""Uploaded documents: the type from the content (magic bytes), never from the name; photos re-encoded without
their metadata (EXIF, GPS), PDFs kept as they are. Pure functions over bytes (no database)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps

JPEG, PNG, HEIC, PDF = "image/jpeg", "image/png", "image/heic", "application/pdf"
EXTENSIONS = {JPEG: "jpg", PNG: "png", PDF: "pdf"}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


class UnsupportedFile(ValueError):
    pass


def sniff(content: bytes) -> str | None:
    """The content type by magic bytes: JPEG, PNG, HEIC/HEIF or PDF; None for anything else."""
    if content[:3] == b"\xff\xd8\xff":
        return JPEG
    if content[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    if content[:5] == b"%PDF-":
        return PDF
    if len(content) >= 12 and content[4:8] == b"ftyp" and content[8:12] in _HEIF_BRANDS:
        return HEIC
    return None


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    content_type: str
    extension: str


def clean(content: bytes) -> CleanFile:
    """The file to store: photos re-encoded without metadata (HEIC as JPEG), PDFs unchanged. Raises
    ``UnsupportedFile`` for anything that is not a readable photo or PDF."""
    kind = sniff(content)
    if kind is None:
        raise UnsupportedFile("不是 JPEG、PNG、HEIC 照片或 PDF 文件")
    if kind == PDF:
        if b"%%EOF" not in content[-2048:]:
            raise UnsupportedFile("PDF 文件不完整")
        return CleanFile(content, PDF, "pdf")
    if kind == HEIC:
        try:
            from pillow_heif import register_heif_opener
        except ImportError as exc:  # pragma: no cover - pillow-heif is a dependency
            raise UnsupportedFile("服务器不支持 HEIC 照片，请上传 JPEG 或 PDF") from exc
        register_heif_opener()
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            # Apply the orientation the EXIF asked for, then drop every piece of metadata.
            upright = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            if kind == PNG:
                pixels = (
                    upright.convert("RGBA") if upright.mode not in ("RGB", "RGBA", "L", "LA") else upright
                )
                bare = Image.new(pixels.mode, pixels.size)
                bare.paste(pixels)
                bare.save(out, format="PNG", optimize=False)
                return CleanFile(out.getvalue(), PNG, "png")
            rgb = upright.convert("RGB")
            bare = Image.new("RGB", rgb.size)
            bare.paste(rgb)
            bare.save(out, format="JPEG", quality=90)
            return CleanFile(out.getvalue(), JPEG, "jpg")
    except UnsupportedFile:
        raise
    except Exception as exc:  # Pillow raises many kinds for broken images
        raise UnsupportedFile("照片无法读取（文件损坏或格式不符）") from exc
