import { renderSVG } from "uqr";

/** A QR code of the text as an SVG document (rendered here: the secret never goes to a third-party service). */
export function qrSvg(text: string): string {
  // Error correction M and a 4-module quiet zone (ISO/IEC 18004 §6.3.8) read reliably off a screen.
  return renderSVG(text, { ecc: "M", border: 4 });
}
