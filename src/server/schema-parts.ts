/** The building blocks every schema file shares. */
export const str = (maxLength = 320) => ({ type: 'string', maxLength }) as const;
export const nullableStr = { type: ['string', 'null'] } as const;
export const time = { type: 'string', format: 'date-time' } as const;
export const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
