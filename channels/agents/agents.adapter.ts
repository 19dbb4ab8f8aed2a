import type { Request, Response } from 'express';
import { Activity } from '@microsoft/agents-activity';
import {
  type AuthConfiguration,
  AuthType,
  CardFactory,
  ConnectorClient,
  HttpClient,
  type HttpRequestConfig,
  type HttpResponse,
  MsalTokenProvider,
  authorizeJWT,
  getAuthConfigWithDefaults,
} from '@microsoft/agents-hosting';
import { z } from 'zod';
import type { Card, QuickReply } from '../../bot/activity';
import { MAX_TEXT_CODE_POINTS, codePointLength, localeSchema } from '../../bot/activity';
import type { ChannelCapabilities, ChannelInbound, PushChannelAdapter } from '../../bot/channel';
import { KefuError, errors, isKefuError } from '../../bot/errors';
import { ConversationFollower } from '../../bot/follower';
import { jsonBody, parseInput } from '../../bot/http';
import { shopDisplayName, shopGreeting } from '../../bot/shop-profile';
import { type Catalog, loadCatalog, translate } from '../../bot/i18n';
import { verifyUserHash } from '../../bot/identity';
import { newId } from '../../bot/ids';
import type { Platform } from '../../bot/platform';
import type { HttpModule } from '../../bot/server';
import type { StoredMessage } from '../../bot/store/conversations.repo';
import type { Shop } from '../../bot/store/shops.repo';
import { withTimeout } from '../../bot/timeout';
import type { InboundMessage } from '../../bot/turn';
import {
  ADAPTIVE_CARD,
  type AdaptiveCard,
  type CardAction,
  type ChannelAccount,
  type ConversationAccount,
  type InboundActivity,
  type MessageActivity,
  type OutgoingActivity,
  activitySchema,
  conversationUpdateSchema,
  kefuIdentitySchema,
  kefuValueSchema,
  messageActivitySchema,
} from './protocol';

export const CHANNEL_ID = 'agents';
const ROUTE = '/channels/agents/:shopId/messages';
/** Conversations whose reference this process keeps (see `ConversationRoutes`). */
const DEFAULT_MAX_ROUTES = 1000;
const DEFAULT_SEND_TIMEOUT_MS = 10_000;
const BOT_FRAMEWORK_SCOPE = 'https://api.botframework.com';
const ADAPTIVE_CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';

/** `settings.channels.agents`: the shop's Azure Bot registration. No appId means auth is off. */
const credentialsSchema = z
  .object({
    appId: z.string().min(1).max(200).optional().catch(undefined),
    appPassword: z.string().min(1).max(4096).optional().catch(undefined),
    tenantId: z.string().min(1).max(200).optional().catch(undefined),
  })
  .catch({});
export type AgentsCredentials = z.infer<typeof credentialsSchema>;

/** Where the conversation lives on the Bot Framework side: everything needed to post into it. */
export interface AgentsRef {
  shopId: string;
  channelId: string;
  serviceUrl: string;
  conversation: ConversationAccount;
  /** The bot's own account (the activity's recipient). */
  bot: ChannelAccount;
  user: ChannelAccount;
  /** The activity being answered. */
  activityId?: string;
  locale?: string;
}

/** What the messaging endpoint receives: the shop in the path, the body, the Authorization header. */
export interface AgentsRaw {
  shopId: string;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  method: string;
}

export interface AgentsChannelOptions {
  /** Timeout of every outbound call (token, reply). */
  sendTimeoutMs?: number;
  /** Conversations whose reference and follower are kept in memory. */
  maxRoutes?: number;
  /**
   * The Entra authority tokens are validated against (default `https://login.microsoftonline.com`);
   * the signing keys are read from `<authority>/<tenant>/discovery/v2.0/keys`. Sovereign clouds set it;
   * tests point it at a local key server.
   */
  authority?: string;
}

// ---------------------------------------------------------------------------------------------
// Parsing: activity → InboundMessage

/** An activity that was verified and means something to Kefu; anything else is acknowledged and dropped. */
export type AgentsInbound = ChannelInbound<AgentsRef>;

/** Teams puts `<at>Bot</at>` in front of a message in group chats and channels. */
const MENTION = /<at>[^<]{0,200}<\/at>/gi;

