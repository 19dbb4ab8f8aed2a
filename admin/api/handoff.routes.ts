import type { Request, Response } from 'express';
import { z } from 'zod';
import { errors } from '../../bot/errors';
import { topics } from '../../bot/events';
import type { AgentEvent } from '../../bot/handoff/handoff.service';
import { summarize } from '../../bot/handoff/summary';
import { rankSuggestions } from '../../bot/handoff/suggestions';
import type { CustomerProfile, OrderSummary } from '../../bot/handoff/context';
import { OPEN, QUEUED, type HandoffStatus } from '../../bot/handoff/state-machine';
import {
  agentOf,
  bearerToken,
  jsonBody,
  parseInput,
  requireShopKey,
  requireShopOrAgent,
  shopOf,
} from '../../bot/http';
import type { Platform } from '../../bot/platform';
import type { HttpModule } from '../../bot/server';
import type { Handoff } from '../../bot/store/handoffs.repo';
import { withTimeout } from '../../bot/timeout';
import {
  agentMessageSchema,
  approveSchema,
  byAgentSchema,
  createAgentSchema,
  listSchema,
  resolveSchema,
  statusSchema,
  transferSchema,
} from './handoff.schemas';

const SSE_HEARTBEAT_MS = 15_000;
const CUSTOMER_LOOKUP_MS = 3000;

/**
 * Agents and handoff (specs/http-api.md): agents, the queue, assignment, transfer, resolve, the
 * agent's context and suggestions (蜂槽), replies, assist-mode drafts, tickets, and one live event
 * stream for the workspace. A shop key acts for any of its agents (naming `agentId`); an agent's
 * token acts for that agent only.
 */
