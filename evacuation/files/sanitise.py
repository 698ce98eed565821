"""Cleaning files before they are sealed into a case.

A file sent by someone in hiding can betray them twice: by what it shows, which they chose, and
by what it carries without their knowing. A phone photo's EXIF block holds the GPS position where
it was taken (often the flat where the person is hiding), the time, and the phone's make, model
and serial number; a PDF's document information and XMP name its author, the software and the
machine that made it, and may keep earlier revisions, comments with their authors' names,
embedded files and scripts. Caseworkers need the pixels and the pages, nothing else. So every file
is rebuilt here before it is encrypted: images are decoded and encoded afresh from their pixels
alone, and PDFs are written anew from their pages alone. Nothing from the original travels on
that was not needed to show it, and that includes its name: a title such as
"asylum-claim-ivanova.pdf" says too much, so files get neutral names ("photo.jpg").

The type is taken from the content (magic bytes, then a real decode with that one decoder), never
from the file's name or the browser's content type, so an HTML page or a script renamed ".jpg",
an SVG, an archive, or a file that is also another kind of file ("polyglot") is refused, and what
is stored can only ever be the kind of file it claims to be.

Every refusal is a `FileRefused`, a `ValidationError` whose message a person can act on; no other
exception leaves `sanitise_upload`, whatever bytes it is given. The messages never repeat
anything from the file, and the exceptions are raised without the decoder's error chained on,
so logs and error reports learn nothing about the file either.

No keys and no models here: callers seal `Sanitised.data` with the case cipher.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Literal

import pillow_heif
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DictionaryObject,
    IndirectObject,
    NameObject,
    StreamObject,
)

# pypdf's warnings about malformed files quote pieces of them; the root logger would keep those.
logging.getLogger("pypdf").setLevel(logging.CRITICAL)

Kind = Literal["jpeg", "png", "webp", "pdf"]

MAX_PIXELS = 50_000_000  # a 48-megapixel phone photo fits; decoding costs ~4 bytes a pixel
MAX_PDF_PAGES = 500
MAX_ANNOTATIONS_PER_PAGE = 1000
JPEG_QUALITY = 90
JPEG_QUALITY_WHEN_LARGE = 75
# Re-encoding can make a file bigger than it came (HEIC to JPEG especially); this caps the growth.
CLEANED_GROWTH_FACTOR = 2

UNSUPPORTED = _("Only photos (JPEG, PNG, WebP or HEIC) and PDF documents can be attached.")
EMPTY = _("This file is empty. Please choose another one.")
IMAGE_UNREADABLE = _(
    "This photo could not be opened. It may be damaged: please save it again or take a new one."
)
PDF_UNREADABLE = _(
    "This PDF could not be opened. It may be damaged: please save it again, "
    "or send photos of the pages instead."
)
PDF_ENCRYPTED = _(
    "This PDF is protected with a password. Please save a copy without the password, "
    "or send photos of the pages instead."
)
CLEANED_TOO_LARGE = _(
    "This file becomes too large when we prepare it for safe storage. "
    "Please send a smaller version of it."
)

_CONTENT_TYPES: dict[str, str] = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "pdf": "application/pdf",
}
_EXTENSIONS: dict[str, str] = {"jpeg": "jpg", "png": "png", "webp": "webp", "pdf": "pdf"}

_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PDF_MAGIC = b"%PDF-"
# ISO base media "ftyp" brands of HEIF stills with HEVC pictures (iPhones write "heic").
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
# Browsers that guess a type from content look at the start of a file; markup there means the
# file was made to be read as a web page too.
_MARKUP_SIGNS = (b"<html", b"<script", b"<svg", b"<!doctype", b"<body", b"<iframe", b"<head")
_SNIFF_BYTES = 1024


class FileRefused(ValidationError):
    """A file that will not be stored; `message` says why in words the sender can act on.

    `code` is a short fixed word (safe for audit data): empty, too_large, unsupported,
    unreadable, too_many_pixels, too_many_pages, encrypted, case_full.
    """

    def __init__(self, message: str, code: str, params: dict | None = None) -> None:
        # Same positional shape as ValidationError, so copies and pickles rebuild it.
        super().__init__(message, code, params)


@dataclass(frozen=True)
class Sanitised:
    """A cleaned file, ready to be sealed. `kind` describes `data`, not what was sent."""

    kind: Kind
    content_type: str
    extension: str
    safe_name: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


def content_type(kind: str) -> str:
    """The content type to serve a stored file of this kind with."""
    return _CONTENT_TYPES[kind]


def neutral_filename(kind: str, number: int | None = None) -> str:
    """A name that says what a file is and nothing about whose it is: photo-3.jpg, document.pdf."""
    stem = "document" if kind == "pdf" else "photo"
    suffix = f"-{number}" if number is not None else ""
    return f"{stem}{suffix}.{_EXTENSIONS[kind]}"


def upload_bytes(upload: IO[bytes]) -> bytes:
    """The bytes of an uploaded file, reading no more than one byte past the limit."""
    limit = settings.FILE_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _too_large(limit)
    upload.seek(0)
    return upload.read(limit + 1)


def sanitise_upload(data: bytes, *, filename: str = "") -> Sanitised:
    """Check and rebuild one uploaded file, or raise FileRefused.

    `filename` is accepted so callers can pass what the browser sent, and deliberately unused:
    the type comes from the content and the stored name is neutral.
    """
    del filename
    limit = settings.FILE_MAX_BYTES
    if not data:
        raise FileRefused(EMPTY, code="empty")
    if len(data) > limit:
        raise _too_large(limit)
    source = _detect(data)
    if source == "pdf":
        kind: Kind = "pdf"
        cleaned = _pdf_rebuilt(data)
    else:
        kind, cleaned = _image_rebuilt(data, source)
    if len(cleaned) > limit * CLEANED_GROWTH_FACTOR:
        raise FileRefused(CLEANED_TOO_LARGE, code="too_large")
    return Sanitised(
        kind=kind,
        content_type=_CONTENT_TYPES[kind],
        extension=_EXTENSIONS[kind],
        safe_name=neutral_filename(kind),
        data=cleaned,
    )


def case_files_room_check(*, stored_bytes: int, new_bytes: int) -> None:
    """Refuse a cleaned file that would take a case past CASE_FILES_MAX_BYTES."""
    limit = settings.CASE_FILES_MAX_BYTES
    if stored_bytes + new_bytes > limit:
        raise FileRefused(
            gettext(
                "This request already holds as many files as it can (%(limit)s MB in all). "
                "Please send only the most important ones."
            )
            % {"limit": _megabytes(limit)},
            code="case_full",
        )


# --- detection -----------------------------------------------------------------------------------


def _detect(data: bytes) -> str:
    """jpeg, png, webp, heic or pdf, from the bytes alone; anything else is refused."""
    if data.startswith(_JPEG_MAGIC):
        source = "jpeg"
    elif data.startswith(_PNG_MAGIC):
        source = "png"
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        source = "webp"
    elif data[4:8] == b"ftyp" and data[8:12] in _HEIC_BRANDS:
        source = "heic"
    elif data.startswith(_PDF_MAGIC):
        source = "pdf"
    else:
        raise FileRefused(UNSUPPORTED, code="unsupported")
    head = data[:_SNIFF_BYTES].lower()
    # An image that a PDF reader would also open (it looks for %PDF- in the first kilobyte), a
    # file that is also a web page, or one with a ZIP archive (a .jar, an .apk) riding on it.
    if (source != "pdf" and _PDF_MAGIC.lower() in head) or any(s in head for s in _MARKUP_SIGNS):
        raise FileRefused(UNSUPPORTED, code="unsupported")
    if zipfile.is_zipfile(io.BytesIO(data)):
        raise FileRefused(UNSUPPORTED, code="unsupported")
    return source


# --- images --------------------------------------------------------------------------------------

_PILLOW_FORMATS = {"jpeg": ["JPEG"], "png": ["PNG"], "webp": ["WEBP"]}
_CLEANED_KIND: dict[str, Kind] = {"jpeg": "jpeg", "heic": "jpeg", "png": "png", "webp": "webp"}


def _image_rebuilt(data: bytes, source: str) -> tuple[Kind, bytes]:
    """Decode one picture and encode its pixels afresh; HEIC comes out as JPEG."""
    try:
        picture = _image_opened(data, source)
        if picture.width * picture.height > MAX_PIXELS:
            raise _too_many_pixels()
        picture.load()
    except FileRefused:
        raise
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except Exception:
        raise FileRefused(IMAGE_UNREADABLE, code="unreadable") from None
    kind = _CLEANED_KIND[source]
    try:
        pixels = _pixels_upright_srgb(picture)
        if kind == "jpeg":
            return kind, _jpeg_encoded(pixels)
        if kind == "png":
            return kind, _encoded(pixels, "PNG", {})
        return kind, _encoded(pixels, "WEBP", {"quality": JPEG_QUALITY, "method": 4})
    except Exception:
        raise FileRefused(IMAGE_UNREADABLE, code="unreadable") from None


def _image_opened(data: bytes, source: str) -> Image.Image:
    if source == "heic":
        heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True)
        width, height = heif.size
        if width * height > MAX_PIXELS:  # checked before anything is decoded
            raise _too_many_pixels()
        return heif.to_pillow()
    # One decoder only: Pillow would otherwise try every format it knows (EPS runs Ghostscript).
    picture = Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS[source])
    if source == "jpeg" and picture.format not in {"JPEG", "MPO"}:
        raise FileRefused(UNSUPPORTED, code="unsupported")
    return picture


def _pixels_upright_srgb(picture: Image.Image) -> Image.Image:
    """The first frame, turned the way the camera meant it, in sRGB, with no metadata attached."""
    icc = picture.info.get("icc_profile")
    upright = ImageOps.exif_transpose(picture)  # a new image; orientation is now in the pixels
    picture.close()
    if upright.mode in {"P", "PA"}:
        has_alpha = upright.mode == "PA" or "transparency" in upright.info
        upright = upright.convert("RGBA" if has_alpha else "RGB")
    if icc and upright.mode in {"RGB", "RGBA", "CMYK"}:
        upright = _to_srgb(upright, icc)
    if upright.mode == "I":  # 16-bit grey as some decoders give it; PNG stores it as I;16
        upright = upright.convert("I;16")
    if upright.mode not in {"1", "L", "LA", "RGB", "RGBA", "I;16"}:
        upright = upright.convert("RGBA" if "A" in upright.getbands() else "RGB")
    # Pasting into a new image leaves behind everything but the pixels: info, EXIF, palette tricks.
    fresh = Image.new(upright.mode, upright.size)
    fresh.paste(upright)
    upright.close()
    return fresh


def _to_srgb(picture: Image.Image, icc: bytes) -> Image.Image:
    """Colours as the profile meant them, so the profile itself need not be kept."""
    try:
        source_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        srgb = ImageCms.createProfile("sRGB")
        if picture.mode == "RGBA":
            alpha = picture.getchannel("A")
            rgb = ImageCms.profileToProfile(
                picture.convert("RGB"), source_profile, srgb, outputMode="RGB"
            )
            rgb.putalpha(alpha)
            return rgb
        return ImageCms.profileToProfile(picture, source_profile, srgb, outputMode="RGB")
    except Exception:
        # A broken or unusual profile: the colours may be a little off, the file is still fine.
        return picture


def _jpeg_encoded(pixels: Image.Image) -> bytes:
    if pixels.mode not in {"L", "RGB"}:
        pixels = pixels.convert("RGB")
    data = _encoded(pixels, "JPEG", {"quality": JPEG_QUALITY})
    if len(data) > settings.FILE_MAX_BYTES:
        data = _encoded(pixels, "JPEG", {"quality": JPEG_QUALITY_WHEN_LARGE})
    return data


def _encoded(pixels: Image.Image, format_name: str, options: dict[str, int]) -> bytes:
    if format_name == "WEBP" and pixels.mode not in {"RGB", "RGBA"}:
        pixels = pixels.convert("RGBA" if "A" in pixels.getbands() else "RGB")
    out = io.BytesIO()
    pixels.save(out, format=format_name, **options)
    return out.getvalue()


# --- PDF -----------------------------------------------------------------------------------------

# Never copied from the original, at any depth: metadata (/Metadata, /PieceInfo, /LastModified),
# annotations (comments carry their authors' names; links and attachments live there), actions,
# thumbnails (they can show a page as it was before an edit), article beads (their threads carry
# titles), associated or referenced files, OPI proxies.
_PDF_DROPPED_KEYS = (
    "/Annots",
    "/AA",
    "/A",
    "/Metadata",
    "/PieceInfo",
    "/LastModified",
    "/Thumb",
    "/B",
    "/AF",
    "/Ref",
    "/OPI",
    "/JS",
    "/JavaScript",
    "/OpenAction",
    "/EmbeddedFiles",
    "/EF",
)
# Annotation kinds whose look is not worth keeping: links, pop-up notes, media and attachments.
_ANNOTATIONS_NOT_DRAWN = {
    "/Link",
    "/Popup",
    "/FileAttachment",
    "/Sound",
    "/Movie",
    "/Screen",
    "/RichMedia",
    "/3D",
}
_ANNOTATION_HIDDEN = 2
_ANNOTATION_NO_VIEW = 32


def _pdf_rebuilt(data: bytes) -> bytes:
    """A new PDF with the original's pages and nothing else."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not _opens_without_password(reader):
            raise FileRefused(PDF_ENCRYPTED, code="encrypted")
        pages = reader.pages
        if len(pages) == 0:
            raise FileRefused(PDF_UNREADABLE, code="unreadable")
        if len(pages) > MAX_PDF_PAGES:
            raise FileRefused(
                gettext(
                    "This PDF has more than %(limit)s pages. "
                    "Please send only the pages that matter."
                )
                % {"limit": MAX_PDF_PAGES},
                code="too_many_pages",
            )
        draft = PdfWriter()
        for number, source_page in enumerate(pages):
            page = draft.add_page(source_page, excluded_keys=_PDF_DROPPED_KEYS)
            _annotations_drawn_into(draft, page, source_page, number)
        # pypdf writes every object it holds; copying the pages once more keeps only what they
        # reach, so nothing left over from the draft (a half-copied annotation) is written.
        clean = PdfWriter()
        for page in draft.pages:
            clean.add_page(page, excluded_keys=_PDF_DROPPED_KEYS)
        clean.metadata = None  # not even "Producer: pypdf"
        _scrubbed(clean)
        clean.generate_file_identifiers()  # fresh, so the copy cannot be matched to the original
        out = io.BytesIO()
        clean.write(out)
        return out.getvalue()
    except FileRefused:
        raise
    except Exception:
        raise FileRefused(PDF_UNREADABLE, code="unreadable") from None


