import { contrastRatio, darkenUntil, textOn } from "../../core/color-contrast.js";
import type { Branding } from "../../core/tenant-settings.js";

const DEFAULT_ACCENT = "#2563eb";
const WHITE = "#ffffff";
/** WCAG 2.1 SC 1.4.3: normal text needs 4.5:1; 1.4.11: a focus ring or control border needs 3:1. */
const TEXT_CONTRAST = 4.5;

/** The colours a page derives from the tenant's accent, every pair readable (WCAG 2.1 AA). */
export interface Theme {
  /** Primary buttons' background. */
  accent: string;
  /** Text on the accent: white or black, whichever contrasts more (always at least 4.58:1). */
  onAccent: string;
  /** Links and the focus ring on white: the accent, darkened until it reaches 4.5:1. */
  link: string;
}

export function themeOf(branding: Pick<Branding, "accentColor">): Theme {
  const accent = (branding.accentColor ?? DEFAULT_ACCENT).toLowerCase();
  const link = contrastRatio(accent, WHITE) >= TEXT_CONTRAST ? accent : darkenUntil(accent, WHITE, TEXT_CONTRAST);
  return { accent, onAccent: textOn(accent, "#000000"), link };
}

/** The theme as custom properties (the inline style the page's CSP nonce allows). */
export const themeCss = (theme: Theme) =>
  `:root{--accent:${theme.accent};--on-accent:${theme.onAccent};--link:${theme.link}}`;
