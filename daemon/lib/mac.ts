/** MAC addresses as wispd keeps them: 12 lower-case hex digits, whatever notation a NAS, a CPE or staff used. */

/** The hex digits of a MAC in any notation (aa:bb:…, AA-BB-…, aabb.ccdd.eeff): how Calling-Station-Ids compare. */
export const macDigits = (text: string): string => text.toLowerCase().replace(/[^0-9a-f]/g, '');

/** A MAC typed or reported in a common notation → its 12 digits; undefined for anything else. */
export function normalizeMac(text: string): string | undefined {
  const hex = macDigits(text);
  if (hex.length !== 12 || !/^[0-9a-f:.\-\s]+$/i.test(text.trim())) return undefined;
  return hex;
}

export const formatMac = (hex: string): string => hex.match(/../g)!.join(':');