def _opens_without_password(reader: PdfReader) -> bool:
    """Documents 'protected' only against printing or copying open for anyone; those we accept."""
    try:
        return bool(reader.decrypt(""))
    except Exception:
        return False


def _annotations_drawn_into(
    writer: PdfWriter, page: DictionaryObject, source_page: DictionaryObject, number: int
) -> None:
    """Draw visible annotations (filled-in form fields, stamps, ink) into the page itself.

    The annotations are not copied, but their appearance is: without this a filled-in form
    would arrive blank, and a caseworker would think the applicant left it empty.
    """
    annotations = _get(source_page, "/Annots")
    if not isinstance(annotations, ArrayObject):
        return
    drawing: list[str] = []
    for index, reference in enumerate(annotations[:MAX_ANNOTATIONS_PER_PAGE]):
        copied = _annotation_copied(writer, reference)
        if copied is None:
            continue
        appearance, matrix = copied
        name = f"/SafePassageAnnot{number}x{index}"
        _page_xobjects(page)[NameObject(name)] = appearance
        numbers = " ".join(f"{value:.6f}" for value in matrix)
        drawing.append(f"q {numbers} cm {name} Do Q")
    if not drawing:
        return
    content = page.get_contents()
    before = content.get_data() if content is not None else b""
    # The page's own drawing is fenced in q/Q so whatever state it leaves cannot shift ours.
    combined = ContentStream(None, writer)
    combined.set_data(b"q\n" + before + b"\nQ\n" + "\n".join(drawing).encode())
    page.replace_contents(combined.flate_encode())


