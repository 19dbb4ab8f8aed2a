const HAN = /\p{Script=Han}/u;

/**
 * The language of a short text, as a locale. Any Han character makes it Chinese: customers mix in
 * English words ("我要refund") far more often than the other way round.
 */
export function detectLocale(text: string, fallback = 'en-US'): string {
  if (HAN.test(text)) return 'zh-CN';
  if (/[a-z]/i.test(text)) return 'en-US';
  return fallback;
}
