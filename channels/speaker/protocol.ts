import { z } from 'zod';
import { MAX_TEXT_CODE_POINTS } from '../../bot/activity';

/*
 * The smart-speaker protocols, parsed at the edge. Both platforms add fields over time, so the
 * objects are loose (unknown fields pass through untouched) while every field Kefu reads is checked.
 */

// ---------------------------------------------------------------------------------------------
// Alexa custom skill: the request envelope (https://developer.amazon.com/…/request-and-response-json-reference)

const alexaApplicationSchema = z.looseObject({ applicationId: z.string().min(1).max(200) });
const alexaUserSchema = z.looseObject({ userId: z.string().min(1).max(1000) });

export const alexaSlotSchema = z.looseObject({
  name: z.string().max(200),
  value: z.string().max(MAX_TEXT_CODE_POINTS).optional(),
});

export const alexaIntentSchema = z.looseObject({
  name: z.string().min(1).max(200),
  confirmationStatus: z.string().max(40).optional(),
  slots: z.record(z.string().max(200), alexaSlotSchema).optional(),
});

/** A choice read out on the previous turn, kept in the session so the customer can say it back. */
export const alexaChoiceSchema = z.object({
  title: z.string().min(1).max(80),
  payload: z.string().min(1).max(500),
});

export const alexaRequestEnvelopeSchema = z.looseObject({
  version: z.string().max(16),
  session: z
    .looseObject({
      new: z.boolean().optional(),
      sessionId: z.string().min(1).max(500),
      application: alexaApplicationSchema,
      user: alexaUserSchema,
      attributes: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  context: z
    .looseObject({
      System: z.looseObject({
        application: alexaApplicationSchema,
        user: alexaUserSchema,
      }),
    })
    .optional(),
  request: z.looseObject({
    /** LaunchRequest, IntentRequest, SessionEndedRequest; other types get an empty answer. */
    type: z.string().min(1).max(100),
    requestId: z.string().min(1).max(200),
    /** ISO 8601, checked against the clock (150 s). */
    timestamp: z.string().min(1).max(64),
    locale: z.string().max(16).optional(),
    intent: alexaIntentSchema.optional(),
    reason: z.string().max(100).optional(),
  }),
});
export type AlexaRequestEnvelope = z.infer<typeof alexaRequestEnvelopeSchema>;

/** What Kefu answers (a subset of ask-sdk-model's ResponseEnvelope). */
export interface AlexaOutputSpeech {
  type: 'SSML';
  ssml: string;
}
export interface AlexaResponseEnvelope {
  version: '1.0';
  sessionAttributes?: Record<string, unknown>;
  response: {
    outputSpeech?: AlexaOutputSpeech;
    reprompt?: { outputSpeech: AlexaOutputSpeech };
    shouldEndSession?: boolean;
  };
}

// ---------------------------------------------------------------------------------------------
// AliGenie (天猫精灵) skill webhook: the request object (TaskQuery) and the V1 response (TaskResult)

const aliGenieId = z.union([z.string().max(100), z.number()]);

export const aliGenieSlotSchema = z.looseObject({
  slotName: z.string().max(200).optional(),
  intentParameterName: z.string().max(200).optional(),
  originalValue: z.string().max(MAX_TEXT_CODE_POINTS).optional(),
  standardValue: z.string().max(MAX_TEXT_CODE_POINTS).optional(),
});

export const aliGenieRequestSchema = z.looseObject({
  sessionId: z.string().min(1).max(200),
  /** What the customer said. */
  utterance: z.string().max(MAX_TEXT_CODE_POINTS).optional(),
  requestId: z.string().min(1).max(200).optional(),
  skillId: aliGenieId,
  skillName: z.string().max(200).optional(),
  botId: aliGenieId.optional(),
  domainId: aliGenieId.optional(),
  intentId: aliGenieId.optional(),
  intentName: z.string().max(200).optional(),
  slotEntities: z.array(aliGenieSlotSchema).max(50).optional(),
  /** userOpenId, deviceOpenId, city… (absent in the console's online test). */
  requestData: z.record(z.string(), z.unknown()).optional(),
  token: z.string().max(4096).optional(),
  device: z.looseObject({ deviceOpenId: z.string().max(200).optional() }).optional(),
  skillSession: z
    .looseObject({ skillSessionId: z.string().max(200).optional(), newSession: z.boolean().optional() })
    .optional(),
});
export type AliGenieRequest = z.infer<typeof aliGenieRequestSchema>;

export type AliGenieResultType = 'RESULT' | 'ASK_INF' | 'CONFIRM';

export interface AliGenieResponse {
  returnCode: '0';
  returnErrorSolution: string;
  returnMessage: string;
  returnValue: {
    reply: string;
    resultType: AliGenieResultType;
    askedInfos?: { parameterName: string; intentId: string | number }[];
    executeCode: 'SUCCESS';
  };
}

/** The header that carries the shop's AliGenie token (set as a custom header in the AliGenie console). */
export const ALIGENIE_TOKEN_HEADER = 'x-kefu-token';