def _page_xobjects(page: DictionaryObject) -> DictionaryObject:
    if "/Resources" not in page:
        page[NameObject("/Resources")] = DictionaryObject()
    resources = page["/Resources"].get_object()
    if "/XObject" not in resources:
        resources[NameObject("/XObject")] = DictionaryObject()
    return resources["/XObject"].get_object()


def _annotation_copied(
    writer: PdfWriter, reference: object
) -> tuple[IndirectObject, tuple[float, ...]] | None:
    """The annotation's look, copied into `writer`, and the matrix that puts it in its place.

    None for annotations that are hidden, of a kind not drawn, or too malformed to draw.
    """
    try:
        annotation = _resolved(reference)
        found = (
            _annotation_appearance(annotation) if isinstance(annotation, DictionaryObject) else None
        )
        if found is None:
            return None
        appearance, matrix = found
        copied = appearance.clone(writer, False, _PDF_DROPPED_KEYS)
        return copied.indirect_reference, matrix
    except Exception:
        return None


def _annotation_appearance(
    annotation: DictionaryObject,
) -> tuple[StreamObject, tuple[float, ...]] | None:
    if _get(annotation, "/Subtype") in _ANNOTATIONS_NOT_DRAWN:
        return None
    flags = int(_get(annotation, "/F", 0))
    if flags & (_ANNOTATION_HIDDEN | _ANNOTATION_NO_VIEW):
        return None
    appearances = _get(annotation, "/AP")
    if not isinstance(appearances, DictionaryObject):
        return None
    normal = _get(appearances, "/N")
    if isinstance(normal, DictionaryObject) and not isinstance(normal, StreamObject):
        state = _get(annotation, "/AS")  # a check box: one look per state
        normal = _get(normal, state) if state is not None else None
    if not isinstance(normal, StreamObject):
        return None
    # PDF 32000-1, 12.5.5: the form's bounding box, transformed by its matrix, is fitted to /Rect.
    rect = [float(_resolved(value)) for value in _get(annotation, "/Rect")]
    box = [float(_resolved(value)) for value in _get(normal, "/BBox", [0, 0, 0, 0])]
    matrix = _get(normal, "/Matrix", [1, 0, 0, 1, 0, 0])
    a, b, c, d, e, f = (float(_resolved(value)) for value in matrix)
    corners = [(x * a + y * c + e, x * b + y * d + f) for x in box[0::2] for y in box[1::2]]
    left, right = min(x for x, _y in corners), max(x for x, _y in corners)
    bottom, top = min(y for _x, y in corners), max(y for _x, y in corners)
    x0, x1 = sorted(rect[0::2])
    y0, y1 = sorted(rect[1::2])
    if right - left <= 0 or top - bottom <= 0:
        return None
    sx = (x1 - x0) / (right - left)
    sy = (y1 - y0) / (top - bottom)
    return normal, (sx, 0.0, 0.0, sy, x0 - left * sx, y0 - bottom * sy)


