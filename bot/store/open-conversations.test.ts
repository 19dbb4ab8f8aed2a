import type { Conversation } from './conversations.repo';
import { OpenConversations } from './open-conversations';

const conversation = (id: string, userId: string, at = 1000): Conversation => ({
  id,
  shopId: 's',
  userId,
  channel: 'app',
  verified: false,
  locale: null,
  status: 'open',
  lastActivityAt: new Date(at),
});

describe('remembered open conversations', () => {
  test('a read that started before a forget is not remembered (it may hold a conversation just ended)', () => {
    const open = new OpenConversations();
    const mark = open.mark();
    open.forgetCustomer('s', 'u');
    open.remember(conversation('c1', 'u'), mark);
    expect(open.get('s', 'u')).toBeUndefined();
    open.remember(conversation('c1', 'u'), open.mark());
    expect(open.get('s', 'u')?.id).toBe('c1');
  });

  test('a committed turn replaces the copy, and an older read does not undo it', () => {
    const open = new OpenConversations();
    const first = conversation('c1', 'u', 1000);
    open.remember(first);
    open.touched('c1', new Date(5000), 'en-US');
    expect(open.get('s', 'u')).toMatchObject({ lastActivityAt: new Date(5000), locale: 'en-US' });
    expect(first.lastActivityAt).toEqual(new Date(1000));
    open.remember(first);
    expect(open.get('s', 'u')?.lastActivityAt).toEqual(new Date(5000));
  });

  test('ending by conversation id, ended rows and the size bound', () => {
    const open = new OpenConversations(2);
    open.remember(conversation('c1', 'u1'));
    open.forgetConversation('c1');
    expect(open.get('s', 'u1')).toBeUndefined();
    open.remember({ ...conversation('c2', 'u2'), status: 'ended' });
    expect(open.get('s', 'u2')).toBeUndefined();
    for (const [id, user] of [
      ['a', 'x'],
      ['b', 'y'],
      ['c', 'z'],
    ] as const)
      open.remember(conversation(id, user));
    expect(open.get('s', 'x')).toBeUndefined();
    expect(open.get('s', 'z')?.id).toBe('c');
    // The evicted conversation's id is forgotten too: touching it changes nothing.
    open.touched('a', new Date(9000), null);
    expect(open.get('s', 'x')).toBeUndefined();
  });
});
