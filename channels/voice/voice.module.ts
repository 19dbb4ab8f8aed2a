import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import type { ChannelInbound, CollectChannelAdapter } from '../../bot/channel';
import { isKefuError } from '../../bot/errors';
import { translate } from '../../bot/i18n';
import type { Platform } from '../../bot/platform';
import type { HttpModule } from '../../bot/server';
import type { DialogueState } from '../../bot/skill';
import type { Shop, ShopSettings } from '../../bot/store/shops.repo';
import type { TurnResult } from '../../bot/turn';
import { twilioVoiceFormSchema, voiceQuerySchema, vxmlQuerySchema, vxmlTurnFormSchema } from './protocol';
import { TwilioVoiceAdapter, renderTwiml } from './twilio.adapter';
import { type VoicePlan, type VoiceRef, maskPhone, nextUrl, voiceCatalog } from './voice.call';
import { VxmlAdapter, renderVxml } from './vxml.adapter';

const SHOP_ID = /^[A-Za-z0-9_-]{1,64}$/;
const TWIML = 'text/xml';
const VOICEXML = 'application/voicexml+xml';

/**
 * The phone IVR channel: Twilio Programmable Voice webhooks (`/channels/twilio/:shopId/voice`)
 * and VoiceXML 2.1 (`/channels/vxml/:shopId/start|turn`). Both verify the request before anything
 * runs, carry the call's state in the next request's URL (any instance can answer any request),
 * and answer every verified request with a valid document — an apology and a re-prompt when the
 * turn itself fails.
 */
export function createVoiceChannel(platform: Platform): HttpModule {
  const { store, turns, log, config } = platform;
  const twilioAdapter = new TwilioVoiceAdapter();
  const vxmlAdapter = new VxmlAdapter();
  const form = express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 200 });

  async function shopOf(shopId: string): Promise<{ shop: Shop | undefined; settings: ShopSettings }> {
    if (!SHOP_ID.test(shopId)) return { shop: undefined, settings: {} };
    const shop = await store.shops.findById(shopId);
    return { shop, settings: shop ? await store.shops.getSettings(shop.id) : {} };
  }

  /** The URL Twilio requested, as it signed it: KEFU_PUBLIC_URL when set (behind a proxy), else this request's. */
  function signedUrl(req: Request): string {
    const base = config.publicUrl?.replace(/\/+$/, '') ?? `${req.protocol}://${req.get('host') ?? ''}`;
    return base + req.originalUrl;
  }

  async function dialogueState(conversationId: string): Promise<DialogueState | undefined> {
    return (await store.conversations.loadState<DialogueState>(conversationId))?.state;
  }

  /** Runs the turn (if any) and renders the answer; a failing turn is an apology, not a dead line. */
  async function answer<Raw>(
    adapter: CollectChannelAdapter<Raw, VoiceRef, string>,
    inbound: ChannelInbound<VoiceRef>,
    render: (plan: VoicePlan) => string,
  ): Promise<string> {
    const { ref } = inbound;
    if (inbound.kind === 'message') {
      let result: TurnResult;
      try {
        result = await turns.handle(inbound.message);
      } catch (err) {
        if (isKefuError(err) && err.code === 'OVERLOADED') {
          log.warn({ shopId: ref.shopId, channel: adapter.id }, 'voice turn refused, instance overloaded');
        } else log.error({ err, shopId: ref.shopId, channel: adapter.id }, 'voice turn failed');
        const state = { ...ref.state, seq: ref.state.seq + 1, silence: 0 };
        return render({
          kind: 'gather',
          locale: ref.locale,
          say: translate(voiceCatalog, ref.locale, 'turn.error'),
          action: nextUrl(ref.path, ref.keep, state),
          state,
          choiceTitles: [],
        });
      }
      const state = await dialogueState(result.conversationId).catch(() => undefined);
      return adapter.render({ ...ref, expectDigits: !!state?.stack.at(-1)?.expect }, result, inbound);
    }
    if (inbound.kind === 'start' && ref.state.silence > 0) {
      // A re-prompt says the last question again.
      const open = await store.conversations.findOpen(ref.shopId, ref.userId).catch(() => undefined);
      const state = open ? await dialogueState(open.id).catch(() => undefined) : undefined;
      return adapter.render({ ...ref, repeat: state?.lastReplies ?? [] }, undefined, inbound);
    }
    return adapter.render(ref, undefined, inbound);
  }

  function logCall(channel: string, inbound: ChannelInbound<VoiceRef>, from?: string): void {
    log.debug(
      {
        channel,
        shopId: inbound.ref.shopId,
        callId: inbound.ref.callId,
        from: maskPhone(from),
        verified: inbound.ref.verified,
        kind: inbound.kind,
        seq: inbound.ref.state.seq,
      },
      'voice request',
    );
  }

  const twilioRoute = async (req: Request, res: Response) => {
    const { shop, settings } = await shopOf(String(req.params.shopId));
    const body: unknown = req.body;
    const inbound = twilioAdapter.parseSync({
      shop,
      settings,
      url: signedUrl(req),
      signature: req.get('x-twilio-signature'),
      body,
    });
    const from = (body as Record<string, unknown> | undefined)?.From;
    logCall('twilio', inbound, typeof from === 'string' ? from : undefined);
    const xml = await answer(twilioAdapter, inbound, renderTwiml);
    res.type(TWIML).send(xml);
  };

  const vxmlRoute = (route: 'start' | 'turn') => async (req: Request, res: Response) => {
    const { shop, settings } = await shopOf(String(req.params.shopId));
    const inbound = vxmlAdapter.parseSync({
      shop,
      settings,
      url: signedUrl(req),
      authorization: req.get('authorization'),
      body: req.body,
      route,
    });
    logCall('vxml', inbound);
    const xml = await answer(vxmlAdapter, inbound, renderVxml);
    res.type(VOICEXML).send(xml);
  };

  return {
    id: 'voice',
    mount(app) {
      app.post('/channels/twilio/:shopId/voice', form, twilioRoute);
      app.get('/channels/vxml/:shopId/start', vxmlRoute('start'));
      app.post('/channels/vxml/:shopId/start', form, vxmlRoute('start'));
      app.post('/channels/vxml/:shopId/turn', form, vxmlRoute('turn'));
    },
    openApiPaths: openApi(),
  };
}