def _resolved(value: object) -> object:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _get(dictionary: DictionaryObject, key: object, default: object = None) -> object:
    """A value with any indirect reference followed (pypdf's .get() leaves them as they are)."""
    return _resolved(dictionary.get(key, default))


def _scrubbed(writer: PdfWriter) -> None:
    """Walk everything that will be written: drop what slipped through, clean embedded JPEGs."""
    for obj in _reachable(writer):
        if not isinstance(obj, DictionaryObject):
            continue
        for key in _PDF_DROPPED_KEYS:
            if key in obj:
                del obj[key]
        if isinstance(obj, StreamObject) and _get(obj, "/Subtype") == "/Image":
            _jpeg_image_cleaned(obj)


def _reachable(writer: PdfWriter) -> Iterator[object]:
    seen: set[int] = set()
    stack: list[object] = [writer.root_object]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            obj = obj.get_object()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        yield obj
        if isinstance(obj, DictionaryObject):
            stack.extend(dict.values(obj))
        elif isinstance(obj, ArrayObject):
            stack.extend(list.__iter__(obj))


def _jpeg_image_cleaned(image: StreamObject) -> None:
    """A photo placed in a PDF is often the camera's file, EXIF and GPS included: strip them."""
    filters = _get(image, "/Filter")
    chain = [_resolved(f) for f in filters] if isinstance(filters, ArrayObject) else [filters]
    if not chain or chain[-1] != "/DCTDecode":
        return
    parameters = _get(image, "/DecodeParms")
    jpeg = image.get_data()  # undoes any filters before DCTDecode; DCTDecode itself is kept
    cleaned = _jpeg_without_metadata(jpeg)
    # StreamObject.set_data stores the bytes as they will be written, under the filter we set.
    StreamObject.set_data(image, cleaned)
    if hasattr(image, "decoded_self"):
        image.decoded_self = None
    image[NameObject("/Filter")] = NameObject("/DCTDecode")
    if isinstance(parameters, ArrayObject):
        last = _resolved(parameters[-1]) if parameters else None
        if isinstance(last, DictionaryObject):
            image[NameObject("/DecodeParms")] = last
        else:
            del image["/DecodeParms"]


