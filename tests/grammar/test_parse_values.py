"""Typed values the parser produces, literal spellings, and delivery-path splitting."""

from __future__ import annotations

import dataclasses

import pytest

from tessera.errors import GrammarError
from tessera.grammar.ast import (
    AngleMode,
    Auto,
    Border,
    Component,
    CropMode,
    DecimalNumber,
    DeliveryType,
    Effect,
    EffectName,
    Expression,
    FetchLayer,
    Flag,
    FlagEntry,
    FontStyle,
    FontWeight,
    Format,
    Gravity,
    GravityMode,
    ImageLayer,
    NamedColor,
    PageRange,
    QualityAuto,
    Radius,
    Ratio,
    RgbColor,
    TextAlign,
    TextDecoration,
    TextLayer,
    TextStyle,
    Transformation,
    Variable,
)
from tessera.grammar.parse import is_component, parse_component, parse_transformation
from tessera.grammar.serialize import serialize, serialize_component
from tessera.grammar.url import build_delivery_url, parse_delivery_path
from tests.grammar.support import SECRET

PARSED = [
    # c_fill with gravity north (case 12)
    ("c_fill,g_north,h_100,w_400",
     Component(crop=CropMode.FILL, gravity=Gravity(GravityMode.NORTH), height=100, width=400)),
    # decimal w/h are relative (cases 3, 20), integers are pixels
    ("c_crop,g_center,h_0.5,w_0.5",
     Component(crop=CropMode.CROP, gravity=Gravity(GravityMode.CENTER),
               height=DecimalNumber("0.5"), width=DecimalNumber("0.5"))),
    ("c_crop,g_south_east,h_100,w_100,x_-10,y_-5",  # case 37
     Component(crop=CropMode.CROP, gravity=Gravity(GravityMode.SOUTH_EAST), height=100,
               width=100, x=-10, y=-5)),
    ("x_0.1,y_0.2", Component(x=DecimalNumber("0.1"), y=DecimalNumber("0.2"))),  # case 21
    ("a_vflip.45", Component(angle=(AngleMode.VFLIP, 45))),  # case 45
    ("a_-20", Component(angle=(-20,))),  # case 39
    ("ar_16:9,c_fill,w_640", Component(aspect_ratio=Ratio(16, 9), crop=CropMode.FILL, width=640)),
    ("ar_1.5", Component(aspect_ratio=DecimalNumber("1.5"))),
    ("b_rgb:ffcc00,c_pad", Component(background=RgbColor("ffcc00"), crop=CropMode.PAD)),
    ("b_blue", Component(background=NamedColor("blue"))),
    ("b_auto:predominant", Component(background=Auto(("predominant",)))),
    ("bo_3px_solid_rgb:00ff00", Component(border=Border(3, RgbColor("00ff00")))),  # case 86
    ("r_10:20:30:40", Component(radius=Radius((10, 20, 30, 40)))),  # case 84
    ("r_max", Component(radius=Radius(is_max=True))),
    ("e_saturation:-50", Component(effect=Effect(EffectName.SATURATION, (-50,)))),  # case 77
    ("e_tint:50:red:rgb", Component(effect=Effect(EffectName.TINT, (50, "red", "rgb")))),
    ("e_grayscale", Component(effect=Effect(EffectName.GRAYSCALE))),
    ("fl_attachment:my_photo",
     Component(flags=(FlagEntry(Flag.ATTACHMENT, "my_photo"),))),  # case 63
    ("fl_progressive.keep_iptc",
     Component(flags=(FlagEntry(Flag.PROGRESSIVE), FlagEntry(Flag.KEEP_IPTC)))),  # case 64
    ("c_scale,dpr_2.0,q_auto:good,w_200",  # case 67
     Component(crop=CropMode.SCALE, dpr=DecimalNumber("2.0"), quality=QualityAuto.GOOD,
               width=200)),
    ("q_80", Component(quality=80)),
    ("dpr_auto", Component(dpr=Auto())),
    ("w_auto:100", Component(width=Auto(("100",)))),
    ("f_webp", Component(fetch_format=Format.WEBP)),
    ("d_avatar.png,dn_300,pg_2", Component(default_image="avatar.png", density=300,
                                           page=(PageRange(2),))),  # case 89
    ("d_docs:avatar.png", Component(default_image="docs/avatar.png")),
    ("pg_2;4-6;8-", Component(page=(PageRange(2), PageRange(4, 6),
                                    PageRange(8, open_end=True)))),
    ("t_named_a.named_b", Component(named=("named_a", "named_b"))),  # case 96
    ("c_thumb,g_faces:center,z_0.75",
     Component(crop=CropMode.THUMB, gravity=Gravity(GravityMode.FACES, ("center",)),
               zoom=DecimalNumber("0.75"))),
    ("l_brand:logos:main", Component(overlay=ImageLayer("brand/logos/main"))),  # case 47
    ("l_private:d47e609177b4",
     Component(overlay=ImageLayer("d47e609177b4", DeliveryType.PRIVATE))),  # case 48
    ("u_authenticated:bg:site.png",
     Component(underlay=ImageLayer("bg/site", DeliveryType.AUTHENTICATED, Format.PNG))),
    ("l_text:Arial_30:a%252Cb%252Fc%20100%25%20d",  # case 56: decoded twice
     Component(overlay=TextLayer("a,b/c 100% d", TextStyle("Arial", 30)))),
    ("l_text:Arial_30:Caf%C3%A9%20%C3%A9t%C3%A9",  # case 57
     Component(overlay=TextLayer("Café été", TextStyle("Arial", 30)))),
    ("l_text:sample_text_style:Stylish%20text",  # case 58: a saved style
     Component(overlay=TextLayer("Stylish text", "sample_text_style"))),
    ("l_text:Roboto_40_bold_italic_underline_center_letter_spacing_4_line_spacing_-10:Styled",
     Component(overlay=TextLayer("Styled", TextStyle(
         "Roboto", 40, FontWeight.BOLD, FontStyle.ITALIC, TextDecoration.UNDERLINE,
         TextAlign.CENTER, letter_spacing=4, line_spacing=-10)))),  # case 55
    ("l_text:Arial_20:Hi%20$(name)", Component(overlay=TextLayer("Hi $(name)",
                                                                 TextStyle("Arial", 20)))),
    ("l_fetch:aHR0cHM6Ly9leGFtcGxlLmNvbS9hLnBuZw==",
     Component(overlay=FetchLayer("https://example.com/a.png"))),
    ("if_w_gt_100,$size_200,c_scale,w_$size",
     Component(condition=Expression("w_gt_100"), variables=(Variable("size", Expression("200")),),
               crop=CropMode.SCALE, width=Expression("$size"))),
    ("w_iw_div_2", Component(width=Expression("iw_div_2"))),
]


