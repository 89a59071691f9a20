// A 5×7 bitmap font for plot labels: digits, capitals (lower case is drawn as capitals) and the
// punctuation numbers and units need. Each glyph is seven rows; bit 4 of a row is its left column.
const GLYPHS = {
  0: [14, 17, 19, 21, 25, 17, 14],
  1: [4, 12, 4, 4, 4, 4, 14],
  2: [14, 17, 1, 2, 4, 8, 31],
  3: [31, 2, 4, 2, 1, 17, 14],
  4: [2, 6, 10, 18, 31, 2, 2],
  5: [31, 16, 30, 1, 1, 17, 14],
  6: [6, 8, 16, 30, 17, 17, 14],
  7: [31, 1, 2, 4, 8, 8, 8],
  8: [14, 17, 17, 14, 17, 17, 14],
  9: [14, 17, 17, 15, 1, 2, 12],
  A: [14, 17, 17, 31, 17, 17, 17],
  B: [30, 17, 17, 30, 17, 17, 30],
  C: [14, 17, 16, 16, 16, 17, 14],
  D: [28, 18, 17, 17, 17, 18, 28],
  E: [31, 16, 16, 30, 16, 16, 31],
  F: [31, 16, 16, 30, 16, 16, 16],
  G: [14, 17, 16, 23, 17, 17, 15],
  H: [17, 17, 17, 31, 17, 17, 17],
  I: [14, 4, 4, 4, 4, 4, 14],
  J: [7, 2, 2, 2, 2, 18, 12],
  K: [17, 18, 20, 24, 20, 18, 17],
  L: [16, 16, 16, 16, 16, 16, 31],
  M: [17, 27, 21, 21, 17, 17, 17],
  N: [17, 17, 25, 21, 19, 17, 17],
  O: [14, 17, 17, 17, 17, 17, 14],
  P: [30, 17, 17, 30, 16, 16, 16],
  Q: [14, 17, 17, 17, 21, 18, 13],
  R: [30, 17, 17, 30, 20, 18, 17],
  S: [15, 16, 16, 14, 1, 1, 30],
  T: [31, 4, 4, 4, 4, 4, 4],
  U: [17, 17, 17, 17, 17, 17, 14],
  V: [17, 17, 17, 17, 17, 10, 4],
  W: [17, 17, 17, 21, 21, 21, 10],
  X: [17, 17, 10, 4, 10, 17, 17],
  Y: [17, 17, 10, 4, 4, 4, 4],
  Z: [31, 1, 2, 4, 8, 16, 31],
  ' ': [0, 0, 0, 0, 0, 0, 0],
  '.': [0, 0, 0, 0, 0, 12, 12],
  ',': [0, 0, 0, 0, 12, 4, 8],
  '-': [0, 0, 0, 31, 0, 0, 0],
  '+': [0, 4, 4, 31, 4, 4, 0],
  '=': [0, 0, 31, 0, 31, 0, 0],
  ':': [0, 12, 12, 0, 12, 12, 0],
  '(': [2, 4, 8, 8, 8, 4, 2],
  ')': [8, 4, 2, 2, 2, 4, 8],
  '[': [14, 8, 8, 8, 8, 8, 14],
  ']': [14, 2, 2, 2, 2, 2, 14],
  '<': [2, 4, 8, 16, 8, 4, 2],
  '>': [8, 4, 2, 1, 2, 4, 8],
  '/': [0, 1, 2, 4, 8, 16, 0],
  '%': [24, 25, 2, 4, 8, 19, 3],
  _: [0, 0, 0, 0, 0, 0, 31],
  '*': [0, 4, 21, 14, 21, 4, 0],
  '#': [10, 10, 31, 10, 31, 10, 10],
  "'": [4, 4, 8, 0, 0, 0, 0],
  '!': [4, 4, 4, 4, 4, 0, 4],
  '?': [14, 17, 1, 2, 4, 0, 4],
};
const GLYPH_WIDTH = 5;
const GLYPH_HEIGHT = 7;
const ADVANCE = GLYPH_WIDTH + 1;

/** Width in pixels of `text` drawn at `scale`. */
function textWidth(text, scale = 1) {
  return Math.max(0, String(text).length * ADVANCE - 1) * scale;
}

/**
 * Draws `text` on a Raster with its top-left corner at (x, y); `vertical` turns it a quarter
 * anticlockwise (reading bottom to top, as a y-axis label), (x, y) then being its bottom-left.
 */
function drawText(raster, text, x, y, color, { scale = 1, vertical = false } = {}) {
  let pen = 0;
  for (const ch of String(text).toUpperCase()) {
    const rows = GLYPHS[ch] ?? GLYPHS['?'];
    for (let r = 0; r < GLYPH_HEIGHT; r++)
      for (let c = 0; c < GLYPH_WIDTH; c++) {
        if (!(rows[r] & (16 >> c))) continue;
        const u = (pen + c) * scale;
        const v = r * scale;
        for (let i = 0; i < scale; i++)
          for (let j = 0; j < scale; j++)
            if (vertical) raster.set(x + v + j, y - u - i, color);
            else raster.set(x + u + i, y + v + j, color);
      }
    pen += ADVANCE;
  }
}

module.exports = { drawText, textWidth, GLYPH_HEIGHT };
