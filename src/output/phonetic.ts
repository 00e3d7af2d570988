/** NATO phonetic alphabet, for reading a code over the phone without "B or D?" mistakes. */
const NATO: Record<string, string> = {
  A: 'Alfa', B: 'Bravo', C: 'Charlie', D: 'Delta', E: 'Echo', F: 'Foxtrot', G: 'Golf', H: 'Hotel', I: 'India',
  J: 'Juliett', K: 'Kilo', L: 'Lima', M: 'Mike', N: 'November', O: 'Oscar', P: 'Papa', Q: 'Quebec', R: 'Romeo',
  S: 'Sierra', T: 'Tango', U: 'Uniform', V: 'Victor', W: 'Whiskey', X: 'X-ray', Y: 'Yankee', Z: 'Zulu',
};
const DIGITS = ['Zero', 'One', 'Two', 'Three', 'Four', 'Five', 'Six', 'Seven', 'Eight', 'Nine'];
const SYMBOLS: Record<string, string> = {
  '!': 'Exclamation-mark', '@': 'At-sign', '#': 'Hash', $: 'Dollar', '%': 'Percent', '&': 'Ampersand', '*': 'Star',
  '+': 'Plus', '=': 'Equals', '?': 'Question-mark',
};

/** One word per character; lower-case letters are marked, since codes with mixed case are case-sensitive. */
export function spellCharacter(ch: string): string {
  if (/[0-9]/.test(ch)) return DIGITS[Number(ch)]!;
  if (/[A-Z]/.test(ch)) return NATO[ch]!;
  if (/[a-z]/.test(ch)) return `lower-case ${NATO[ch.toUpperCase()]!.toLowerCase()}`;
  return SYMBOLS[ch] ?? ch;
}

/** "K7P2X9QM" -> "Kilo Seven Papa Two · X-ray Nine Quebec Mike" (groups of four, as displayed). */
export function spellCode(code: string): string {
  const groups = code.match(/.{1,4}/g) ?? [];
  return groups.map((g) => [...g].map(spellCharacter).join(' ')).join(' · ');
}
