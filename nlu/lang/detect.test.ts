import { detectLanguage, detectLocale } from './detect';

const SENTENCES: Record<string, string[]> = {
  'zh-CN': [
    '我的快递到哪了',
    '我要退款',
    '可以便宜一点吗？',
    '訂單什麼時候發貨',
    '我要refund',
    'iPhone 15 有货吗',
    'ok的谢谢',
  ],
  'en-US': [
    'where is my order',
    'I want a refund please',
    'my package arrived damaged',
    'can I talk to a human',
    'How long does shipping take?',
    'thank you so much',
    'the item is the wrong size',
  ],
  'es-ES': [
    '¿Dónde está mi pedido?',
    'quiero un reembolso',
    'el paquete llegó roto',
    'necesito cambiar la dirección de envío',
    'hola, buenas tardes',
    'gracias por la ayuda',
    'todavía no he recibido nada',
  ],
  'pt-BR': [
    'onde está o meu pedido?',
    'quero cancelar a compra',
    'não recebi o produto ainda',
    'preciso trocar o endereço de entrega',
    'obrigado pela ajuda',
    'o pacote chegou quebrado',
    'cadê minha encomenda? já faz uma semana',
  ],
  'id-ID': [
    'di mana pesanan saya?',
    'saya ingin pengembalian dana',
    'paket saya belum sampai',
    'tolong batalkan pesanan ini',
    'terima kasih banyak',
    'barangnya rusak, bagaimana ini',
    'kapan dikirim kak?',
  ],
  'th-TH': ['พัสดุของฉันอยู่ที่ไหน', 'ขอคืนเงินครับ', 'สินค้าเสียหาย', 'ขอบคุณมากค่ะ', 'order 1001 ยังไม่ได้รับ'],
  'vi-VN': [
    'đơn hàng của tôi ở đâu?',
    'tôi muốn hoàn tiền',
    'cảm ơn bạn nhiều',
    'khi nào giao hàng?',
    'sản phẩm bị hỏng rồi',
    'cam on ban nhe',
    'don hang cua toi bao gio giao',
  ],
  'ru-RU': [
    'где мой заказ?',
    'хочу вернуть деньги',
    'посылка пришла повреждённой',
    'спасибо большое',
    'order 1001 не пришёл',
  ],
};

describe('detectLocale: eight languages', () => {
  const cases = Object.entries(SENTENCES).flatMap(([locale, texts]) =>
    texts.map((t) => [locale, t] as const),
  );

  it.each(cases)('%s: %s', (locale, text) => {
    expect(detectLocale(text)).toBe(locale);
  });

  it.each(cases)('%s keeps its language whatever the fallback: %s', (locale, text) => {
    const other = locale === 'en-US' ? 'zh-CN' : 'en-US';
    expect(detectLocale(text, other)).toBe(locale);
  });
});

describe('detectLocale: mixed Chinese and English', () => {
  it.each(['我要refund', '帮我check一下order', 'iphone壳子有吗', 'my 快递 is late', 'OK，谢谢'])(
    '%s is Chinese',
    (text) => {
      expect(detectLocale(text, 'en-US')).toBe('zh-CN');
    },
  );
});

describe('detectLocale: short or ambiguous text keeps the conversation language', () => {
  it.each([
    'ok',
    'OK!',
    '1001',
    'no',
    '138 1234 5678',
    'E20240101-001',
    '👍',
    '???',
    'pedido',
    'hello',
    'thanks',
    'hi',
  ])('%j with fallback zh-CN stays zh-CN', (text) => {
    expect(detectLocale(text, 'zh-CN')).toBe('zh-CN');
  });

  it.each(['ok', 'no', 'si', '1001'])('%j keeps es-ES', (text) => {
    expect(detectLocale(text, 'es-ES')).toBe('es-ES');
  });

  it.each(['hi', 'hello', 'thanks', 'ok', '1001', ''])('%j with no fallback is en-US', (text) => {
    expect(detectLocale(text)).toBe('en-US');
  });

  it('switches when one distinctive word says so', () => {
    expect(detectLocale('gracias', 'en-US')).toBe('es-ES');
    expect(detectLocale('obrigado', 'en-US')).toBe('pt-BR');
    expect(detectLocale('makasih', 'en-US')).toBe('id-ID');
  });
});

describe('detectLanguage', () => {
  it('reports how sure it is', () => {
    expect(detectLanguage('我要退款')).toEqual({ locale: 'zh-CN', confidence: 1 });
    expect(detectLanguage('where is my order').confidence).toBeGreaterThanOrEqual(0.5);
    expect(detectLanguage('ok').confidence).toBeLessThan(0.5);
    expect(detectLanguage('1001')).toEqual({ locale: undefined, confidence: 0 });
  });

  it('leaves unsupported scripts undecided', () => {
    expect(detectLanguage('안녕하세요').locale).toBeUndefined();
    expect(detectLocale('안녕하세요', 'zh-CN')).toBe('zh-CN');
  });
});
