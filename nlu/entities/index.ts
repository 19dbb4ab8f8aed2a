export { extractEntities, extractAmountEntities } from './extract-entities';
export type { Entity, AmountEntity, EntityType, ExtractOptions } from './entity';
export { parseChineseNumber } from './chinese-number';
export { parseEnglishNumber } from './english-number';
export { parseNumeral } from './amount.extractor';
export { DEFAULT_ORDER_ID_PATTERN } from './order-id.extractor';
export { knownCities } from './city.extractor';
