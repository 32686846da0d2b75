import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ClusterClient, ClusterRequestError } from '../cluster-client.js';
import { CLUSTER_OPTIONS, type ClusterOptions } from '../cluster-options.js';
import { CLUSTER_PREFIX, type HeartbeatRequest, type RegisterRequest } from '../protocol.js';
import { NodeStateService } from './node-state.service.js';
import { SchemaSyncService } from './schema-sync.service.js';

const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 15_000;

/** Full-jitter exponential backoff: a random wait in [0, min(cap, base·2^attempt)]. */
export function backoffDelay(attempt: number, random = Math.random): number {
  return Math.round(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16)));
}

export interface MembershipStatus {
  registered: boolean;
  lastContact: Date | undefined;
  lastError: string | undefined;
}

/**
 * Work node membership: registers with management (retrying in the background, never blocking
 * the node from serving), sends heartbeats, registers again when management forgot it, and
 * deregisters on shutdown.
 */
@Injectable()
export class RegistrationService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Registration');
  private registered = false;
  private lastContact: Date | undefined;
  private lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private attempt = 0;

  constructor(
    @Inject(CLUSTER_OPTIONS) private readonly options: ClusterOptions,
    @Inject(ClusterClient) private readonly client: ClusterClient,
    @Inject(NodeStateService) private readonly state: NodeStateService,
    @Inject(SchemaSyncService) private readonly sync: SchemaSyncService,
  ) {}

  get status(): MembershipStatus {
    return { registered: this.registered, lastContact: this.lastContact, lastError: this.lastError };
  }

  onApplicationBootstrap(): void {
    // Register once the node serves a schema, so management sees it ready from the first check.
    void this.sync.firstApplied.then(() => this.schedule(0, () => this.register()));
  }

  /** Runs alongside NodeStateService's drain: management stops pushing to this node at once. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.deregister();
  }

  private schedule(delayMs: number, step: () => Promise<void>): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void step(), delayMs);
  }

  private async register(): Promise<void> {
    const body: RegisterRequest = {
      name: this.options.nodeName,
      url: this.options.nodeUrl,
      version: this.options.version,
      startedAt: this.state.startedAt.toISOString(),
      schemaVersion: this.sync.appliedVersion,
      ready: this.state.state === 'ready',
    };
    try {
      const res = await this.call('POST', `${CLUSTER_PREFIX}/nodes`, body);
      if (res.status !== 200)
        throw new ClusterRequestError(`registration refused with HTTP ${res.status}`, res.status);
      if (!this.registered) this.logger.log(`registered with management at ${this.options.managementUrl}`);
      this.registered = true;
      this.attempt = 0;
      this.schedule(this.options.heartbeatMs, () => this.heartbeat());
    } catch (err) {
      this.registered = false;
      const delay = backoffDelay(this.attempt++);
      this.note(err as Error, `registration failed; retrying in ${delay} ms`);
      this.schedule(delay, () => this.register());
    }
  }

  private async heartbeat(): Promise<void> {
    const body: HeartbeatRequest = {
      schemaVersion: this.sync.appliedVersion,
      ready: this.state.state === 'ready',
      draining: this.state.isDraining,
    };
    try {
      const res = await this.call(
        'POST',
        `${CLUSTER_PREFIX}/nodes/${encodeURIComponent(this.options.nodeName)}/heartbeat`,
        body,
      );
      if (res.status === 404) {
        this.logger.warn('management does not know this node; registering again');
        this.registered = false;
        return this.schedule(0, () => this.register());
      }
      if (res.status !== 200)
        throw new ClusterRequestError(`heartbeat refused with HTTP ${res.status}`, res.status);
      const latest = (res.body as { schemaVersion?: number }).schemaVersion ?? 0;
      if (latest > this.sync.appliedVersion) void this.sync.syncTo(latest).catch(() => undefined);
    } catch (err) {
      this.note(err as Error, 'heartbeat failed');
    }
    this.schedule(this.options.heartbeatMs, () => this.heartbeat());
  }

  private async deregister(): Promise<void> {
    if (!this.registered) return;
    try {
      await this.call(
        'DELETE',
        `${CLUSTER_PREFIX}/nodes/${encodeURIComponent(this.options.nodeName)}`,
        undefined,
      );
      this.registered = false;
      this.logger.log('deregistered from management');
    } catch (err) {
      this.logger.warn(
        `deregistration failed (management will drop this node by health checks): ${(err as Error).message}`,
      );
    }
  }

  private async call(method: 'POST' | 'DELETE', path: string, body: unknown) {
    const res = await this.client.request<unknown>(
      this.options.managementUrl!,
      method,
      path,
      body,
      this.options.timeoutMs,
    );
    this.lastContact = new Date();
    this.lastError = undefined;
    return res;
  }

  /** Logs a failure once per change of message, so a long outage does not flood the log. */
  private note(err: Error, what: string): void {
    if (err.message !== this.lastError) this.logger.warn(`${what}: ${err.message}`);
    this.lastError = err.message;
  }
}
