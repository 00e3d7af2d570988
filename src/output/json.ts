/** JSON output: pretty for single documents, one compact object per line for streams (JSON Lines). */
export const toJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
export const toJsonLine = (value: unknown): string => `${JSON.stringify(value)}\n`;