function openApi(): Record<string, unknown> {
  const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  const queryParams = (schema: z.ZodObject) => {
    const props = (json(schema) as { properties?: Record<string, unknown> }).properties ?? {};
    return Object.entries(props).map(([name, s]) => ({ name, in: 'query', required: false, schema: s }));
  };
  const shopId = { name: 'shopId', in: 'path', required: true, schema: { type: 'string' } };
  const error = (description: string) => ({
    description,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: {
            error: {
              type: 'object',
              properties: { code: { type: 'string' }, message: { type: 'string' } },
            },
          },
        },
      },
    },
  });
  const xml = (type: string, description: string) => ({
    description,
    content: { [type]: { schema: { type: 'string' } } },
  });
  const vxmlOp = (summary: string, body?: z.ZodType) => ({
    summary,
    tags: ['channels'],
    parameters: [shopId, ...queryParams(vxmlQuerySchema)],
    security: [{ vxmlToken: [] }],
    ...(body
      ? {
          requestBody: {
            required: false,
            content: { 'application/x-www-form-urlencoded': { schema: json(body) } },
          },
        }
      : {}),
    responses: {
      '200': xml(VOICEXML, 'The next VoiceXML 2.1 document.'),
      '400': error('A malformed request.'),
      '403': error('A missing or wrong token, an unknown shop, or no VoiceXML token configured.'),
    },
  });
  return {
    '/channels/twilio/{shopId}/voice': {
      post: {
        summary: 'Twilio Programmable Voice webhook (the call, and each <Gather> action)',
        tags: ['channels'],
        // No API credentials: the request is signed by Twilio (X-Twilio-Signature).
        security: [],
        parameters: [
          shopId,
          ...queryParams(voiceQuerySchema),
          { name: 'X-Twilio-Signature', in: 'header', required: true, schema: { type: 'string' } },
        ],
        requestBody: {
          required: true,
          content: { 'application/x-www-form-urlencoded': { schema: json(twilioVoiceFormSchema) } },
        },
        responses: {
          '200': xml(TWIML, 'TwiML: <Say> inside the next <Gather>, or <Dial>/<Enqueue> for a person.'),
          '400': error('A signed request whose parameters are malformed.'),
          '403': error('A missing or invalid signature, an unknown shop, or no auth token configured.'),
        },
      },
    },
    '/channels/vxml/{shopId}/start': {
      get: vxmlOp('VoiceXML: the first document of a call (greeting and menu)'),
      post: vxmlOp('VoiceXML: the first document of a call (greeting and menu)'),
    },
    '/channels/vxml/{shopId}/turn': {
      post: vxmlOp('VoiceXML: the caller\u2019s answer; returns the next document', vxmlTurnFormSchema),
    },
  };
}
