/**
 * Request/reply correlation over any message channel (webview <-> host, host <-> worker).
 * Requests carry an id; the other side answers with a `reply` carrying the same id and either a
 * result or an error. Requests time out; `dispose()` rejects everything pending. No vscode, node
 * or DOM types here: the caller passes a `post` function and feeds incoming messages to `handle`.
 */

/** A request envelope on the wire. */
export interface RpcRequest<M extends string = string, P = unknown> {
  readonly kind: 'request';
  readonly id: number;
  readonly method: M;
  readonly params: P;
}

/** A reply envelope: exactly one of result or error. */
export type RpcReply =
  | { readonly kind: 'reply'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly kind: 'reply'; readonly id: number; readonly ok: false; readonly error: RpcErrorPayload };

/** A one-way notification (no reply). */
export interface RpcNotification<M extends string = string, P = unknown> {
  readonly kind: 'notify';
  readonly method: M;
  readonly params: P;
}

/** An error as it crosses the channel. `code` is the engine's stable error code when it has one. */
export interface RpcErrorPayload {
  readonly message: string;
  readonly code?: string;
  /** The engine's error kind ('bad-input' | 'failure' | 'cancelled') when it has one. */
  readonly kind?: string;
}

export type RpcMessage = RpcRequest | RpcReply | RpcNotification;

/** The error a caller sees when the other side replied with an error or never replied. */
export class RpcError extends Error {
  readonly code: string | undefined;
  readonly kind: string | undefined;
  constructor(payload: RpcErrorPayload) {
    super(payload.message);
    this.name = 'RpcError';
    this.code = payload.code;
    this.kind = payload.kind;
  }
}

/** Narrow an unknown incoming value to an RPC envelope. */
export function isRpcMessage(value: unknown): value is RpcMessage {
  if (typeof value !== 'object' || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  return kind === 'request' || kind === 'reply' || kind === 'notify';
}

/** Timers exist in every host we run in (browser, Node, workers); the protocol has no lib for them. */
const timers = globalThis as unknown as {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
};

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: unknown;
}

/** Methods this side can call on the other: method name -> [params, result]. */
export type MethodMap = Record<string, [unknown, unknown]>;
/** Notifications this side can send: method name -> params. */
export type NotificationMap = Record<string, unknown>;

export interface RpcEndpointOptions<In extends MethodMap, InNotes extends NotificationMap> {
  /** Sends a message to the other side (transfer lists are the caller's business). */
  post(message: RpcMessage): void;
  /** Serves the other side's requests; throw to send an error reply. */
  onRequest?: <M extends keyof In & string>(method: M, params: In[M][0]) => Promise<In[M][1]> | In[M][1];
  /** Receives the other side's notifications. */
  onNotify?: <M extends keyof InNotes & string>(method: M, params: InNotes[M]) => void;
  /** Default timeout of a request in milliseconds (0 = none). */
  timeoutMs?: number;
}

/**
 * One end of a typed RPC channel. `Out` are the methods we call, `In` those we serve;
 * `OutNotes`/`InNotes` the notifications we send and receive.
 */
export class RpcEndpoint<
  Out extends MethodMap,
  In extends MethodMap,
  OutNotes extends NotificationMap,
  InNotes extends NotificationMap,
> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private disposed = false;

  constructor(private readonly options: RpcEndpointOptions<In, InNotes>) {}

  /** Calls a method on the other side; rejects with RpcError on an error reply or timeout. */
  request<M extends keyof Out & string>(method: M, params: Out[M][0], timeoutMs = this.options.timeoutMs ?? 30_000): Promise<Out[M][1]> {
    if (this.disposed) return Promise.reject(new RpcError({ message: `channel closed before "${method}" was sent`, code: 'rpc.disposed' }));
    const id = this.nextId++;
    return new Promise<Out[M][1]>((resolve, reject) => {
      const timer = timeoutMs > 0
        ? timers.setTimeout(() => {
          this.pending.delete(id);
          reject(new RpcError({ message: `"${method}" got no reply within ${timeoutMs} ms`, code: 'rpc.timeout' }));
        }, timeoutMs)
        : undefined;
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.options.post({ kind: 'request', id, method, params });
    });
  }

  /** Sends a one-way notification. */
  notify<M extends keyof OutNotes & string>(method: M, params: OutNotes[M]): void {
    if (!this.disposed) this.options.post({ kind: 'notify', method, params });
  }

  /** Feeds an incoming message; returns false when it was not an RPC message. */
  handle(message: unknown): boolean {
    if (this.disposed || !isRpcMessage(message)) return false;
    switch (message.kind) {
      case 'reply': this.settle(message); break;
      case 'request': void this.serve(message); break;
      case 'notify': this.options.onNotify?.(message.method as keyof InNotes & string, message.params as InNotes[keyof InNotes & string]); break;
    }
    return true;
  }

  /** Rejects every pending request and ignores later messages. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const [id, pending] of this.pending) {
      if (pending.timer !== undefined) timers.clearTimeout(pending.timer);
      pending.reject(new RpcError({ message: `channel closed while request ${id} was pending`, code: 'rpc.disposed' }));
    }
    this.pending.clear();
  }

  private settle(reply: RpcReply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (pending.timer !== undefined) timers.clearTimeout(pending.timer);
    if (reply.ok) pending.resolve(reply.result);
    else pending.reject(new RpcError(reply.error));
  }

  private async serve(request: RpcRequest): Promise<void> {
    const handler = this.options.onRequest;
    try {
      if (!handler) throw new RpcError({ message: `no handler for "${request.method}"`, code: 'rpc.no-handler' });
      const result = await handler(request.method as keyof In & string, request.params as In[keyof In & string][0]);
      if (!this.disposed) this.options.post({ kind: 'reply', id: request.id, ok: true, result });
    } catch (error) {
      if (!this.disposed) this.options.post({ kind: 'reply', id: request.id, ok: false, error: toErrorPayload(error) });
    }
  }
}

/** Converts anything thrown into a payload that survives structured cloning. */
export function toErrorPayload(error: unknown): RpcErrorPayload {
  if (error instanceof Error) {
    const { code, kind } = error as { code?: unknown; kind?: unknown };
    return {
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof kind === 'string' ? { kind } : {}),
    };
  }
  return { message: String(error) };
}

/** Exhaustiveness guard for discriminated-union switches. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