_JPEG_KEPT_APP_SEGMENTS = {0xEE}  # Adobe: says how to turn the samples into colours


def _jpeg_without_metadata(data: bytes) -> bytes:
    """The same compressed picture without APPn segments (EXIF, XMP, IPTC, thumbnails) or comments.

    Lossless: the compressed image data is copied byte for byte; whatever follows the end-of-image
    marker (a second picture, an appended file) is dropped.
    """
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG stream")
    out = bytearray(b"\xff\xd8")
    i, n = 2, len(data)
    while True:
        if i >= n or data[i] != 0xFF:
            raise ValueError("marker expected")
        while i < n and data[i] == 0xFF:
            i += 1
        if i >= n:
            raise ValueError("truncated")
        marker = data[i]
        i += 1
        if marker == 0xD9:
            out += b"\xff\xd9"
            return bytes(out)
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            out += bytes((0xFF, marker))
            continue
        if i + 2 > n:
            raise ValueError("truncated")
        length = int.from_bytes(data[i : i + 2], "big")
        if length < 2 or i + length > n:
            raise ValueError("bad segment length")
        segment = data[i : i + length]
        i += length
        is_app = 0xE0 <= marker <= 0xEF
        if (is_app and marker not in _JPEG_KEPT_APP_SEGMENTS) or marker == 0xFE:
            continue
        out += bytes((0xFF, marker)) + segment
        if marker == 0xDA:
            end = _entropy_coded_end(data, i)
            out += data[i:end]
            if end >= n:  # no end-of-image marker: decoders accept that, so do we
                out += b"\xff\xd9"
                return bytes(out)
            i = end


def _entropy_coded_end(data: bytes, start: int) -> int:
    """Where the compressed scan after a start-of-scan segment ends (the next real marker)."""
    j, n = start, len(data)
    while True:
        j = data.find(b"\xff", j)
        if j < 0 or j + 1 >= n:
            return n
        following = data[j + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            j += 2
        elif following == 0xFF:
            j += 1
        else:
            return j


# --- messages ------------------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    if value == int(value):
        return formats.number_format(int(value))
    return formats.number_format(round(value, 1), decimal_pos=1)


def too_large() -> FileRefused:
    """The refusal for a file over FILE_MAX_BYTES."""
    return _too_large(settings.FILE_MAX_BYTES)


def _too_large(limit: int) -> FileRefused:
    return FileRefused(
        gettext("This file is larger than %(limit)s MB. Please send a smaller one.")
        % {"limit": _megabytes(limit)},
        code="too_large",
    )


def _too_many_pixels() -> FileRefused:
    return FileRefused(
        gettext(
            "This photo has more than %(limit)s million pixels. "
            "Please send a smaller version of it, or a screenshot."
        )
        % {"limit": MAX_PIXELS // 1_000_000},
        code="too_many_pixels",
    )