/** Teams and the Emulator send `en-us`, `zh-cn`: the platform speaks `en-US`, `zh-CN`. */
export function normalizeLocale(locale: string | undefined): string | undefined {
  if (!locale) return undefined;
  const m = /^([A-Za-z]{2})(?:[-_]([A-Za-z]{2,4}))?$/.exec(locale.trim());
  if (!m?.[1]) return undefined;
  const lang = m[1].toLowerCase();
  const region = m[2]
    ? m[2].length === 2
      ? m[2].toUpperCase()
      : m[2][0]!.toUpperCase() + m[2].slice(1).toLowerCase()
    : undefined;
  const normalized = region ? `${lang}-${region}` : lang;
  return localeSchema.safeParse(normalized).success ? normalized : undefined;
}

function refOf(
  shopId: string,
  activity: MessageActivity | z.infer<typeof conversationUpdateSchema>,
): AgentsRef {
  const from = activity.from ?? { id: 'unknown' };
  return {
    shopId,
    channelId: activity.channelId,
    serviceUrl: activity.serviceUrl,
    conversation: pickConversation(activity.conversation),
    bot: pickAccount(activity.recipient),
    user: pickAccount(from),
    ...(activity.id ? { activityId: activity.id } : {}),
    ...(normalizeLocale(activity.locale) ? { locale: normalizeLocale(activity.locale) } : {}),
  };
}

function pickAccount(a: ChannelAccount): ChannelAccount {
  return {
    id: a.id,
    ...(a.name !== undefined ? { name: a.name } : {}),
    ...(a.role !== undefined ? { role: a.role } : {}),
  };
}

function pickConversation(c: ConversationAccount): ConversationAccount {
  return {
    id: c.id,
    ...(c.isGroup !== undefined ? { isGroup: c.isGroup } : {}),
    ...(c.conversationType !== undefined ? { conversationType: c.conversationType } : {}),
    ...(c.tenantId !== undefined ? { tenantId: c.tenantId } : {}),
  };
}

/**
 * What a verified activity means: a message runs a turn, a conversation update that adds the user
 * opens the conversation (greeting), an end of conversation ends it; anything else (typing,
 * reactions, installation updates, invokes) is `undefined`: acknowledged, nothing runs.
 */
export function interpretActivity(shop: Shop, activity: InboundActivity): AgentsInbound | undefined {
  if (activity.type === 'message') {
    const msg = parseInput(messageActivitySchema, activity);
    const ref = refOf(shop.id, msg);
    const payload = kefuValueSchema.safeParse(msg.value);
    const text = msg.text?.replace(MENTION, '').trim() || undefined;
    if (text && codePointLength(text) > MAX_TEXT_CODE_POINTS) {
      throw errors.tooLarge(`text is longer than ${MAX_TEXT_CODE_POINTS} characters`);
    }
    if (!text && !payload.success)
      throw errors.badRequest('A message needs text or a payload.', 'EMPTY_MESSAGE');

    let userId = `${CHANNEL_ID}:${msg.channelId}:${msg.from.id}`;
    let verified = false;
    const claimed = kefuIdentityOf(msg.channelData);
    if (claimed) {
      if (!verifyUserHash(shop.identitySecret, claimed.userId, claimed.userHash)) {
        throw errors.unauthorized('channelData.kefu.userHash does not match userId.', 'INVALID_USER_HASH');
      }
      userId = claimed.userId;
      verified = true;
    }
    const message: InboundMessage = {
      shopId: shop.id,
      channel: CHANNEL_ID,
      userId,
      verified,
      ...(payload.success ? { payload: payload.data.kefu.payload } : { text }),
      ...(ref.locale ? { locale: ref.locale } : {}),
      dedupKey: `${CHANNEL_ID}:${msg.conversation.id}:${msg.id}`,
    };
    return { kind: 'message', message, ref };
  }
  if (activity.type === 'conversationUpdate') {
    const update = conversationUpdateSchema.safeParse(activity);
    if (!update.success) return undefined;
    const { membersAdded, recipient, from, conversation } = update.data;
    // Web Chat and the Emulator add the user; Teams, in a personal chat, adds the bot (installed by `from`).
    const botAddedToPersonalChat =
      conversation.conversationType === 'personal' && membersAdded.some((m) => m.id === recipient.id);
    const joined =
      membersAdded.find((m) => m.id !== recipient.id) ?? (botAddedToPersonalChat ? from : undefined);
    if (!joined) return undefined;
    const ref = { ...refOf(shop.id, { ...update.data, from: joined }), user: pickAccount(joined) };
    return { kind: 'start', ref, ...(ref.locale ? { locale: ref.locale } : {}) };
  }
  if (activity.type === 'endOfConversation') {
    if (!activity.serviceUrl || !activity.recipient || !activity.from) return undefined;
    return {
      kind: 'end',
      ref: refOf(shop.id, {
        ...activity,
        type: 'message',
        id: activity.id ?? 'end',
        serviceUrl: activity.serviceUrl,
        recipient: activity.recipient,
        from: activity.from,
      }),
    };
  }
  return undefined;
}

