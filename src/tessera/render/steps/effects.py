"""Effect step: `e_<name>[:<level>]` (§7), one function per effect, chosen by the typed name.

Owns the pixel maths of each effect; levels arrive resolved and range-checked by the planner.
Effects act on the colour bands and leave alpha alone (blur works premultiplied). Cloudinary
does not document its formulas, so these are libvips approximations of the named looks:
brightness and contrast are linear in sRGB, saturation and hue work in LCh, blur maps
strength 100 to sigma 5 (strength / 20), pixelate averages square blocks of `level` pixels,
the auto_* and improve effects stretch the 1st-99th percentiles. Goldens pin each one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

import pyvips

from tessera.grammar.ast import EffectName
from tessera.render.geometry import Box, Size
from tessera.render.plan import ComponentPlan, EffectPlan
from tessera.render.steps.alpha import join_alpha, split_alpha
from tessera.render.steps.resize import scale

Effect = Callable[[pyvips.Image, EffectPlan], pyvips.Image]
_SEPIA: Final = [[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]]


def apply_effect(img: pyvips.Image, plan: ComponentPlan) -> pyvips.Image:
    effect = plan.effect
    if effect is None:
        return img
    if effect.name in _WHOLE:  # these need every band, alpha included
        return _WHOLE[effect.name](img, effect)
    rgb, alpha = split_alpha(img)
    return join_alpha(_COLOUR[effect.name](rgb, effect), alpha)


def _blend(original: pyvips.Image, changed: pyvips.Image, amount: float) -> pyvips.Image:
    return changed if amount >= 1 else original * (1 - amount) + changed * amount


def _grayscale(rgb: pyvips.Image, _e: EffectPlan) -> pyvips.Image:
    return rgb.colourspace("b-w").colourspace("srgb")


def _blackwhite(rgb: pyvips.Image, e: EffectPlan) -> pyvips.Image:
    grey = rgb.colourspace("b-w")
    return (grey > e.level * 255 / 100).ifthenelse(255, 0).cast("uchar").colourspace("srgb")


def _sepia(rgb: pyvips.Image, e: EffectPlan) -> pyvips.Image:
    return _blend(rgb, rgb.recomb(_SEPIA), e.level / 100)


def _negate(rgb: pyvips.Image, _e: EffectPlan) -> pyvips.Image:
    return rgb.invert()


def _brightness(rgb: pyvips.Image, e: EffectPlan) -> pyvips.Image:
    return rgb * (1 + e.level / 100)


def _contrast(rgb: pyvips.Image, e: EffectPlan) -> pyvips.Image:
    factor = 1 + e.level / 100
    return rgb.linear(factor, 128 * (1 - factor))


def _lch(rgb: pyvips.Image, scale_c: float, turn_h: float) -> pyvips.Image:
    lch = rgb.colourspace("lch")
    return lch.linear([1, scale_c, 1], [0, 0, turn_h]).colourspace("srgb")


def _saturation(rgb: pyvips.Image, e: EffectPlan) -> pyvips.Image:
    return _lch(rgb, max(0.0, 1 + e.level / 100), 0)


def _hue(rgb: pyvips.Image, e: EffectPlan) -> pyvips.Image:
    return _lch(rgb, 1, e.level * 1.8)  # ±100 → ±180 degrees


def _gamma(rgb: pyvips.Image, e: EffectPlan) -> pyvips.Image:
    exponent = 1 / (1 + e.level / 100)
    return ((rgb / 255) ** exponent) * 255


def _channel(band: int) -> Effect:
    def adjust(rgb: pyvips.Image, e: EffectPlan) -> pyvips.Image:
        factors = [1.0, 1.0, 1.0]
        factors[band] = 1 + e.level / 100
        return rgb * factors
    return adjust


def _colorize(rgb: pyvips.Image, e: EffectPlan) -> pyvips.Image:
    tint = (rgb * 0 + list(e.color[:3])).cast("uchar")
    return _blend(rgb, tint, e.level / 100)


def _vignette(rgb: pyvips.Image, e: EffectPlan) -> pyvips.Image:
    w, h = rgb.width, rgb.height
    xy = pyvips.Image.xyz(w, h)
    x = (xy.extract_band(0) - w / 2) / (w / 2)
    y = (xy.extract_band(1) - h / 2) / (h / 2)
    falloff = 1 - (x * x + y * y) / 2 * (e.level / 100) * 1.5
    return rgb * (falloff > 0).ifthenelse(falloff, 0)


def _stretch(band: pyvips.Image) -> pyvips.Image:
    low, high = band.percent(1), band.percent(99)
    if high <= low:
        return band
    return band.linear(255 / (high - low), -low * 255 / (high - low))


def _auto_contrast(rgb: pyvips.Image, e: EffectPlan) -> pyvips.Image:
    grey = rgb.colourspace("b-w")
    low, high = grey.percent(1), grey.percent(99)
    if high <= low:
        return rgb
    return _blend(rgb, rgb.linear(255 / (high - low), -low * 255 / (high - low)), e.level / 100)


def _auto_color(rgb: pyvips.Image, e: EffectPlan) -> pyvips.Image:
    bands = [_stretch(rgb.extract_band(b)) for b in range(rgb.bands)]
    return _blend(rgb, bands[0].bandjoin(bands[1:]), e.level / 100)


def _auto_brightness(rgb: pyvips.Image, e: EffectPlan) -> pyvips.Image:
    mean = rgb.colourspace("b-w").avg()
    factor = 128 / mean if mean > 0 else 1.0
    return _blend(rgb, rgb * min(factor, 4.0), e.level / 100)


def _improve(rgb: pyvips.Image, e: EffectPlan) -> pyvips.Image:
    return _auto_contrast(_auto_color(rgb, EffectPlan(e.name, 60)).cast("uchar"), e)


def _sharpen(rgb: pyvips.Image, e: EffectPlan) -> pyvips.Image:
    # strength 100 → libvips' default slope for edges (m2 = 3); flat areas stay untouched.
    out = rgb.sharpen(sigma=1.0, m1=0.0, m2=e.level * 3 / 100)
    return out.colourspace("srgb")


def _unsharp_mask(rgb: pyvips.Image, e: EffectPlan) -> pyvips.Image:
    out = rgb.sharpen(sigma=1.5, m1=e.level / 200, m2=e.level * 3 / 100)
    return out.colourspace("srgb")


def gaussian(img: pyvips.Image, sigma: float) -> pyvips.Image:
    """A Gaussian blur whose cost does not grow with sigma: large sigmas blur a reduced copy
    and scale it back (sigma 100 as a full mask would be ~600 taps per pixel)."""
    if sigma <= 8:
        return img.gaussblur(sigma)
    factor = sigma / 4
    small = scale(img, Size(max(1, round(img.width / factor)), max(1, round(img.height / factor))))
    return scale(small.gaussblur(4), Size(img.width, img.height))


def _blurred(img: pyvips.Image, e: EffectPlan) -> pyvips.Image:
    premultiplied = img.hasalpha()
    work = img.premultiply() if premultiplied else img
    out = gaussian(work, max(0.3, e.level / 20))
    out = out.unpremultiply() if premultiplied else out
    return out.cast("uchar").copy(interpretation="srgb")


def _pixelated(img: pyvips.Image, e: EffectPlan) -> pyvips.Image:
    block = max(1, round(e.level))
    if block == 1:
        return img
    w, h = img.width, img.height
    cols, rows = math.ceil(w / block), math.ceil(h / block)
    padded = img.embed(0, 0, cols * block, rows * block, extend="copy")
    blocks = padded.shrink(block, block).cast("uchar")
    return blocks.zoom(block, block).crop(0, 0, w, h).copy(interpretation="srgb")


def _in_regions(effect: Effect) -> Effect:
    """The effect applied to each planned region only (e_blur_region, e_pixelate_faces)."""
    def apply(img: pyvips.Image, e: EffectPlan) -> pyvips.Image:
        for region in e.regions:
            box = _inside(region, img)
            if box is not None:
                piece = effect(img.crop(box.left, box.top, box.width, box.height), e)
                img = img.insert(piece, box.left, box.top)
        return img
    return apply


def _inside(box: Box, img: pyvips.Image) -> Box | None:
    x0, y0 = max(0, box.left), max(0, box.top)
    x1, y1 = min(img.width, box.left + box.width), min(img.height, box.top + box.height)
    return Box(x0, y0, x1 - x0, y1 - y0) if x1 > x0 and y1 > y0 else None


_COLOUR: Final[dict[EffectName, Effect]] = {
    EffectName.GRAYSCALE: _grayscale, EffectName.BLACKWHITE: _blackwhite,
    EffectName.SEPIA: _sepia, EffectName.NEGATE: _negate,
    EffectName.BRIGHTNESS: _brightness, EffectName.CONTRAST: _contrast,
    EffectName.SATURATION: _saturation, EffectName.HUE: _hue, EffectName.GAMMA: _gamma,
    EffectName.RED: _channel(0), EffectName.GREEN: _channel(1), EffectName.BLUE: _channel(2),
    EffectName.COLORIZE: _colorize, EffectName.VIGNETTE: _vignette,
    EffectName.AUTO_CONTRAST: _auto_contrast, EffectName.AUTO_COLOR: _auto_color,
    EffectName.AUTO_BRIGHTNESS: _auto_brightness, EffectName.IMPROVE: _improve,
    EffectName.SHARPEN: _sharpen, EffectName.UNSHARP_MASK: _unsharp_mask,
}
_WHOLE: Final[dict[EffectName, Effect]] = {
    EffectName.BLUR: _blurred, EffectName.PIXELATE: _pixelated,
    EffectName.BLUR_REGION: _in_regions(_blurred), EffectName.BLUR_FACES: _in_regions(_blurred),
    EffectName.PIXELATE_REGION: _in_regions(_pixelated),
    EffectName.PIXELATE_FACES: _in_regions(_pixelated),
}
