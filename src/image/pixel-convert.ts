/**
 * Pillow's pixel conversions, bit for bit, for the two cases where sharp's own would feed a
 * model different pixels than the Python CLIP pipelines do.
 */

/**
 * RGBA over opaque white with Pillow's alpha_composite arithmetic (7-bit fixed point). sharp's
 * flatten differed by up to 3 levels.
 */
export function compositeOverWhite(rgba: Uint8Array, pixels: number): Uint8Array {
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    const a = rgba[i * 4 + 3]!;
    if (a === 0) {
      rgb.fill(255, i * 3, i * 3 + 3);
      continue;
    }
    const outA255 = a * 255 + 255 * (255 - a);
    const coef1 = Math.floor((a * 255 * 255 * 128) / outA255);
    const coef2 = 255 * 128 - coef1;
    for (let c = 0; c < 3; c++) {
      const t = rgba[i * 4 + c]! * coef1 + 255 * coef2 + (0x80 << 7);
      rgb[i * 3 + c] = (((t >> 8) + t) >> 8) >> 7;
    }
  }
  return rgb;
}

/**
 * CMYK → RGB as Pillow's convert('RGB'): R = (255 − C)(255 − K) / 255, ICC profiles ignored.
 * sharp's profile-based conversion gave cos 0.89 against Pillow on our CMYK fixture.
 */
export function cmykToRgb(cmyk: Uint8Array, pixels: number): Uint8Array {
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    const nk = 255 - cmyk[i * 4 + 3]!;
    for (let c = 0; c < 3; c++) {
      // Pillow's MULDIV255(a, b) = (a·b + 128 + ((a·b + 128) >> 8)) >> 8
      const t = cmyk[i * 4 + c]! * nk + 128;
      rgb[i * 3 + c] = nk - ((t + (t >> 8)) >> 8);
    }
  }
  return rgb;
}
