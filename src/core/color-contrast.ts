/** WCAG 2.1 colour arithmetic for tenant accent colours (`#rrggbb`) in mails and pages. */

const channels = (hex: string) =>
  [1, 3, 5].map((at) => Number.parseInt(hex.slice(at, at + 2), 16)) as [number, number, number];

/** WCAG 2.1 relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
  const [r, g, b] = channels(hex).map((value) => {
    const c = value / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2.1 contrast ratio of two colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** White or `dark`, whichever contrasts more with the background (with pure black, always at least 4.58:1). */
export function textOn(background: string, dark = "#111111"): string {
  return contrastRatio(background, "#ffffff") >= contrastRatio(background, dark) ? "#ffffff" : dark;
}

/** The colour darkened in steps of 5% towards black until it reaches `ratio` against `against` (links on white). */
export function darkenUntil(hex: string, against: string, ratio: number): string {
  let [r, g, b] = channels(hex);
  let color = hex.toLowerCase();
  while (contrastRatio(color, against) < ratio && r + g + b > 0) {
    [r, g, b] = [r, g, b].map((c) => Math.floor(c * 0.95)) as [number, number, number];
    color = `#${[r, g, b].map((c) => c.toString(16).padStart(2, "0")).join("")}`;
  }
  return color;
}
