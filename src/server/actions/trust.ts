/** A flag from a JSON body (true) or a query string ('true'); anything else is false. */
export const isTrue = (v: unknown): boolean => v === true || v === 'true';