export function createHandoffApi(platform: Platform, options: { heartbeatMs?: number } = {}): HttpModule {
  const { store, handoffs } = platform;
  const auth = { store, adminToken: platform.adminToken };
  const shopRoute = '/api/v1/shops/:shopId';
  const streams = new Set<Response>();
  const heartbeatMs = options.heartbeatMs ?? SSE_HEARTBEAT_MS;

  /** The agent a request acts as: the token's own agent, or the `agentId` a shop key names. */
  function actingAgent(res: Response, named: string | undefined, required = true): string | undefined {
    const agent = agentOf(res);
    if (agent) {
      if (named && named !== agent.id) throw errors.forbidden('An agent can act only for themselves.');
      return agent.id;
    }
    if (!named && required)
      throw errors.badRequest('agentId is required with a shop key.', 'VALIDATION_FAILED');
    return named;
  }

  async function view(h: Handoff, positions?: Map<string, number>) {
    const position = QUEUED.includes(h.status)
      ? (positions ?? (await handoffs.positions(h.shopId))).get(h.id)
      : undefined;
    const { shopId: _shop, ...rest } = h;
    return { ...rest, ...(position !== undefined ? { position } : {}) };
  }

  async function conversationOf(req: Request, res: Response) {
    const conversation = await store.conversations.findById(
      shopOf(res).id,
      String(req.params.conversationId),
    );
    if (!conversation) throw errors.notFound('Conversation');
    return conversation;
  }

  return {
    id: 'handoff',
    mount(app) {
      const guard = requireShopOrAgent(auth);

      app.post(`${shopRoute}/agents`, requireShopKey(auth), jsonBody(), async (req, res) => {
        const input = parseInput(createAgentSchema, req.body);
        const { agent, token } = await handoffs.createAgent(shopOf(res).id, input);
        platform.log.info({ shopId: agent.shopId, agentId: agent.id, tier: agent.tier }, 'agent created');
        res.status(201).json({ ...agent, token });
      });

      app.get(`${shopRoute}/agents`, guard, async (_req, res) => {
        const [agents, load] = await Promise.all([
          store.agents.list(shopOf(res).id),
          store.handoffs.assignedCounts(shopOf(res).id),
        ]);
        res.json({ agents: agents.map((a) => ({ ...a, active: load.get(a.id) ?? 0 })) });
      });

      app.delete(`${shopRoute}/agents/:agentId`, requireShopKey(auth), async (req, res) => {
        await handoffs.removeAgent(shopOf(res).id, String(req.params.agentId));
        res.status(204).end();
      });

      app.get('/api/v1/agents/me', async (req, res) => {
        const token = bearerToken(req);
        const agent = token ? await store.agents.findByToken(token) : undefined;
        if (!agent) throw errors.unauthorized('Sign in with your agent token.');
        res.json(agent);
      });

      app.put(`${shopRoute}/agents/:agentId/status`, guard, jsonBody(), async (req, res) => {
        const { status } = parseInput(statusSchema, req.body);
        const id = actingAgent(res, String(req.params.agentId))!;
        res.json(await handoffs.setAgentStatus(shopOf(res).id, id, status));
      });

      app.get(`${shopRoute}/handoffs`, guard, async (req, res) => {
        const query = parseInput(listSchema, req.query);
        const statuses: readonly HandoffStatus[] =
          query.status === 'queue'
            ? QUEUED
            : query.status === 'open' || !query.status
              ? OPEN
              : [query.status as HandoffStatus];
        const list = await store.handoffs.list(shopOf(res).id, {
          statuses,
          agentId: query.agentId,
          limit: query.limit,
        });
        const positions = await handoffs.positions(shopOf(res).id);
        res.json({ handoffs: await Promise.all(list.map((h) => view(h, positions))) });
      });

      app.get(`${shopRoute}/handoffs/:handoffId`, guard, async (req, res) => {
        const h = await store.handoffs.get(shopOf(res).id, String(req.params.handoffId));
        if (!h) throw errors.notFound('Handoff');
        res.json(await view(h));
      });

      app.post(`${shopRoute}/handoffs/next`, guard, jsonBody(), async (req, res) => {
        const body = parseInput(byAgentSchema, req.body ?? {});
        const taken = await handoffs.takeNext(shopOf(res).id, actingAgent(res, body.agentId)!);
        if (!taken) {
          res.status(204).end();
          return;
        }
        res.json(await view(taken));
      });

      app.post(`${shopRoute}/handoffs/:handoffId/assign`, guard, jsonBody(), async (req, res) => {
        const body = parseInput(byAgentSchema, req.body ?? {});
        const assigned = await handoffs.assign(
          shopOf(res).id,
          String(req.params.handoffId),
          actingAgent(res, body.agentId)!,
        );
        res.json(await view(assigned));
      });

      app.post(`${shopRoute}/handoffs/:handoffId/transfer`, guard, jsonBody(), async (req, res) => {
        const body = parseInput(transferSchema, req.body);
        const transferred = await handoffs.transfer(shopOf(res).id, String(req.params.handoffId), {
          tier: body.tier,
          note: body.note,
          agentId: actingAgent(res, body.agentId, false),
        });
        res.json(await view(transferred));
      });

      app.post(`${shopRoute}/handoffs/:handoffId/resolve`, guard, jsonBody(), async (req, res) => {
        const body = parseInput(resolveSchema, req.body);
        const resolved = await handoffs.resolve(shopOf(res).id, String(req.params.handoffId), {
          returnToBot: body.returnToBot,
          agentId: actingAgent(res, body.agentId, false),
        });
        res.json(await view(resolved));
      });

      app.get(`${shopRoute}/conversations/:conversationId/context`, guard, async (req, res) => {
        const shop = shopOf(res);
        const conversation = await conversationOf(req, res);
        const settings = await store.shops.getSettings(shop.id);
        const handoff =
          (await store.handoffs.findOpen(shop.id, conversation.id)) ??
          (await store.handoffs.latestFor(shop.id, conversation.id));
        const transcript = await store.conversations.recentMessages(shop.id, conversation.id, 200);
        const customers = handoffs.customers;
        let profile: CustomerProfile | undefined;
        let recentOrders: OrderSummary[] = [];
        const warnings: string[] = [];
        // Order data only for a customer the shop vouched for.
        if (conversation.verified && customers) {
          const lookup = { shop, settings, userId: conversation.userId };
          [profile, recentOrders] = await Promise.all([
            withTimeout(customers.profile(lookup), CUSTOMER_LOOKUP_MS).catch(() => {
              warnings.push('The customer profile could not be read from the shop’s backend.');
              return undefined;
            }),
            withTimeout(customers.recentOrders({ ...lookup, limit: 5 }), CUSTOMER_LOOKUP_MS).catch(() => {
              warnings.push('Recent orders could not be read from the shop’s backend.');
              return [];
            }),
          ]);
        }
        const agentLocale = agentOf(res)?.languages[0] ?? conversation.locale ?? shop.locales[0] ?? 'zh-CN';
        const reason = handoff?.reason ?? null;
        res.json({
          conversation: {
            id: conversation.id,
            userId: conversation.userId,
            channel: conversation.channel,
            verified: conversation.verified,
            locale: conversation.locale,
            status: conversation.status,
          },
          handoff: handoff ? await view(handoff) : null,
          reason,
          reasonText: reason ? handoffs.t(agentLocale, `reason.${reason}`) : null,
          profile: { userId: conversation.userId, verified: conversation.verified, ...profile },
          recentOrders,
          summary: summarize({
            locale: agentLocale,
            transcript,
            reason,
            userId: conversation.userId,
            verified: conversation.verified,
            profile,
            orders: recentOrders,
            titleOf: (intent) => platform.router.titleOf(intent, agentLocale),
            reasonLabel: (r) => handoffs.t(agentLocale, `reason.${r}`),
          }),
          transcript,
          ...(warnings.length ? { warnings } : {}),
        });
      });

      app.get(`${shopRoute}/conversations/:conversationId/suggestions`, guard, async (req, res) => {
        const shop = shopOf(res);
        const conversation = await conversationOf(req, res);
        const recent = await store.conversations.recentMessages(shop.id, conversation.id, 30);
        // The customer's latest question — not "转人工", which only asked for the agent.
        const question = [...recent]
          .reverse()
          .find(
            (m) =>
              m.role === 'user' &&
              m.text &&
              (m.nlu as { intent?: string } | undefined)?.intent !== 'common.human',
          );
        if (!question?.text) {
          res.json({ suggestions: [] });
          return;
        }
        const model = await platform.models.get(shop.id);
        const [nlu, pastAnswers] = await Promise.all([
          model.parse({ text: question.text, locale: conversation.locale ?? undefined }),
          store.conversations.agentAnswers(shop.id, { excludeConversationId: conversation.id }),
        ]);
        res.json({
          question: question.text,
          suggestions: rankSuggestions({ question: question.text, knowledge: nlu.knowledge, pastAnswers }),
        });
      });

      app.post(
        `${shopRoute}/conversations/:conversationId/agent-messages`,
        guard,
        jsonBody('64kb'),
        async (req, res) => {
          const body = parseInput(agentMessageSchema, req.body);
          const conversation = await conversationOf(req, res);
          const message = await handoffs.agentMessage(
            shopOf(res).id,
            conversation.id,
            actingAgent(res, body.agentId)!,
            body.text,
          );
          res.status(201).json({ message });
        },
      );

      app.get(`${shopRoute}/drafts`, guard, async (req, res) => {
        const status = z.enum(['pending', 'sent', 'discarded']).default('pending').parse(req.query.status);
        res.json({ drafts: await store.drafts.list(shopOf(res).id, status) });
      });

      app.post(`${shopRoute}/drafts/:draftId/approve`, guard, jsonBody('64kb'), async (req, res) => {
        const body = parseInput(approveSchema, req.body ?? {});
        res.json(
          await handoffs.approveDraft(shopOf(res).id, String(req.params.draftId), {
            agentId: actingAgent(res, body.agentId, false),
            text: body.text,
          }),
        );
      });

      app.post(`${shopRoute}/drafts/:draftId/discard`, guard, jsonBody(), async (req, res) => {
        const body = parseInput(byAgentSchema, req.body ?? {});
        res.json(
          await handoffs.discardDraft(
            shopOf(res).id,
            String(req.params.draftId),
            actingAgent(res, body.agentId, false),
          ),
        );
      });

      app.get(`${shopRoute}/tickets`, guard, async (req, res) => {
        const status = z.enum(['open', 'closed']).default('open').parse(req.query.status);
        res.json({ tickets: await store.tickets.list(shopOf(res).id, status) });
      });

      app.post(`${shopRoute}/tickets/:ticketId/close`, guard, jsonBody(), async (req, res) => {
        const body = parseInput(byAgentSchema, req.body ?? {});
        res.json(
          await handoffs.closeTicket(
            shopOf(res).id,
            String(req.params.ticketId),
            actingAgent(res, body.agentId, false),
          ),
        );
      });

      // One stream for the workspace: queue changes, messages of handed-over conversations, drafts, tickets.
      app.get(`${shopRoute}/agent-events`, guard, async (req, res) => {
        const shop = shopOf(res);
        const agent = agentOf(res);
        res.writeHead(200, {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-cache, no-transform',
          Connection: 'keep-alive',
          'X-Accel-Buffering': 'no',
        });
        res.write('retry: 3000\n\n');
        const unsubscribe = await platform.events.subscribe(topics.agents(shop.id), (e) => {
          const event = e as AgentEvent;
          const { type, ...data } = event;
          res.write(`event: ${type}\ndata: ${JSON.stringify(stripShop(data))}\n\n`);
        });
        const heartbeat = setInterval(() => {
          res.write(': keep-alive\n\n');
          // Presence, and a removed agent's stream does not outlive their token by more than a beat.
          if (agent) {
            void store.agents.touch(agent.id).then(
              (exists) => {
                if (!exists) {
                  cleanup();
                  res.end();
                }
              },
              () => undefined,
            );
          }
        }, heartbeatMs);
        streams.add(res);
        const cleanup = () => {
          clearInterval(heartbeat);
          unsubscribe();
          streams.delete(res);
        };
        req.on('close', cleanup);
        res.on('close', cleanup);
        res.on('error', cleanup);
      });
    },
    async close() {
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}

/** Events carry a handoff, draft or ticket as the API shows it (without the internal shopId). */
function stripShop(data: Record<string, unknown>): unknown {
  const [key] = Object.keys(data);
  if (key && key !== 'conversationId' && typeof data[key] === 'object' && data[key] !== null) {
    const { shopId: _s, ...rest } = data[key] as Record<string, unknown>;
    return rest;
  }
  return data;
}
