import type { StoredMessage } from './store/conversations.repo';
import type { InboundMessage, TurnResult } from './turn';

/**
 * The seam every channel goes through. An adapter verifies its own protocol (signature, size,
 * schema) and parses the payload into an `InboundMessage`: the turn pipeline never sees an
 * unverified payload. The answer goes back one of two ways:
 *
 * - **collect** channels (phone IVR, smart speakers) answer the very request that carried the
 *   message: they render the `TurnResult` the pipeline returns, and read nothing back;
 * - **push** channels (web socket, app SSE, MQTT, Microsoft 365 Agents) deliver every message
 *   of the conversation as it is stored — the bot's replies now, an agent's words later —
 *   through one `ConversationFollower` (bot/follower.ts), which also catches up by message id.
 */
export interface ChannelCapabilities {
  delivery: 'push' | 'collect';
  /** Renders cards (order cards with fields and buttons) rather than reading them out. */
  cards: boolean;
  /** Offers quick replies as buttons (push), or reads them as options (voice: "press 1 for…"). */
  quickReplies: boolean;
  /** Speaks SSML. */
  ssml: boolean;
  /** Longest reply text the channel renders well, in characters; beyond it voice shortens. */
  maxText?: number;
}

/** What a verified inbound payload means for the conversation. */
export type ChannelInbound<Ref> =
  /** A customer's message: run a turn. */
  | { kind: 'message'; message: InboundMessage; ref: Ref }
  /** A session opens (an incoming call, a skill launched): greet, no turn yet. */
  | { kind: 'start'; ref: Ref; locale?: string }
  /** The session ended on the customer's side (hang-up, skill closed): nothing to answer. */
  | { kind: 'end'; ref: Ref };

interface ChannelAdapterBase<Raw, Ref> {
  /** Stored as the conversation's and the turn's channel (`twilio`, `alexa`, `mqtt`…). */
  readonly id: string;
  readonly capabilities: ChannelCapabilities;
  /** Verifies and parses; a bad signature or payload throws a KefuError (4xx) and runs nothing. */
  parse(raw: Raw): Promise<ChannelInbound<Ref>>;
}

/** A channel that answers the request itself: TwiML, VoiceXML, an Alexa or AliGenie response. */
export interface CollectChannelAdapter<Raw, Ref, Rendered> extends ChannelAdapterBase<Raw, Ref> {
  readonly capabilities: ChannelCapabilities & { delivery: 'collect' };
  /** The answer to a turn (`result`) or to a session start / end (`result` undefined). */
  render(
    ref: Ref,
    result: TurnResult | undefined,
    inbound: ChannelInbound<Ref>,
  ): Promise<Rendered> | Rendered;
}

/** A channel that sends messages whenever they are stored: WebSocket, SSE, MQTT, Agents. */
export interface PushChannelAdapter<Raw, Ref> extends ChannelAdapterBase<Raw, Ref> {
  readonly capabilities: ChannelCapabilities & { delivery: 'push' };
  /** Sends stored messages (bot and agent; the customer's own echo is the adapter's choice) to `ref`. */
  deliver(ref: Ref, messages: StoredMessage[]): Promise<void>;
}
