import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The platform's Prometheus metrics, one registry per server so tests can run several. */
export class Metrics {
  readonly registry = new Registry();
  readonly turns = new Counter({
    name: 'kefu_turns_total',
    help: 'Turns processed, by channel and outcome',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly turnSeconds = new Histogram({
    name: 'kefu_turn_duration_seconds',
    help: 'Time from receiving a message to the stored reply',
    labelNames: ['channel'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly turnsRunning = new Gauge({
    name: 'kefu_turns_running',
    help: 'Turns running now in this process (at most KEFU_MAX_CONCURRENT_TURNS)',
    registers: [this.registry],
  });
  readonly turnsQueued = new Gauge({
    name: 'kefu_turns_queued',
    help: 'Turns waiting for a slot in this process (at most KEFU_MAX_QUEUED_TURNS)',
    registers: [this.registry],
  });
  readonly turnsRejected = new Counter({
    name: 'kefu_turns_rejected_total',
    help: 'Turns refused with OVERLOADED (429), by reason: queue_full or wait_timeout',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly webSockets = new Gauge({
    name: 'kefu_web_sockets',
    help: 'Widget WebSockets open in this process (at most KEFU_MAX_WEB_SOCKETS)',
    registers: [this.registry],
  });
  readonly stateConflicts = new Counter({
    name: 'kefu_state_conflicts_total',
    help: 'Turns re-run because another turn saved the conversation state first (the lock should prevent it)',
    registers: [this.registry],
  });
  readonly handoffs = new Counter({
    name: 'kefu_handoffs_total',
    help: 'Handoffs requested, by reason and tier',
    labelNames: ['reason', 'tier'] as const,
    registers: [this.registry],
  });
  readonly handoffWaitSeconds = new Histogram({
    name: 'kefu_handoff_wait_seconds',
    help: 'Time a customer waited in the queue before an agent took the conversation',
    buckets: [5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: 'kefu_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  /** Where kefu_db_queries_total reads its count (the database's query counter), set by the platform. */
  private queryCount: () => number = () => 0;
  readonly dbQueries: Counter = (() => {
    const read = () => this.queryCount();
    return new Counter({
      name: 'kefu_db_queries_total',
      help: 'Database queries sent (read when scraped: counting costs one increment per query)',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  })();

  /** Counts the database's queries in kefu_db_queries_total. */
  countQueries(read: () => number): void {
    this.queryCount = read;
  }

  constructor(opts: { defaults?: boolean } = {}) {
    if (opts.defaults !== false) collectDefaultMetrics({ register: this.registry, prefix: 'kefu_' });
  }
}
