"""The closed vocabularies of the transformation grammar: one `StrEnum` per set of names.

Each enum's values are exactly the URL spellings (grammar §3-§7); a name outside them is a
GrammarError. Re-exported by `tessera.grammar.ast`; imports nothing from Tessera.
"""

from __future__ import annotations

import enum


class CropMode(enum.StrEnum):
    """`c_` values in scope (grammar §3)."""

    SCALE = "scale"
    FIT = "fit"
    LIMIT = "limit"
    MFIT = "mfit"
    FILL = "fill"
    LFILL = "lfill"
    PAD = "pad"
    LPAD = "lpad"
    MPAD = "mpad"
    FILL_PAD = "fill_pad"
    CROP = "crop"
    THUMB = "thumb"


class GravityMode(enum.StrEnum):
    """`g_` values (grammar §3.2)."""

    NORTH_WEST = "north_west"
    NORTH = "north"
    NORTH_EAST = "north_east"
    WEST = "west"
    CENTER = "center"
    EAST = "east"
    SOUTH_WEST = "south_west"
    SOUTH = "south"
    SOUTH_EAST = "south_east"
    XY_CENTER = "xy_center"
    FACE = "face"
    FACES = "faces"
    AUTO = "auto"
    CUSTOM = "custom"
    ADV_FACE = "adv_face"
    ADV_FACES = "adv_faces"
    ADV_EYES = "adv_eyes"
    OCR_TEXT = "ocr_text"


class AngleMode(enum.StrEnum):
    """Named `a_` values (grammar §3.1)."""

    AUTO_RIGHT = "auto_right"
    AUTO_LEFT = "auto_left"
    IGNORE = "ignore"
    VFLIP = "vflip"
    HFLIP = "hflip"
    EXIF = "exif"


class Flag(enum.StrEnum):
    """`fl_` names (grammar §5); anything else is a GrammarError."""

    ATTACHMENT = "attachment"
    TILED = "tiled"
    RELATIVE = "relative"
    LAYER_APPLY = "layer_apply"
    NO_OVERFLOW = "no_overflow"
    PROGRESSIVE = "progressive"
    KEEP_IPTC = "keep_iptc"
    KEEP_ATTRIBUTION = "keep_attribution"
    STRIP_PROFILE = "strip_profile"
    FORCE_STRIP = "force_strip"
    FORCE_ICC = "force_icc"
    LOSSY = "lossy"
    PNG8 = "png8"
    PNG24 = "png24"
    PNG32 = "png32"
    PRESERVE_TRANSPARENCY = "preserve_transparency"
    ANY_FORMAT = "any_format"
    ANIMATED = "animated"
    AWEBP = "awebp"
    APNG = "apng"
    GETINFO = "getinfo"
    IMMUTABLE_CACHE = "immutable_cache"
    IGNORE_ASPECT_RATIO = "ignore_aspect_ratio"
    REGION_RELATIVE = "region_relative"
    TEXT_NO_TRIM = "text_no_trim"
    CLIP = "clip"
    CUTTER = "cutter"
    SANITIZE = "sanitize"
    RASTERIZE = "rasterize"
    SPLICE = "splice"
    IGNORE_MASK_CHANNELS = "ignore_mask_channels"


class EffectName(enum.StrEnum):
    """`e_` names (grammar §7)."""

    GRAYSCALE = "grayscale"
    BLACKWHITE = "blackwhite"
    SEPIA = "sepia"
    BLUR = "blur"
    BLUR_FACES = "blur_faces"
    BLUR_REGION = "blur_region"
    PIXELATE = "pixelate"
    PIXELATE_FACES = "pixelate_faces"
    PIXELATE_REGION = "pixelate_region"
    SHARPEN = "sharpen"
    UNSHARP_MASK = "unsharp_mask"
    BRIGHTNESS = "brightness"
    CONTRAST = "contrast"
    SATURATION = "saturation"
    GAMMA = "gamma"
    HUE = "hue"
    VIBRANCE = "vibrance"
    RED = "red"
    GREEN = "green"
    BLUE = "blue"
    IMPROVE = "improve"
    AUTO_BRIGHTNESS = "auto_brightness"
    AUTO_CONTRAST = "auto_contrast"
    AUTO_COLOR = "auto_color"
    FILL_LIGHT = "fill_light"
    VIESUS_CORRECT = "viesus_correct"
    NEGATE = "negate"
    COLORIZE = "colorize"
    TINT = "tint"
    VIGNETTE = "vignette"
    OIL_PAINT = "oil_paint"
    CARTOONIFY = "cartoonify"
    ART = "art"
    TRIM = "trim"
    MAKE_TRANSPARENT = "make_transparent"
    SHADOW = "shadow"
    OUTLINE = "outline"
    GRADIENT_FADE = "gradient_fade"
    REPLACE_COLOR = "replace_color"
    MULTIPLY = "multiply"
    SCREEN = "screen"
    OVERLAY = "overlay"
    MASK = "mask"
    ANTI_REMOVAL = "anti_removal"


class QualityAuto(enum.StrEnum):
    """`q_auto[:level]`; plain `auto` means `good` (grammar §6)."""

    AUTO = "auto"
    BEST = "auto:best"
    GOOD = "auto:good"
    ECO = "auto:eco"
    LOW = "auto:low"


class Format(enum.StrEnum):
    """`f_` values and layer/default-image extensions."""

    AUTO = "auto"
    JPG = "jpg"
    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"
    GIF = "gif"
    AVIF = "avif"
    BMP = "bmp"
    TIFF = "tiff"
    TIF = "tif"
    ICO = "ico"
    HEIC = "heic"
    HEIF = "heif"
    JXL = "jxl"
    JP2 = "jp2"
    PDF = "pdf"
    SVG = "svg"


class ColorSpace(enum.StrEnum):
    """`cs_` values."""

    SRGB = "srgb"
    TINYSRGB = "tinysrgb"
    CMYK = "cmyk"
    NO_CMYK = "no_cmyk"
    KEEP_CMYK = "keep_cmyk"
    COPY = "copy"


class DeliveryType(enum.StrEnum):
    """Delivery type of an asset or an image layer (grammar §1.3)."""

    UPLOAD = "upload"
    PRIVATE = "private"
    AUTHENTICATED = "authenticated"


class FontWeight(enum.StrEnum):
    """Text-layer weight; the default `normal` is never written (SDK omits it)."""

    THIN = "thin"
    LIGHT = "light"
    BOLD = "bold"


class FontStyle(enum.StrEnum):
    ITALIC = "italic"


class TextDecoration(enum.StrEnum):
    UNDERLINE = "underline"
    STRIKETHROUGH = "strikethrough"


class TextAlign(enum.StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"
    START = "start"
    END = "end"
    JUSTIFY = "justify"


class FontAntialias(enum.StrEnum):
    NONE = "none"
    GRAY = "gray"
    SUBPIXEL = "subpixel"
    FAST = "fast"
    GOOD = "good"
    BEST = "best"


class FontHinting(enum.StrEnum):
    NONE = "none"
    SLIGHT = "slight"
    MEDIUM = "medium"
    FULL = "full"
