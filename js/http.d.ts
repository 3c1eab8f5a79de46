// Types of `wireplan/http` (src/http.js): a wireplan app behind Node's HTTP
// server. Structural request/response/server types, so no `@types/node` is
// needed; `node:http`'s objects (and Express's, which extend them) fit.
import type { App, Scope } from "./index.js";

/** What `wireplan/http` reads of a request (`node:http`'s `IncomingMessage` fits). */
export interface RequestLike {
  method?: string;
  url?: string;
  /** Set by `withRequestScope`, `openRequestScope` and `scopeMiddleware`. */
  scope?: Scope;
}

/** What `wireplan/http` uses of a response (`node:http`'s `ServerResponse` fits). */
export interface ResponseLike {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly writableFinished: boolean;
  setHeader(name: string, value: string): unknown;
  end(chunk?: any): unknown;
  destroy(): unknown;
  on(event: "finish" | "close", listener: () => void): unknown;
  off(event: "finish" | "close", listener: () => void): unknown;
}

/** What `serve` and `drain` use of a server (`node:http`'s `Server` fits). */
export interface ServerLike {
  readonly listening: boolean;
  listen(port: number, host: string | undefined, callback: () => void): unknown;
  close(callback?: (error?: Error) => void): unknown;
  address(): unknown;
  on(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  closeIdleConnections?(): void;
  closeAllConnections?(): void;
}

/** Options of `withRequestScope`. */
export interface RequestScopeOptions<Req, Res> {
  /** Answers a failed request (must end the response); default: a 500 and the error on stderr. */
  onError?: (error: unknown, req: Req, res: Res) => void;
}

/**
 * A `node:http` request listener running `handler` in a scope of its own
 * (also `req.scope`), closed when the response is done; a throw or
 * rejection tells its disposers the error and answers 500.
 */
export function withRequestScope<Req extends RequestLike, Res extends ResponseLike>(
  app: App,
  handler: (req: Req & { scope: Scope }, res: Res, scope: Scope) => unknown,
  options?: RequestScopeOptions<Req, Res>,
): (req: Req, res: Res) => void;

/**
 * Opens a scope for one request (also `req.scope`), closed once when the
 * response finishes (clean unless `failRequest` marked it) or the connection
 * closes first (an error).
 */
export function openRequestScope(app: App, req: RequestLike, res: ResponseLike, onClosed?: ((error: unknown) => void) | null): Scope;

/** Marks the request failed: its scope's disposers are told `error`. */
export function failRequest(req: RequestLike, error?: unknown): void;

/** Express/Connect middleware giving `req.scope`. */
export function scopeMiddleware(app: App): (req: RequestLike, res: ResponseLike, next: (error?: unknown) => void) => void;

/** Express error middleware: marks the request failed, passes the error on. */
export function scopeErrors(): (error: unknown, req: RequestLike, res: ResponseLike, next: (error?: unknown) => void) => void;

/** Options of `healthEndpoints`. */
export interface HealthEndpointOptions {
  /** Default `/livez`. */
  liveness?: string;
  /** Default `/readyz`. */
  readiness?: string;
}

/** Answers GET/HEAD of the liveness and readiness paths with JSON (200 or 503); false for any other request. */
export function healthEndpoints(app: App, options?: HealthEndpointOptions): (req: RequestLike, res: ResponseLike) => boolean;

/** Options of `drain`. */
export interface DrainOptions {
  /** Then the remaining connections are destroyed (ms); default none. */
  timeout?: number | null;
}

/** Stops accepting; resolves when the requests in flight have finished and their connections closed. */
export function drain(server: ServerLike, options?: DrainOptions): Promise<void>;

/** Options of `serve`. */
export interface ServeOptions {
  /** Default 0 (an ephemeral port). */
  port?: number;
  host?: string;
  /** Default SIGINT and SIGTERM. */
  signals?: string[];
  /** The most time the requests in flight get once signalled (ms); default none. */
  drainTimeout?: number;
  onListening?: (address: unknown) => void;
}

/**
 * Listens (unless listening), then runs the app until signalled: the server
 * stops accepting, requests in flight finish, then the app stops; resolves
 * the exit code (`App#run`).
 */
export function serve(app: App, server: ServerLike, options?: ServeOptions): Promise<number>;
