import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import type { ChannelInbound } from '../../bot/channel';
import { KefuError, errors, isKefuError } from '../../bot/errors';
import { jsonBody } from '../../bot/http';
import type { Platform } from '../../bot/platform';
import type { HttpModule } from '../../bot/server';
import type { TurnResult } from '../../bot/turn';
import { AlexaAdapter } from './alexa.adapter';
import { AlexaVerifier, type AlexaVerifierOptions } from './alexa.verify';
import { AliGenieAdapter } from './aligenie.adapter';
import { ALIGENIE_TOKEN_HEADER, aliGenieRequestSchema, alexaRequestEnvelopeSchema } from './protocol';
import type { ShopLookup } from './speaker.speech';

export interface SpeakerChannelOptions {
  /** Alexa request verification: inject the certificate fetcher, the trusted roots and the clock (tests). */
  alexa?: AlexaVerifierOptions;
}

const SHOP_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_BODY = '128kb';

/**
 * The smart-speaker channels: an Alexa custom skill endpoint and an AliGenie (天猫精灵) skill
 * webhook. Both are collect channels: the answer to the request is the turn's spoken reply.
 */
export function createSpeakerChannel(platform: Platform, options: SpeakerChannelOptions = {}): HttpModule {
  const { store, turns, log } = platform;
  const shops: ShopLookup = async (shopId) => {
    if (!SHOP_ID.test(shopId)) return undefined;
    const shop = await store.shops.findById(shopId);
    if (!shop) return undefined;
    return { shop, settings: await store.shops.getSettings(shop.id) };
  };
  const alexa = new AlexaAdapter({ verifier: new AlexaVerifier(options.alexa), shops });
  const aligenie = new AliGenieAdapter({ shops });

  /** Runs the turn of a message; a turn that fails is logged and answered with an apology. */
  async function run<Ref>(inbound: ChannelInbound<Ref>): Promise<TurnResult | undefined | 'failed'> {
    if (inbound.kind !== 'message') return undefined;
    try {
      return await turns.handle(inbound.message);
    } catch (err) {
      log.warn(
        { err: isKefuError(err) ? err.code : err, channel: inbound.message.channel },
        'speaker turn failed',
      );
      return 'failed';
    }
  }

  // The raw bytes are what Alexa signed: the body is read as a Buffer and parsed only after the check.
  const rawBody = express.raw({ type: () => true, limit: MAX_BODY });

  return {
    id: 'speaker',
    mount(app) {
      app.post('/channels/alexa/:shopId', rawBody, async (req: Request, res: Response) => {
        const body: unknown = req.body;
        if (!Buffer.isBuffer(body) || body.length === 0) {
          throw new KefuError('ALEXA_SIGNATURE_INVALID', 'The request has no body to verify.', 401);
        }
        const inbound = await alexa.parse({
          shopId: String(req.params.shopId),
          body,
          certUrl: req.get('signaturecertchainurl'),
          signature: req.get('signature-256'),
        });
        const result = await run(inbound);
        res.json(result === 'failed' ? alexa.renderError(inbound.ref) : alexa.render(inbound.ref, result));
      });

      app.post('/channels/aligenie/:shopId', jsonBody('64kb'), async (req: Request, res: Response) => {
        const shopId = String(req.params.shopId);
        if (!SHOP_ID.test(shopId)) throw errors.notFound('Shop');
        const inbound = await aligenie.parse({
          shopId,
          token: req.get(ALIGENIE_TOKEN_HEADER),
          body: req.body as unknown,
        });
        const result = await run(inbound);
        res.json(
          result === 'failed' ? aligenie.renderError(inbound.ref) : aligenie.render(inbound.ref, result),
        );
      });
    },
    openApiPaths: openApiPaths(),
  };
}

function openApiPaths(): Record<string, unknown> {
  const shopId = { name: 'shopId', in: 'path', required: true, schema: { type: 'string' } };
  const error = {
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: {
            error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
          },
        },
      },
    },
  };
  const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return {
    '/channels/alexa/{shopId}': {
      post: {
        summary: 'Alexa custom skill endpoint (signed by Alexa)',
        tags: ['channels'],
        // No API credentials: the request is signed by Alexa (the headers below).
        security: [],
        parameters: [
          shopId,
          { name: 'SignatureCertChainUrl', in: 'header', required: true, schema: { type: 'string' } },
          { name: 'Signature-256', in: 'header', required: true, schema: { type: 'string' } },
        ],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: jsonSchema(alexaRequestEnvelopeSchema) } },
        },
        responses: {
          '200': {
            description: 'An Alexa response envelope (SSML speech; empty for SessionEndedRequest)',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
          '400': { description: 'Bad JSON or envelope, or a timestamp more than 150 s from now', ...error },
          '401': {
            description: 'The signature, certificate URL or certificate chain does not check out',
            ...error,
          },
          '403': { description: "No skillId configured, or the applicationId is not the shop's", ...error },
          '404': { description: 'No such shop', ...error },
        },
      },
    },
    '/channels/aligenie/{shopId}': {
      post: {
        summary: 'AliGenie (天猫精灵) skill webhook',
        tags: ['channels'],
        // No API credentials: the X-Kefu-Token header below.
        security: [],
        parameters: [
          shopId,
          {
            name: 'X-Kefu-Token',
            in: 'header',
            required: true,
            description:
              'settings.channels.aligenie.privateKey, set as a custom header in the AliGenie console',
            schema: { type: 'string' },
          },
        ],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: jsonSchema(aliGenieRequestSchema) } },
        },
        responses: {
          '200': {
            description:
              'An AliGenie TaskResult (returnCode "0", returnValue.reply, resultType RESULT or ASK_INF)',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
          '400': { description: 'Bad JSON or request (encrypted requests are refused)', ...error },
          '403': {
            description: 'No skill configured, a missing or wrong token, or another skillId',
            ...error,
          },
          '404': { description: 'No such shop', ...error },
          '415': { description: 'The body is not JSON', ...error },
        },
      },
    },
  };
}