@pytest.mark.parametrize(("text", "expected"), PARSED, ids=[t for t, _ in PARSED])
def test_parse_gives_typed_values(text: str, expected: Component) -> None:
    assert parse_component(text) == expected
    assert serialize_component(expected) == text
    assert is_component(text)


def test_fetch_layer_accepts_unpadded_base64() -> None:
    component = parse_component("l_fetch:aHR0cHM6Ly9leGFtcGxlLmNvbS9hLnBuZw")
    assert component.overlay == FetchLayer("https://example.com/a.png",
                                           literal="fetch:aHR0cHM6Ly9leGFtcGxlLmNvbS9hLnBuZw")
    assert serialize_component(component) == "l_fetch:aHR0cHM6Ly9leGFtcGxlLmNvbS9hLnBuZw"


@pytest.mark.parametrize(("text", "layer", "canonical"), [
    # An HTTP client sends the SDK's raw space as %20 (§1.1): same layer, literal kept.
    ("l_my%20folder:logo", ImageLayer("my folder/logo"), "l_my folder:logo"),
    ("l_text:Open%20Sans_20_normal:Hi", TextLayer("Hi", TextStyle("Open Sans", 20)),
     "l_text:Open Sans_20:Hi"),
    ("l_text:Arial_20:a%2Cb", TextLayer("a,b", TextStyle("Arial", 20)), "l_text:Arial_20:a%252Cb"),
    ("l_text:Arial_20:Hello!", TextLayer("Hello!", TextStyle("Arial", 20)),
     "l_text:Arial_20:Hello%21"),
])
def test_non_canonical_layer_spelling_is_kept(text: str, layer: ImageLayer | TextLayer,
                                              canonical: str) -> None:
    component = parse_component(text)
    assert component.overlay is not None
    assert component.overlay.canonical() == layer
    assert component.overlay.literal == text[2:]
    assert serialize_component(component) == text
    assert serialize_component(component, canonical=True) == canonical
    assert parse_component(canonical).overlay == layer


def test_stale_layer_literal_is_ignored() -> None:
    component = parse_component("l_my%20folder:logo")
    assert isinstance(component.overlay, ImageLayer)
    moved = dataclasses.replace(component.overlay, public_id="other")
    assert serialize_component(Component(overlay=moved)) == "l_other"