/** `channelData.kefu.{userId,userHash}` when present; a malformed one is a 400, not anonymity. */
function kefuIdentityOf(channelData: unknown): z.infer<typeof kefuIdentitySchema> | undefined {
  if (typeof channelData !== 'object' || channelData === null || !('kefu' in channelData)) return undefined;
  const kefu = (channelData as { kefu: unknown }).kefu;
  const parsed = kefuIdentitySchema.safeParse(kefu);
  if (!parsed.success)
    throw errors.badRequest('channelData.kefu needs userId and userHash.', 'VALIDATION_FAILED');
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// Rendering: stored message → activity

export interface RenderContext {
  ref: AgentsRef;
  replyToId?: string;
  locale?: string;
}

/** One stored bot or agent message as the Bot Framework activity that carries it. */
export function renderActivity(
  message: Pick<StoredMessage, 'text'> & { quickReplies?: QuickReply[]; card?: Card },
  ctx: RenderContext,
): OutgoingActivity {
  const { ref } = ctx;
  const activity: OutgoingActivity = {
    type: 'message',
    channelId: ref.channelId,
    serviceUrl: ref.serviceUrl,
    from: ref.bot,
    recipient: ref.user,
    conversation: ref.conversation,
    ...(ctx.replyToId ? { replyToId: ctx.replyToId } : {}),
    ...((ctx.locale ?? ref.locale) ? { locale: ctx.locale ?? ref.locale } : {}),
    ...(message.text ? { text: message.text } : {}),
    textFormat: 'plain',
  };
  if (message.quickReplies?.length) {
    activity.inputHint = 'expectingInput';
    activity.suggestedActions = {
      to: [ref.user.id],
      actions: message.quickReplies.map((q) => quickReplyAction(q, ref.channelId)),
    };
  }
  if (message.card) {
    const attachment = CardFactory.adaptiveCard(adaptiveCardOf(message.card));
    activity.attachments = [{ contentType: ADAPTIVE_CARD, content: attachment.content as AdaptiveCard }];
  }
  return activity;
}

/**
 * Teams offers only `imBack` as a suggested action: the title comes back as text, and the
 * conversation's offered titles turn it back into the payload. Elsewhere `messageBack` carries it.
 */
function quickReplyAction(q: QuickReply, channelId: string): CardAction {
  if (channelId === 'msteams') return { type: 'imBack', title: q.title, value: q.title };
  return {
    type: 'messageBack',
    title: q.title,
    text: q.title,
    displayText: q.title,
    value: { kefu: { payload: q.payload } },
  };
}

/** An order card as an Adaptive Card 1.5: title, subtitle, a FactSet of the fields, a Submit per button. */
export function adaptiveCardOf(card: Card): AdaptiveCard {
  const body: Record<string, unknown>[] = [
    { type: 'TextBlock', text: card.title, weight: 'Bolder', size: 'Medium', wrap: true },
  ];
  if (card.subtitle)
    body.push({ type: 'TextBlock', text: card.subtitle, isSubtle: true, wrap: true, spacing: 'None' });
  if (card.fields?.length) {
    body.push({ type: 'FactSet', facts: card.fields.map((f) => ({ title: f.label, value: f.value })) });
  }
  return {
    type: 'AdaptiveCard',
    $schema: ADAPTIVE_CARD_SCHEMA,
    version: '1.5',
    body,
    ...(card.buttons?.length
      ? {
          actions: card.buttons.map((b) => ({
            type: 'Action.Submit' as const,
            title: b.title,
            data: { kefu: { payload: b.payload } },
          })),
        }
      : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Auth and outbound calls (through the Microsoft 365 Agents SDK)

/** An HttpClient whose every request has a time limit (the SDK's connector sets none). */
class TimedHttpClient extends HttpClient {
  constructor(
    options: ConstructorParameters<typeof HttpClient>[0],
    private readonly timeoutMs: number,
  ) {
    super(options);
  }

  override request<T = unknown>(config: HttpRequestConfig): Promise<HttpResponse<T>> {
    return super.request<T>({ ...config, timeout: config.timeout ?? this.timeoutMs });
  }
}

class TimedConnectorClient extends ConnectorClient {
  static create(serviceUrl: string, token: string | null, timeoutMs: number): ConnectorClient {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'Content-Type': 'application/json',
    };
    if (token) headers.Authorization = `Bearer ${token}`;
    return new TimedConnectorClient(new TimedHttpClient({ baseURL: serviceUrl, headers }, timeoutMs));
  }
}

/** The SDK's auth configuration for one shop's app registration, without reading the process env. */
function authConfigFor(creds: AgentsCredentials & { appId: string }, authority?: string): AuthConfiguration {
  const connection: AuthConfiguration = {
    clientId: creds.appId,
    ...(creds.appPassword ? { clientSecret: creds.appPassword, authType: AuthType.ClientSecret } : {}),
    ...(creds.tenantId ? { tenantId: creds.tenantId } : {}),
    ...(authority ? { authority, authorityEndpoint: authority } : {}),
    validateIssuer: true,
  };
  return getAuthConfigWithDefaults({
    ...connection,
    connections: new Map([['serviceConnection', connection]]),
    connectionsMap: [{ serviceUrl: '*', connection: 'serviceConnection' }],
  });
}

/** Runs the SDK's JWT check (`authorizeJWT`) and answers with the claims, or throws a 401. */
async function verifyBearer(config: AuthConfiguration, raw: AgentsRaw): Promise<Record<string, unknown>> {
  const req: {
    headers: AgentsRaw['headers'];
    method: string;
    body?: Record<string, unknown>;
    user?: Record<string, unknown>;
  } = { headers: raw.headers, method: raw.method };
  let passed = false;
  let status = 401;
  const res = {
    headersSent: false,
    writableEnded: false,
    status(code: number) {
      status = code;
      return this;
    },
    setHeader() {
      return this;
    },
    send() {
      return this;
    },
    end() {
      return this;
    },
  };
  await authorizeJWT(config)(req, res, () => {
    passed = true;
  });
  if (!passed || !req.user) {
    throw status === 405
      ? new KefuError('METHOD_NOT_ALLOWED', 'Use POST.', 405)
      : errors.unauthorized('The request does not carry a valid Bot Framework token.', 'INVALID_TOKEN');
  }
  return req.user;
}

/** The token's `serviceurl` claim (Azure Bot Service sets it) must name the host the activity says to answer. */
function checkServiceUrlClaim(claims: Record<string, unknown>, serviceUrl: string | undefined): void {
  const claim = claims.serviceurl;
  if (typeof claim !== 'string' || !serviceUrl) return;
  try {
    if (new URL(claim).hostname.toLowerCase() === new URL(serviceUrl).hostname.toLowerCase()) return;
  } catch {
    // fall through: an unreadable claim is a mismatch
  }
  throw errors.unauthorized('serviceUrl does not match the token.', 'INVALID_TOKEN');
}

/** Posts activities to the Bot Framework connector with the shop's app credentials (or none when auth is off). */
export class AgentsSender {
  private readonly tokens = new Map<string, MsalTokenProvider>();

  constructor(private readonly timeoutMs: number) {}

  async send(ref: AgentsRef, activity: OutgoingActivity, creds: AgentsCredentials): Promise<void> {
    const token = await this.token(creds);
    const client = TimedConnectorClient.create(ref.serviceUrl, token, this.timeoutMs);
    const body = Activity.fromObject(activity);
    await withTimeout(
      activity.replyToId
        ? client.replyToActivity(ref.conversation.id, activity.replyToId, body)
        : client.sendToConversation(ref.conversation.id, body),
      this.timeoutMs + 1000,
    );
  }

  /** An Entra token for the Bot Framework scope, when the shop configured an app id and password. */
  private async token(creds: AgentsCredentials): Promise<string | null> {
    if (!creds.appId || !creds.appPassword) return null;
    const key = `${creds.appId}:${creds.tenantId ?? ''}`;
    let provider = this.tokens.get(key);
    if (!provider) {
      provider = new MsalTokenProvider(authConfigFor({ ...creds, appId: creds.appId }));
      this.tokens.set(key, provider);
    }
    const config = authConfigFor({ ...creds, appId: creds.appId });
    return withTimeout(provider.getAccessToken(config, BOT_FRAMEWORK_SCOPE), this.timeoutMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Delivery: one follower per conversation, with its Bot Framework reference

interface Route {
  ref: AgentsRef;
  follower: ConversationFollower;
  /** The user activity the next bot message answers. */
  replyToId?: string;
  /** Stored user message id → the activity that carried it. */
  activities: Map<string, string>;
  /** Teams `imBack`: the titles last offered, mapped back to their payloads. */
  offered: Map<string, string>;
}

/**
 * The conversation references this process knows, most recently used last, at most `max`: the
 * oldest is dropped (its follower closed) when a new one comes. In memory only: after a restart,
 * or on another instance, a conversation's reference is known again from its next user activity.
 */
class ConversationRoutes {
  private readonly routes = new Map<string, Route>();

  constructor(private readonly max: number) {}

  get(key: string): Route | undefined {
    const route = this.routes.get(key);
    if (route) {
      this.routes.delete(key);
      this.routes.set(key, route);
    }
    return route;
  }

  set(key: string, route: Route): void {
    this.routes.set(key, route);
    while (this.routes.size > this.max) {
      const [oldest, dropped] = this.routes.entries().next().value ?? [];
      if (oldest === undefined || !dropped) break;
      dropped.follower.close();
      this.routes.delete(oldest);
    }
  }

  /** The route of the Bot Framework conversation, if this process has one. */
  byBotConversation(shopId: string, conversationId: string): Route | undefined {
    let found: Route | undefined;
    for (const route of this.routes.values()) {
      if (route.ref.shopId === shopId && route.ref.conversation.id === conversationId) found = route;
    }
    return found;
  }

  get size(): number {
    return this.routes.size;
  }

  closeAll(): void {
    for (const route of this.routes.values()) route.follower.close();
    this.routes.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// The adapter and its HTTP module

export class AgentsAdapter implements PushChannelAdapter<AgentsRaw, AgentsRef> {
  readonly id = CHANNEL_ID;
  readonly capabilities: ChannelCapabilities & { delivery: 'push' } = {
    delivery: 'push',
    cards: true,
    quickReplies: true,
    ssml: false,
    maxText: 28_000,
  };
  readonly catalog: Catalog = loadCatalog(__dirname);
  private readonly sender: AgentsSender;
  private readonly authConfigs = new Map<string, AuthConfiguration>();
  readonly routes: ConversationRoutes;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly platform: Platform,
    private readonly options: AgentsChannelOptions = {},
  ) {
    this.sender = new AgentsSender(options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS);
    this.routes = new ConversationRoutes(options.maxRoutes ?? DEFAULT_MAX_ROUTES);
  }

  async credentials(shopId: string): Promise<AgentsCredentials> {
    const settings = await this.platform.store.shops.getSettings(shopId);
    return credentialsSchema.parse(settings.channels?.agents ?? {});
  }

  /** Checks the shop, the token (when the shop configured an appId) and the activity's shape. */
  async verify(raw: AgentsRaw): Promise<{ shop: Shop; creds: AgentsCredentials; activity: InboundActivity }> {
    const shop = await this.platform.store.shops.findById(raw.shopId);
    if (!shop) throw errors.notFound('Shop');
    const creds = await this.credentials(shop.id);
    let claims: Record<string, unknown> | undefined;
    if (creds.appId) claims = await verifyBearer(this.authConfig({ ...creds, appId: creds.appId }), raw);
    const activity = parseInput(activitySchema, raw.body);
    if (claims) checkServiceUrlClaim(claims, activity.serviceUrl);
    return { shop, creds, activity };
  }

  async parse(raw: AgentsRaw): Promise<AgentsInbound> {
    const { shop, activity } = await this.verify(raw);
    const inbound = interpretActivity(shop, activity);
    if (!inbound)
      throw errors.badRequest(`Activities of type "${activity.type}" run nothing.`, 'ACTIVITY_IGNORED');
    return inbound;
  }

  async deliver(ref: AgentsRef, messages: StoredMessage[]): Promise<void> {
    const creds = await this.credentials(ref.shopId);
    for (const m of messages) {
      if (m.role === 'user') continue;
      await this.sender.send(ref, renderActivity(m, { ref, replyToId: ref.activityId }), creds);
    }
  }

  /** Handles a verified activity after the POST was answered; never throws. */
  handle(inbound: AgentsInbound, shop: Shop, creds: AgentsCredentials): void {
    const work = this.run(inbound, shop, creds)
      .catch((err: unknown) => {
        this.platform.log.error({ err, shopId: shop.id }, 'agents: could not handle an activity');
      })
      .finally(() => this.pending.delete(work));
    this.pending.add(work);
  }

  /** Resolves once the activities handed to `handle` so far have run and their replies went out. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  close(): void {
    this.routes.closeAll();
  }

  private authConfig(creds: AgentsCredentials & { appId: string }): AuthConfiguration {
    const key = `${creds.appId}\u0000${creds.tenantId ?? ''}`;
    let config = this.authConfigs.get(key);
    if (!config) {
      config = authConfigFor(creds, this.options.authority);
      this.authConfigs.set(key, config);
    }
    return config;
  }

  private async run(inbound: AgentsInbound, shop: Shop, creds: AgentsCredentials): Promise<void> {
    const { log } = this.platform;
    if (inbound.kind === 'end') return;
    if (inbound.kind === 'start') {
      const text = await this.greeting(shop, inbound.locale);
      await this.sender.send(inbound.ref, renderActivity({ text }, { ref: inbound.ref }), creds);
      return;
    }
    const { ref } = inbound;
    const message: InboundMessage = { ...inbound.message, messageId: newId('m') };
    const known = this.routes.byBotConversation(shop.id, ref.conversation.id);
    if (message.text && !message.payload) {
      const payload = known?.offered.get(message.text);
      if (payload) {
        message.payload = payload;
        delete message.text;
      }
    }
    known?.activities.set(message.messageId!, ref.activityId!);
    let result;
    try {
      result = await this.platform.turns.handle(message);
    } catch (err) {
      const retryable = isKefuError(err) && (err.status >= 500 || err.retryable);
      if (isKefuError(err) && err.status < 500 && !retryable) {
        log.debug({ code: err.code, shopId: shop.id }, 'agents: turn refused');
      } else {
        log.error({ err, shopId: shop.id }, 'agents: turn failed');
      }
      const text = translate(
        this.catalog,
        message.locale ?? shop.locales[0],
        retryable || !isKefuError(err) ? 'error.unavailable' : 'error.refused',
      );
      await this.sender.send(ref, renderActivity({ text }, { ref, replyToId: ref.activityId }), creds);
      return;
    }
    // A retried activity ran nothing: its replies went out the first time.
    if (result.userMessageId !== message.messageId) return;
    const key = `${shop.id}:${result.conversationId}`;
    const route = this.routes.get(key);
    if (route) {
      route.ref = { ...ref, activityId: undefined };
      route.activities.set(result.userMessageId, ref.activityId!);
      await route.follower.catchUp();
      await route.follower.idle();
      return;
    }
    const fresh: Route = {
      ref: { ...ref, activityId: undefined },
      replyToId: ref.activityId,
      activities: new Map([[result.userMessageId, ref.activityId!]]),
      offered: new Map(),
      follower: new ConversationFollower(this.platform, shop.id, (m) => this.deliverRouted(fresh, m)),
    };
    this.routes.set(key, fresh);
    await fresh.follower.follow(result.conversationId, { after: result.userMessageId });
    await fresh.follower.idle();
  }

  /** Delivers one stored message of a followed conversation (bot replies, and an agent's after a handoff). */
  private async deliverRouted(route: Route, m: StoredMessage): Promise<void> {
    if (m.role === 'user') {
      route.replyToId = route.activities.get(m.id) ?? route.replyToId;
      return;
    }
    if (!(await this.claim(route.ref.shopId, m.id))) return;
    if (m.quickReplies?.length) route.offered = new Map(m.quickReplies.map((q) => [q.title, q.payload]));
    const creds = await this.credentials(route.ref.shopId);
    const activity = renderActivity(m, { ref: route.ref, replyToId: route.replyToId });
    await this.sender.send(route.ref, activity, creds);
  }

  /**
   * With several instances (Redis), more than one may follow a conversation: the first to claim a
   * message posts it. In-process there is one follower per conversation and nothing to claim.
   */
  private async claim(shopId: string, messageId: string): Promise<boolean> {
    const redis = this.platform.redis;
    if (!redis) return true;
    const ok = await redis.set(`kefu:agents:sent:${shopId}:${messageId}`, '1', 'PX', 24 * 3600_000, 'NX');
    return ok === 'OK';
  }

  private async greeting(shop: Shop, locale: string | undefined): Promise<string> {
    const settings = await this.platform.store.shops.getSettings(shop.id);
    const lang = locale ?? shop.locales[0] ?? 'zh-CN';
    return (
      shopGreeting(settings, lang) ??
      translate(this.catalog, lang, 'greeting.default', { name: shopDisplayName(shop, settings) })
    );
  }
}

export interface AgentsChannel extends HttpModule {
  adapter: AgentsAdapter;
}

/**
 * The Microsoft 365 Agents / Bot Framework channel: Azure Bot Service (Teams, Web Chat, …) and the
 * Bot Framework Emulator post activities to `/channels/agents/:shopId/messages`; replies are posted
 * back to the activity's `serviceUrl`.
 */
export function createAgentsChannel(platform: Platform, options: AgentsChannelOptions = {}): AgentsChannel {
  const adapter = new AgentsAdapter(platform, options);
  return {
    id: CHANNEL_ID,
    adapter,
    mount(app) {
      app.post(ROUTE, jsonBody('256kb'), async (req: Request, res: Response) => {
        const raw: AgentsRaw = {
          shopId: String(req.params.shopId),
          body: req.body as unknown,
          headers: req.headers,
          method: req.method,
        };
        const { shop, creds, activity } = await adapter.verify(raw);
        const inbound = interpretActivity(shop, activity);
        if (!inbound) {
          res.status(200).json({});
          return;
        }
        adapter.handle(inbound, shop, creds);
        res.status(inbound.kind === 'message' ? 202 : 200).json({});
      });
    },
    openApiPaths: openApiPaths(),
    async close() {
      await withTimeout(adapter.idle(), 5000).catch(() => undefined);
      adapter.close();
    },
  };
}

function openApiPaths(): Record<string, unknown> {
  const error = {
    description: 'Error',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: {
            error: {
              type: 'object',
              properties: { code: { type: 'string' }, message: { type: 'string' } },
              required: ['code', 'message'],
            },
          },
        },
      },
    },
  };
  const ack = (description: string) => ({
    description,
    content: { 'application/json': { schema: { type: 'object', additionalProperties: false } } },
  });
  return {
    '/channels/agents/{shopId}/messages': {
      post: {
        summary: 'Bot Framework messaging endpoint (Microsoft 365 Agents, Teams, Web Chat, Emulator)',
        description:
          'Receives Bot Framework activities. When the shop configured channels.agents.appId, the request must carry ' +
          'a valid Bot Framework / Entra bearer token for that app id. Replies are posted to the activity serviceUrl.',
        parameters: [{ name: 'shopId', in: 'path', required: true, schema: { type: 'string' } }],
        security: [{ botFrameworkJwt: [] }, {}],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: z.toJSONSchema(activitySchema, { io: 'input' }) } },
        },
        responses: {
          '200': ack('Accepted; activities other than messages run nothing or greet'),
          '202': ack('Message accepted; the turn runs and its replies are posted to serviceUrl'),
          '400': error,
          '401': error,
          '404': error,
          '413': error,
          '415': error,
        },
      },
    },
  };
}
