"""Files sent into a case keep their pictures and pages, and lose everything else.

Every input is made here, in code, with a marker planted where a camera or an office program
would leave something about the person (a GPS position, an author's name); the tests then look
for the marker in the raw bytes that would be stored.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib

import pillow_heif
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from evacuation.files.sanitise import (
    FileRefused,
    Sanitised,
    case_files_room_check,
    neutral_filename,
    sanitise_upload,
    upload_bytes,
)

GPS_IFD = 0x8825
EXIF_ORIENTATION = 0x0112
EXIF_MAKE = 0x010F
EXIF_MODEL = 0x0110
GPS_MAP_DATUM = 0x0012
UNSUPPORTED = "Only photos (JPEG, PNG, WebP or HEIC) and PDF documents can be attached."


# --- builders ------------------------------------------------------------------------------------


def _exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[EXIF_MAKE] = "MarkerMake"
    exif[EXIF_MODEL] = "MarkerModel"
    exif[GPS_IFD] = {
        1: "N",
        2: (55.0, 45.0, 21.0),
        3: "E",
        4: (37.0, 37.0, 4.0),
        GPS_MAP_DATUM: "MarkerDatum",
    }
    return exif


def _picture(size: tuple[int, int] = (120, 80), mode: str = "RGB") -> Image.Image:
    """A picture with a red band along its left edge, so turning it can be seen."""
    picture = Image.new(mode, size, "white")
    picture.paste("red", (0, 0, size[0] // 5, size[1]))
    return picture


def _jpeg(picture: Image.Image | None = None, **options) -> bytes:
    out = io.BytesIO()
    (picture or _picture()).save(out, "JPEG", **options)
    return out.getvalue()


def _png(picture: Image.Image | None = None, **options) -> bytes:
    out = io.BytesIO()
    (picture or _picture()).save(out, "PNG", **options)
    return out.getvalue()


def _webp(picture: Image.Image | None = None, **options) -> bytes:
    out = io.BytesIO()
    (picture or _picture()).save(out, "WEBP", **options)
    return out.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG header that promises an enormous picture, with a few bytes of data behind it."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def _written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf_with_text(text: str = "Page text", pages: int = 1) -> PdfWriter:
    writer = PdfWriter()
    for number in range(pages):
        page = writer.add_blank_page(300, 300)
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
        )
        content = DecodedStreamObject()
        content.set_data(f"BT /F1 12 Tf 20 250 Td ({text} {number + 1}) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(content)
    return writer


def _page_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _pdf_with_jpeg(jpeg: bytes, *, flate_too: bool = False) -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(300, 300)
    width, height = Image.open(io.BytesIO(jpeg)).size
    image = DecodedStreamObject()
    image.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(width),
            NameObject("/Height"): NumberObject(height),
            NameObject("/ColorSpace"): NameObject("/DeviceRGB"),
            NameObject("/BitsPerComponent"): NumberObject(8),
        }
    )
    if flate_too:
        image[NameObject("/Filter")] = ArrayObject(
            [NameObject("/FlateDecode"), NameObject("/DCTDecode")]
        )
        image.set_data(zlib.compress(jpeg))
    else:
        image[NameObject("/Filter")] = NameObject("/DCTDecode")
        image.set_data(jpeg)
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): writer._add_object(image)})}
    )
    content = DecodedStreamObject()
    content.set_data(b"q 200 0 0 150 50 50 cm /Im0 Do Q")
    page[NameObject("/Contents")] = writer._add_object(content)
    return _written(writer)


def _refusal(data: bytes, filename: str = "file") -> FileRefused:
    with pytest.raises(FileRefused) as refused:
        sanitise_upload(data, filename=filename)
    return refused.value


# --- photos --------------------------------------------------------------------------------------


def test_a_photo_comes_back_without_its_gps_position_or_camera_details():
    sent = _jpeg(exif=_exif_with_gps(), comment=b"MarkerComment", xmp=b"<x>MarkerXMP</x>")
    assert b"MarkerDatum" in sent and b"MarkerMake" in sent

    cleaned = sanitise_upload(sent, filename="IMG_0042.jpg")

    assert (cleaned.kind, cleaned.content_type, cleaned.extension) == ("jpeg", "image/jpeg", "jpg")
    picture = Image.open(io.BytesIO(cleaned.data))
    assert picture.format == "JPEG"
    assert picture.size == (120, 80)
    assert dict(picture.getexif()) == {}
    assert dict(picture.getexif().get_ifd(GPS_IFD)) == {}
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(picture.info)
    for marker in (b"MarkerDatum", b"MarkerMake", b"MarkerModel", b"MarkerComment", b"MarkerXMP"):
        assert marker not in cleaned.data
    assert b"Exif\x00\x00" not in cleaned.data


def test_a_photo_taken_sideways_is_turned_the_way_the_camera_meant():
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6  # "turn 90 degrees clockwise to view"
    sent = _jpeg(_picture((120, 80)), exif=exif)

    picture = Image.open(io.BytesIO(sanitise_upload(sent, filename="x.jpg").data))

    assert picture.size == (80, 120)
    assert EXIF_ORIENTATION not in picture.getexif()
    red, green, blue = picture.getpixel((40, 5))  # the red left band is now along the top
    assert red > 200 and green < 80 and blue < 80
    assert picture.getpixel((40, 115)) == pytest.approx((255, 255, 255), abs=20)


def test_a_png_loses_its_text_chunks_and_exif():
    from PIL.PngImagePlugin import PngInfo

    text = PngInfo()
    text.add_text("Author", "MarkerAuthor")
    text.add_text("Comment", "MarkerZipped", zip=True)
    text.add_itxt("Description", "MarkerInternational")
    sent = _png(pnginfo=text, exif=_exif_with_gps())
    assert b"MarkerAuthor" in sent

    cleaned = sanitise_upload(sent, filename="scan.png")

    assert cleaned.kind == "png"
    picture = Image.open(io.BytesIO(cleaned.data))
    assert picture.format == "PNG"
    assert picture.text == {}
    assert dict(picture.getexif()) == {}
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"eXIf"):
        assert chunk not in cleaned.data
    assert b"MarkerAuthor" not in cleaned.data
    assert b"MarkerDatum" not in cleaned.data


def test_a_transparent_png_keeps_its_transparency():
    picture = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    picture.paste((0, 0, 255, 255), (0, 0, 10, 20))

    cleaned = Image.open(io.BytesIO(sanitise_upload(_png(picture)).data))

    assert cleaned.mode == "RGBA"
    assert cleaned.getpixel((15, 10))[3] == 0
    assert cleaned.getpixel((5, 10)) == (0, 0, 255, 255)


def test_a_webp_photo_loses_its_exif_and_xmp():
    sent = _webp(exif=_exif_with_gps(), xmp=b"<x>MarkerXMP</x>")

    cleaned = sanitise_upload(sent, filename="photo.webp")

    assert (cleaned.kind, cleaned.content_type) == ("webp", "image/webp")
    picture = Image.open(io.BytesIO(cleaned.data))
    assert picture.format == "WEBP"
    assert dict(picture.getexif()) == {}
    for marker in (b"MarkerDatum", b"MarkerMake", b"MarkerXMP", b"EXIF", b"XMP "):
        assert marker not in cleaned.data


def test_an_iphone_heic_photo_becomes_a_clean_jpeg():
    heif = pillow_heif.from_pillow(_picture((64, 48)))
    out = io.BytesIO()
    heif.save(out, quality=80, exif=_exif_with_gps().tobytes())
    sent = out.getvalue()
    assert b"MarkerDatum" in sent

    cleaned = sanitise_upload(sent, filename="IMG_0001.HEIC")

    assert (cleaned.kind, cleaned.content_type, cleaned.safe_name) == (
        "jpeg",
        "image/jpeg",
        "photo.jpg",
    )
    picture = Image.open(io.BytesIO(cleaned.data))
    assert (picture.format, picture.size) == ("JPEG", (64, 48))
    assert dict(picture.getexif()) == {}
    assert b"MarkerDatum" not in cleaned.data and b"MarkerMake" not in cleaned.data


@pytest.mark.parametrize("save", [_webp, _png], ids=["webp", "apng"])
def test_an_animated_picture_keeps_only_its_first_frame(save):
    frames = [Image.new("RGB", (40, 30), colour) for colour in ("red", "lime", "blue")]
    sent = save(frames[0], save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(io.BytesIO(sent)).n_frames == 3

    picture = Image.open(io.BytesIO(sanitise_upload(sent).data))

    assert getattr(picture, "n_frames", 1) == 1
    red, green, blue = picture.convert("RGB").getpixel((20, 15))
    assert red > 200 and green < 60 and blue < 60


def test_a_photo_with_a_colour_profile_comes_back_in_srgb_without_the_profile():
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    sent = _jpeg(icc_profile=profile)

    picture = Image.open(io.BytesIO(sanitise_upload(sent).data))

    assert "icc_profile" not in picture.info
    assert picture.getpixel((5, 40))[0] > 200


# --- PDF -----------------------------------------------------------------------------------------


def test_a_pdf_loses_its_author_and_xmp_metadata_but_keeps_its_pages():
    writer = _pdf_with_text("Statement", pages=2)
    writer.add_metadata(
        {"/Author": "Marker Author", "/Title": "Marker Title", "/Creator": "Marker Creator"}
    )
    writer.xmp_metadata = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>Marker XMP Person</dc:creator>'
        b"</x:xmpmeta>"
    )
    sent = _written(writer)
    assert b"Marker Author" in sent and b"Marker XMP Person" in sent

    cleaned = sanitise_upload(sent, filename="asylum-claim-ivanova.pdf")

    assert (cleaned.kind, cleaned.content_type, cleaned.safe_name) == (
        "pdf",
        "application/pdf",
        "document.pdf",
    )
    reader = PdfReader(io.BytesIO(cleaned.data))
    assert len(reader.pages) == 2
    assert not reader.metadata
    assert reader.xmp_metadata is None
    assert "Statement 1" in _page_text(cleaned.data) and "Statement 2" in _page_text(cleaned.data)
    for marker in (b"Marker", b"pypdf", b"/Metadata", b"/Producer"):
        assert marker not in cleaned.data


def test_a_pdf_loses_what_was_written_before_its_last_edit():
    first = _written(_pdf_with_text("MarkerOldRevision"))
    edit = PdfWriter(io.BytesIO(first), incremental=True)
    content = DecodedStreamObject()
    content.set_data(b"BT /F1 12 Tf 20 250 Td (Edited text) Tj ET")
    edit.pages[0][NameObject("/Contents")] = edit._add_object(content)
    sent = _written(edit)
    assert b"MarkerOldRevision" in sent

    cleaned = sanitise_upload(sent)

    assert b"MarkerOldRevision" not in cleaned.data
    assert _page_text(cleaned.data) == "Edited text"


def test_a_pdf_loses_scripts_attachments_links_and_actions():
    writer = _pdf_with_text("Letter")
    script = writer._add_object(
        DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('MarkerScript')"),
            }
        )
    )
    writer.root_object[NameObject("/OpenAction")] = script
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): script})
    writer.add_attachment("MarkerAttachment.txt", b"MarkerAttachmentContent")
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(v) for v in (10, 10, 100, 30)]),
            NameObject("/A"): DictionaryObject(
                {
                    NameObject("/S"): NameObject("/URI"),
                    NameObject("/URI"): TextStringObject("https://tracker.example/MarkerLink"),
                }
            ),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    sent = _written(writer)
    assert b"MarkerScript" in sent and b"MarkerAttachmentContent" in sent

    cleaned = sanitise_upload(sent)

    for marker in (
        b"Marker",
        b"/JavaScript",
        b"/JS",
        b"/OpenAction",
        b"/AA",
        b"/EmbeddedFile",
        b"/Annots",
        b"/URI",
    ):
        assert marker not in cleaned.data
    assert "Letter 1" in _page_text(cleaned.data)


def test_a_filled_in_pdf_form_still_shows_what_was_filled_in():
    writer = _pdf_with_text("Form")
    font = writer.pages[0]["/Resources"]["/Font"].raw_get("/F1")
    appearance = DecodedStreamObject()
    appearance.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject([FloatObject(v) for v in (0, 0, 200, 30)]),
            NameObject("/Resources"): DictionaryObject(
                {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
            ),
        }
    )
    appearance.set_data(b"BT /F1 12 Tf 2 10 Td (Filled in value) Tj ET")
    widget = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/FT"): NameObject("/Tx"),
            NameObject("/T"): TextStringObject("MarkerFieldName"),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (50, 100, 250, 130)]),
            NameObject("/AP"): DictionaryObject({NameObject("/N"): writer._add_object(appearance)}),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(widget)])

    cleaned = sanitise_upload(_written(writer))

    page = PdfReader(io.BytesIO(cleaned.data)).pages[0]
    assert "/Annots" not in page
    assert b"MarkerFieldName" not in cleaned.data
    assert "Filled in value" in page.extract_text()
    assert "Form 1" in page.extract_text()


@pytest.mark.parametrize("flate_too", [False, True], ids=["dct", "flate-then-dct"])
def test_a_photo_placed_in_a_pdf_loses_its_gps_position(flate_too):
    jpeg = _jpeg(_picture((90, 60)), exif=_exif_with_gps(), comment=b"MarkerComment")
    sent = _pdf_with_jpeg(jpeg, flate_too=flate_too)

    cleaned = sanitise_upload(sent)

    for marker in (b"MarkerDatum", b"MarkerMake", b"MarkerComment", b"Exif\x00\x00"):
        assert marker not in cleaned.data
    images = PdfReader(io.BytesIO(cleaned.data)).pages[0].images
    assert len(images) == 1
    placed = images[0].image
    assert placed.size == (90, 60)
    assert dict(placed.getexif()) == {}
    assert placed.convert("RGB").getpixel((5, 30))[0] > 200


def test_a_pdf_locked_with_a_password_is_refused():
    writer = _pdf_with_text("Secret")
    writer.encrypt(user_password="open sesame", owner_password="owner", algorithm="AES-256")

    refused = _refusal(_written(writer))

    assert refused.code == "encrypted"
    assert "protected with a password" in refused.message


def test_a_pdf_that_opens_without_a_password_is_accepted_and_comes_back_unlocked():
    writer = _pdf_with_text("Bank statement")
    writer.encrypt(user_password="", owner_password="no printing", algorithm="AES-128")

    cleaned = sanitise_upload(_written(writer))

    assert not PdfReader(io.BytesIO(cleaned.data)).is_encrypted
    assert "Bank statement 1" in _page_text(cleaned.data)


def test_a_pdf_with_too_many_pages_is_refused(monkeypatch):
    monkeypatch.setattr("evacuation.files.sanitise.MAX_PDF_PAGES", 3)

    refused = _refusal(_written(_pdf_with_text(pages=4)))

    assert refused.code == "too_many_pages"
    assert "more than 3 pages" in refused.message


def test_a_damaged_pdf_is_refused():
    sent = _written(_pdf_with_text())

    refused = _refusal(sent[: len(sent) // 3])

    assert refused.code == "unreadable"
    assert "could not be opened" in refused.message


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "photo.jpg"),
        (b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>", "photo.jpg"),
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
            b"<script>alert(1)</script></svg>",
            "drawing.svg",
        ),
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "photo.png"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64, "photo.jpg"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "document.pdf"),
        (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00;", "photo.gif"),
        (b"plain words, not a picture", "photo.jpg"),
    ],
    ids=["html-as-jpg", "html-behind-jpeg-magic", "svg", "svg-as-png", "exe", "elf", "gif", "text"],
)
def test_files_that_are_not_photos_or_pdfs_are_refused_whatever_they_are_called(data, filename):
    refused = _refusal(data, filename)

    assert refused.code == "unsupported"
    assert refused.message == UNSUPPORTED


def test_a_zip_archive_is_refused():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("evil.html", "<script>alert(1)</script>")

    assert _refusal(archive.getvalue(), "photo.jpg").code == "unsupported"


def test_a_photo_with_a_zip_archive_riding_on_it_is_refused():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("META-INF/MANIFEST.MF", "Main-Class: Evil\n")

    assert _refusal(_jpeg() + archive.getvalue(), "photo.jpg").code == "unsupported"


def test_a_photo_that_a_pdf_reader_would_also_open_is_refused():
    sent = _jpeg(comment=b"%PDF-1.4 1 0 obj << >> endobj")

    assert _refusal(sent).code == "unsupported"


def test_a_photo_that_a_browser_would_read_as_a_web_page_is_refused():
    sent = _jpeg(comment=b"<html><body><script>alert(document.cookie)</script></body></html>")

    assert _refusal(sent).code == "unsupported"


def test_an_empty_file_is_refused():
    refused = _refusal(b"", "photo.jpg")

    assert refused.code == "empty"
    assert refused.message == "This file is empty. Please choose another one."


def test_a_file_over_the_size_limit_is_refused_with_the_limit_in_megabytes(settings):
    settings.FILE_MAX_BYTES = 1024 * 1024
    sent = _jpeg() + b"\x00" * (1024 * 1024)

    refused = _refusal(sent)

    assert refused.code == "too_large"
    assert refused.message == "This file is larger than 1 MB. Please send a smaller one."


def test_an_upload_over_the_limit_is_refused_before_it_is_read(settings):
    settings.FILE_MAX_BYTES = 1024 * 1024

    class HugeUpload(io.BytesIO):
        size = 2 * 1024 * 1024

        def read(self, *args):
            raise AssertionError("an oversized upload was read")

    with pytest.raises(FileRefused) as refused:
        upload_bytes(HugeUpload())

    assert refused.value.code == "too_large"


def test_an_upload_within_the_limit_is_read_whole():
    sent = _jpeg()

    assert upload_bytes(SimpleUploadedFile("x.jpg", sent, content_type="text/html")) == sent


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.95])
def test_a_truncated_photo_is_refused(cut):
    sent = _jpeg(_picture((400, 300)), quality=95)

    refused = _refusal(sent[: int(len(sent) * cut)])

    assert refused.code == "unreadable"
    assert "could not be opened" in refused.message


def test_a_photo_with_garbage_for_pixels_is_refused():
    sent = _png()
    broken = sent[:40] + bytes(255 - byte for byte in sent[40:-12]) + sent[-12:]

    assert _refusal(broken).code == "unreadable"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("size", [(10_000, 10_000), (8_000, 7_000), (100_000, 100_000)])
def test_a_decompression_bomb_is_refused_before_it_is_decoded(size):
    refused = _refusal(_png_claiming(*size))

    assert refused.code == "too_many_pixels"
    assert "more than 50 million pixels" in refused.message


def _noise(size: tuple[int, int]) -> Image.Image:
    return Image.frombytes("RGB", size, random.Random(6).randbytes(size[0] * size[1] * 3))


def test_a_photo_that_grows_past_the_limit_when_cleaned_is_saved_at_a_lower_quality(settings):
    sent = _jpeg(_noise((300, 300)), quality=40)
    settings.FILE_MAX_BYTES = len(sent)
    at_full_quality = _jpeg(Image.open(io.BytesIO(sent)), quality=90)
    assert len(at_full_quality) > len(sent)

    cleaned = sanitise_upload(sent)

    assert len(cleaned.data) < len(at_full_quality)
    assert Image.open(io.BytesIO(cleaned.data)).size == (300, 300)


def test_a_file_that_grows_far_past_the_limit_when_cleaned_is_refused(settings, monkeypatch):
    sent = _written(_pdf_with_text())
    settings.FILE_MAX_BYTES = len(sent)
    monkeypatch.setattr("evacuation.files.sanitise.CLEANED_GROWTH_FACTOR", 0.5)

    refused = _refusal(sent)

    assert refused.code == "too_large"
    assert "too large when we prepare it" in refused.message


# --- names, sizes, shape -------------------------------------------------------------------------


def test_names_are_neutral_and_never_the_senders():
    cleaned = sanitise_upload(_jpeg(), filename="Ivanova passport, Tbilisi.jpg")

    assert cleaned.safe_name == "photo.jpg"
    assert neutral_filename("jpeg", 3) == "photo-3.jpg"
    assert neutral_filename("pdf", 1) == "document-1.pdf"
    assert neutral_filename("webp") == "photo.webp"


def test_the_cleaned_bytes_never_show_up_in_a_repr():
    cleaned = sanitise_upload(_jpeg())

    assert isinstance(cleaned, Sanitised)
    assert "data" not in repr(cleaned)
    assert cleaned.size == len(cleaned.data)


def test_a_case_cannot_hold_more_files_than_its_allowance(settings):
    settings.CASE_FILES_MAX_BYTES = 50 * 1024 * 1024

    case_files_room_check(stored_bytes=40 * 1024 * 1024, new_bytes=10 * 1024 * 1024)
    with pytest.raises(FileRefused) as refused:
        case_files_room_check(stored_bytes=40 * 1024 * 1024, new_bytes=10 * 1024 * 1024 + 1)

    assert refused.value.code == "case_full"
    assert "50 MB" in refused.value.message


def test_a_refusal_is_a_form_validation_error():
    from django import forms

    class AttachForm(forms.Form):
        file = forms.FileField()

        def clean_file(self):
            return sanitise_upload(self.cleaned_data["file"].read())

    form = AttachForm(files={"file": SimpleUploadedFile("x.jpg", b"<html>hi</html>")})

    assert not form.is_valid()
    assert form.errors["file"] == [UNSUPPORTED]


# --- fuzzing -------------------------------------------------------------------------------------

MAGIC_PREFIXES = [
    b"\xff\xd8\xff",
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    b"\x89PNG\r\n\x1a\n",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    b"\x00\x00\x00\x18ftypheic",
    b"%PDF-1.7\n",
    b"%PDF-1.4\n1 0 obj\n<<",
]
FUZZ = hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _only_cleaned_or_refused(data: bytes) -> None:
    try:
        cleaned = sanitise_upload(data)
    except FileRefused as refused:
        assert str(refused.message)
        return
    assert cleaned.kind in {"jpeg", "png", "webp", "pdf"}
    assert cleaned.data


@FUZZ
@given(prefix=st.sampled_from(MAGIC_PREFIXES), rest=st.binary(max_size=4096))
def test_random_bytes_behind_a_magic_prefix_are_only_ever_refused_or_cleaned(prefix, rest):
    _only_cleaned_or_refused(prefix + rest)


SAMPLES = {
    "jpeg": _jpeg(_picture((40, 30)), exif=_exif_with_gps()),
    "png": _png(_picture((40, 30))),
    "webp": _webp(_picture((40, 30))),
    "pdf": _written(_pdf_with_text()),
    "pdf-with-photo": _pdf_with_jpeg(_jpeg(_picture((20, 20)), exif=_exif_with_gps())),
}


@FUZZ
@given(
    sample=st.sampled_from(sorted(SAMPLES)),
    changes=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=12),
    keep=st.floats(0.05, 1),
)
def test_damaged_photos_and_pdfs_are_only_ever_refused_or_cleaned(sample, changes, keep):
    data = bytearray(SAMPLES[sample])
    for where, value in changes:
        data[min(int(where * len(data)), len(data) - 1)] = value
    _only_cleaned_or_refused(bytes(data[: max(1, int(len(data) * keep))]))