def test_literal_order_follows_edits() -> None:
    seed = parse_component("dpr_auto,q_auto,f_auto")
    assert serialize_component(dataclasses.replace(seed, width=100)) == \
        "dpr_auto,q_auto,f_auto,w_100"
    # Dropping q leaves dpr,f, the canonical order, which is then forgotten.
    assert dataclasses.replace(seed, quality=None).literal_order == ()
    assert parse_component("dpr_auto,f_auto,q_auto").literal_order == ()
    assert seed != parse_component("dpr_auto,f_auto,q_auto")
    assert seed.canonical() == parse_component("dpr_auto,f_auto,q_auto")


def test_flag_helpers() -> None:
    component = parse_component("fl_attachment:pic.tiled")
    assert component.flag_set == {Flag.ATTACHMENT, Flag.TILED}
    assert component.has_flag(Flag.TILED) and not component.has_flag(Flag.RELATIVE)
    assert component.flag_argument(Flag.ATTACHMENT) == "pic"
    assert component.flag_argument(Flag.TILED) is None


def test_empty_transformation() -> None:
    assert parse_transformation("") == Transformation()
    assert serialize(Transformation()) == ""
    with pytest.raises(ValueError, match="component 1 is empty"):
        Transformation((Component(),))


@pytest.mark.parametrize(("text", "expected"), [
    ("c_fit,w_100", True), ("w_100", True), ("dpr_auto,q_auto,f_auto", True),
    ("sample", False), ("sample.jpg", False), ("v123", False), ("c_fit.jpg", False),
    ("my_photo", False), ("s--PD3K3fq3--", False), ("", False), ("w_100,", False),
    ("l_text:Arial_20:Hello%20World", True),
])
def test_is_component(text: str, expected: bool) -> None:
    assert is_component(text) is expected


def test_path_without_version_consumes_components() -> None:
    path = parse_delivery_path("/demo/image/upload/c_fit,w_300/fl_attachment/sample.jpg?_a=BAX")
    assert path.transformation_text == "c_fit,w_300/fl_attachment"
    assert (path.public_id, path.extension, path.version) == ("sample", "jpg", None)
    assert path.signed_text == "c_fit,w_300/fl_attachment/sample.jpg"


def test_last_segment_is_always_the_public_id() -> None:
    path = parse_delivery_path("demo/image/upload/c_fit/w_100")
    assert (path.transformation_text, path.public_id, path.extension) == ("c_fit", "w_100", None)
    versioned = parse_delivery_path("/demo/image/upload/v2")
    assert (versioned.version, versioned.public_id) == (None, "v2")


def test_folder_ids_and_raw_extension() -> None:
    path = parse_delivery_path("/demo/image/upload/c_fit,w_10/v1/folder/sub/my%20photo.png")
    assert (path.public_id, path.extension, path.version) == ("folder/sub/my photo", "png", 1)
    assert path.signed_text == "c_fit,w_10/folder/sub/my%20photo.png"
    raw = parse_delivery_path("/demo/raw/upload/v1/docs/readme.txt")  # case 113
    assert (raw.public_id, raw.extension) == ("docs/readme.txt", None)


def test_version_marks_components_that_must_parse() -> None:
    with pytest.raises(GrammarError) as caught:
        parse_delivery_path("/demo/image/upload/c_fit/folder/v1/sample.jpg")
    assert caught.value.context["component"] == 2


@pytest.mark.parametrize("path", ["/demo/image/upload", "/demo/image", "//image/upload/x",
                                  "/demo/images/upload/x.jpg", "/demo/image/fetch/x.jpg",
                                  "/demo/image/upload/c_fit/v1/", "/demo/image/upload/%C3.jpg"])
def test_malformed_paths(path: str) -> None:
    with pytest.raises(GrammarError) as caught:
        parse_delivery_path(path)
    assert caught.value.status == 400


def test_build_url_escapes_and_signs() -> None:
    url = build_delivery_url("my photo é", cloud="demo", format="jpg")  # case 109
    assert url == "https://res.cloudinary.com/demo/image/upload/my%20photo%20%C3%A9.jpg"
    with pytest.raises(ValueError, match="api_secret"):
        build_delivery_url("x", cloud="demo", sign_url=True)
    signed = build_delivery_url("a//b", cloud="demo", sign_url=True, api_secret=SECRET)
    path = parse_delivery_path(signed.removeprefix("https://res.cloudinary.com"))
    assert (path.public_id, path.version) == ("a/b", 1)
