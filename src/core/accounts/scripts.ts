/**
 * The mixed-script rule for the local part of an email address, after
 * Unicode TS #39 §5.2 ("Highly Restrictive"): characters of Script Common or
 * Inherited (digits, punctuation, combining marks) are ignored; the rest must
 * all be of one script, or of Latin, Han, Hiragana and Katakana (Japanese),
 * Latin, Han and Bopomofo (Chinese), or Latin, Han and Hangul (Korean).
 * Characters of no script (Script=Unknown: unassigned, private use, lone
 * surrogates) are refused. `раураl` (Cyrillic а and р among Latin) is one
 * mailbox name that displays like another; no real one needs the mix.
 */

/** Every script of Unicode 17 by its long name (UAX #24), the common ones first. */
// biome-ignore format: one name a line would make this list 170 lines long
const SCRIPT_NAMES = [
  "Latin", "Cyrillic", "Greek", "Han", "Hiragana", "Katakana", "Hangul", "Bopomofo", "Arabic", "Hebrew",
  "Devanagari", "Bengali", "Tamil", "Telugu", "Thai", "Georgian", "Armenian", "Ethiopic",
  "Adlam", "Ahom", "Anatolian_Hieroglyphs", "Avestan", "Balinese", "Bamum", "Bassa_Vah", "Batak", "Beria_Erfe",
  "Bhaiksuki", "Brahmi", "Braille", "Buginese", "Buhid", "Canadian_Aboriginal", "Carian", "Caucasian_Albanian",
  "Chakma", "Cham", "Cherokee", "Chorasmian", "Coptic", "Cuneiform", "Cypriot", "Cypro_Minoan", "Deseret",
  "Dives_Akuru", "Dogra", "Duployan", "Egyptian_Hieroglyphs", "Elbasan", "Elymaic", "Garay", "Glagolitic",
  "Gothic", "Grantha", "Gujarati", "Gunjala_Gondi", "Gurmukhi", "Gurung_Khema", "Hanifi_Rohingya", "Hanunoo",
  "Hatran", "Imperial_Aramaic", "Inscriptional_Pahlavi", "Inscriptional_Parthian", "Javanese", "Kaithi",
  "Kannada", "Kawi", "Kayah_Li", "Kharoshthi", "Khitan_Small_Script", "Khmer", "Khojki", "Khudawadi", "Kirat_Rai",
  "Lao", "Lepcha", "Limbu", "Linear_A", "Linear_B", "Lisu", "Lycian", "Lydian", "Mahajani", "Makasar",
  "Malayalam", "Mandaic", "Manichaean", "Marchen", "Masaram_Gondi", "Medefaidrin", "Meetei_Mayek",
  "Mende_Kikakui", "Meroitic_Cursive", "Meroitic_Hieroglyphs", "Miao", "Modi", "Mongolian", "Mro", "Multani",
  "Myanmar", "Nabataean", "Nag_Mundari", "Nandinagari", "New_Tai_Lue", "Newa", "Nko", "Nushu",
  "Nyiakeng_Puachue_Hmong", "Ogham", "Ol_Chiki", "Ol_Onal", "Old_Hungarian", "Old_Italic", "Old_North_Arabian",
  "Old_Permic", "Old_Persian", "Old_Sogdian", "Old_South_Arabian", "Old_Turkic", "Old_Uyghur", "Oriya", "Osage",
  "Osmanya", "Pahawh_Hmong", "Palmyrene", "Pau_Cin_Hau", "Phags_Pa", "Phoenician", "Psalter_Pahlavi", "Rejang",
  "Runic", "Samaritan", "Saurashtra", "Sharada", "Shavian", "Siddham", "Sidetic", "SignWriting", "Sinhala",
  "Sogdian", "Sora_Sompeng", "Soyombo", "Sundanese", "Sunuwar", "Syloti_Nagri", "Syriac", "Tagalog", "Tagbanwa",
  "Tai_Le", "Tai_Tham", "Tai_Viet", "Tai_Yo", "Takri", "Tangsa", "Tangut", "Thaana", "Tibetan", "Tifinagh",
  "Tirhuta", "Todhri", "Tolong_Siki", "Toto", "Tulu_Tigalari", "Ugaritic", "Vai", "Vithkuqi", "Wancho",
  "Warang_Citi", "Yezidi", "Yi", "Zanabazar_Square",
] as const;

/** The script sets one text may mix (TS #39 §5.2, Highly Restrictive). */
const ALLOWED_MIXES = [
  new Set(["Latin", "Han", "Hiragana", "Katakana"]),
  new Set(["Latin", "Han", "Bopomofo"]),
  new Set(["Latin", "Han", "Hangul"]),
];

const IGNORED = /^[\p{Script=Common}\p{Script=Inherited}]$/u;
const NO_SCRIPT = /^\p{Script=Unknown}$/u;
const ASCII = /^[\x20-\x7e]*$/;

/**
 * The matcher of one script, built on first use (most addresses need one or
 * two). A name the engine does not know (an older Unicode) gets none: its
 * characters are Script=Unknown there, and refused.
 */
const matchers = new Map<string, RegExp | null>();
function matcherOf(name: string): RegExp | null {
  let matcher = matchers.get(name);
  if (matcher === undefined) {
    try {
      matcher = new RegExp(`^\\p{Script=${name}}$`, "u");
    } catch {
      matcher = null;
    }
    matchers.set(name, matcher);
  }
  return matcher;
}

/** The script of a character that has one. */
const scriptOf = (char: string) => SCRIPT_NAMES.find((name) => matcherOf(name)?.test(char));

type ScriptProblem = "mixed" | "no-script";

/** Why `text` breaks the mixed-script rule, or undefined when it keeps it. */
export function scriptProblem(text: string): ScriptProblem | undefined {
  if (ASCII.test(text)) return undefined;
  const seen = new Set<string>();
  for (const char of text) {
    if (IGNORED.test(char)) continue;
    if (NO_SCRIPT.test(char)) return "no-script";
    if ([...seen].some((name) => matcherOf(name)?.test(char))) continue;
    const script = scriptOf(char);
    if (!script) return "no-script";
    seen.add(script);
  }
  if (seen.size <= 1) return undefined;
  const scripts = [...seen];
  return ALLOWED_MIXES.some((mix) => scripts.every((script) => mix.has(script))) ? undefined : "mixed";
}
