// `wireplan/http`: a wireplan app behind Node's HTTP server. A scope per
// request (closed when the response is done, told the error when the
// handler failed), health endpoints, and serving until SIGTERM with
// in-flight requests finishing. Framework-free: it works with the
// `(req, res)` of `node:http` (and so with Express, Fastify's raw objects,
// or anything built on them) and imports nothing; the main entry
// (`wireplan`) never imports this file.

const FAILED = Symbol("wireplan.requestError");

/** The error a request ended with, or null. */
function requestError(req) {
  return req[FAILED] ?? null;
}

/**
 * Marks the request as failed: its scope's disposers are told `error` when
 * the scope closes (a unit of work rolls back instead of committing). For
 * framework error hooks (Express error middleware, Fastify's `onError`).
 */
export function failRequest(req, error) {
  if (req === null || typeof req !== "object") throw new TypeError("wireplan: `failRequest(req, error)` needs the request");
  if (req[FAILED] === undefined || req[FAILED] === null) {
    req[FAILED] = error === undefined ? new Error("wireplan: the request failed") : error;
  }
}

function checkApp(app, what) {
  if (app === null || typeof app !== "object" || typeof app.scope !== "function") {
    throw new TypeError(`wireplan: \`${what}\` needs a started app (\`await plan.start()\`)`);
  }
}

/**
 * Opens a scope for one request and closes it once, when the response is
 * done: `finish` (a clean exit, unless `failRequest` marked it) or `close`
 * before the response was sent (the client went away: an error). Returns
 * the scope, also set as `req.scope`. `onClosed(error)` (optional) learns
 * what closing it met.
 */
export function openRequestScope(app, req, res, onClosed = null) {
  checkApp(app, "openRequestScope");
  const scope = app.scope();
  req.scope = scope;
  let closed = false;
  const close = (error) => {
    if (closed) return;
    closed = true;
    res.off("finish", onFinish);
    res.off("close", onClose);
    const why = error ?? requestError(req) ?? undefined;
    scope.stop(why === undefined ? undefined : { error: why }).then(
      () => onClosed?.(null),
      (stopError) => {
        if (onClosed !== null) onClosed(stopError);
        else console.error(`wireplan: closing the scope of ${req.method} ${req.url} failed: ${stopError.message}`);
      },
    );
  };
  const onFinish = () => close(null);
  const onClose = () => close(res.writableFinished ? null : new Error("wireplan: the client closed the connection before the response was complete"));
  res.on("finish", onFinish);
  res.on("close", onClose);
  // Opened after the response ended (a request that waited for a reload,
  // or an async middleware before this one): its events are past, so the
  // scope closes now, as they would have closed it.
  if (res.writableFinished) close(null);
  else if (res.destroyed) onClose();
  return scope;
}

/**
 * A `node:http` request listener running `handler(req, res, scope)` in a
 * scope of its own (`req.scope` too). The scope closes when the response
 * is done; if the handler throws or rejects, its disposers are told the
 * error, and a response not yet begun gets a 500 (`onError(error, req,
 * res)` replaces that: it must end the response). A request that arrives
 * during `app.reload()` waits for it and runs on the plan it leaves; one
 * that arrives once the app is stopping gets a 503.
 */
export function withRequestScope(app, handler, options = {}) {
  checkApp(app, "withRequestScope");
  if (typeof handler !== "function") throw new TypeError("wireplan: `withRequestScope(app, handler)` needs a handler function");
  const onError = options.onError ?? defaultOnError;
  if (typeof onError !== "function") throw new TypeError("wireplan: `onError` must be a function");
  const listener = (req, res) => {
    let scope;
    try {
      scope = openRequestScope(app, req, res);
    } catch {
      // Reloading: the request waits for the new plan. Stopping or
      // stopped: no new unit of work.
      const reloading = app.reloading;
      if (reloading === null || reloading === undefined) respond(res, 503, "Service Unavailable");
      else reloading.then(() => (res.destroyed ? undefined : listener(req, res)));  // a client gone meanwhile: nothing to run
      return;
    }
    handle(req, res, scope);
  };
  function handle(req, res, scope) {
    const fail = (error) => {
      failRequest(req, error);
      try {
        onError(error, req, res);
      } catch (again) {
        console.error(`wireplan: onError threw: ${again instanceof Error ? again.message : String(again)}`);
        if (!res.writableEnded) res.destroy();
      }
    };
    let result;
    try {
      result = handler(req, res, scope);
    } catch (error) {
      fail(error);
      return;
    }
    if (result !== null && typeof result === "object" && typeof result.then === "function") result.then(undefined, fail);
  }
  return listener;
}

function respond(res, status, text) {
  if (res.headersSent) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  res.statusCode = status;
  res.setHeader("content-type", "text/plain; charset=utf-8");
  res.end(`${text}\n`);
}

function defaultOnError(error, req, res) {
  console.error(`wireplan: ${req.method} ${req.url} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  respond(res, 500, "Internal Server Error");
}

/**
 * Express/Connect middleware: `req.scope` for every request, closed when
 * the response is done. Pair it with `scopeErrors()` after the routes so a
 * failed request's scope is told the error.
 */
export function scopeMiddleware(app) {
  checkApp(app, "scopeMiddleware");
  const middleware = (req, res, next) => {
    try {
      openRequestScope(app, req, res);
    } catch (error) {
      // Reloading: wait for the new plan; stopping or stopped: the framework's error path.
      const reloading = app.reloading;
      if (reloading === null || reloading === undefined) next(error);
      else reloading.then(() => middleware(req, res, next));
      return;
    }
    next();
  };
  return middleware;
}

/** Express error middleware: marks the request failed (see `failRequest`) and passes the error on. */
export function scopeErrors() {
  return (error, req, res, next) => {
    failRequest(req, error);
    next(error);
  };
}

/**
 * The endpoints orchestrators probe: a function `(req, res) -> boolean`
 * that answers GET/HEAD of `liveness` (default `/livez`: `app.liveness()`)
 * and `readiness` (default `/readyz`: `await app.health()`) with JSON, 200
 * when the status is `pass` and 503 otherwise, and returns false for any
 * other request (so a listener calls it first).
 */
export function healthEndpoints(app, options = {}) {
  checkApp(app, "healthEndpoints");
  const liveness = options.liveness ?? "/livez";
  const readiness = options.readiness ?? "/readyz";
  return (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const path = (req.url ?? "").split("?")[0];
    if (path !== liveness && path !== readiness) return false;
    const send = (body) => {
      res.statusCode = body.status === "pass" ? 200 : 503;
      res.setHeader("content-type", "application/json");
      res.setHeader("cache-control", "no-store");
      res.end(req.method === "HEAD" ? undefined : JSON.stringify(body));
    };
    if (path === liveness) send(app.liveness());
    else {
      app
        .health()
        .then(send, (error) => send({ status: "fail", checks: [], error: error instanceof Error ? error.message : String(error) }))
        // Sending failed (the response was ended elsewhere): no unhandled rejection, the connection closed.
        .catch((error) => res.destroy(error));
    }
    return true;
  };
}

/**
 * Stops `server` accepting connections and resolves when every request in
 * flight has finished and its connection closed (idle keep-alive
 * connections are closed at once, and each busy one once its response is
 * done). `timeout` (ms): then the remaining connections are destroyed.
 */
export function drain(server, options = {}) {
  const timeout = options.timeout ?? null;
  return new Promise((resolve, reject) => {
    let timer = null;
    const idle = () => server.closeIdleConnections?.();
    server.on("request", closeAfter);
    function closeAfter(req, res) {
      // Requests that arrive on open connections while draining are served, then their connection closes.
      res.shouldKeepAlive = false;
      res.on("finish", idle);
    }
    server.close((error) => {
      if (timer !== null) clearTimeout(timer);
      server.off("request", closeAfter);
      if (error && error.code !== "ERR_SERVER_NOT_RUNNING") reject(error);
      else resolve();
    });
    idle();
    // A request in flight: once its response is sent, its connection is idle.
    for (const res of inFlight(server)) {
      res.shouldKeepAlive = false;
      res.on("finish", idle);
    }
    if (timeout !== null) {
      timer = setTimeout(() => server.closeAllConnections?.(), timeout);
      timer.unref?.();
    }
  });
}

const TRACKED = new WeakMap();

/** The responses in flight on `server` (tracked from `serve`'s listen on). */
function inFlight(server) {
  return TRACKED.get(server) ?? new Set();
}

/** Tracks the responses in flight on `server`. */
function track(server) {
  if (TRACKED.has(server)) return;
  const live = new Set();
  TRACKED.set(server, live);
  server.on("request", (req, res) => {
    live.add(res);
    res.on("close", () => live.delete(res));
  });
}

/**
 * Serves until signalled: `server.listen(port, host)` (unless already
 * listening), then `app.run()`: on SIGINT/SIGTERM the server stops
 * accepting, the requests in flight finish (`drainTimeout` ms at most,
 * default none), then the app stops; resolves the exit code as `run()`
 * does. `onListening(address)` is called once listening.
 */
export async function serve(app, server, options = {}) {
  checkApp(app, "serve");
  if (server === null || typeof server !== "object" || typeof server.listen !== "function" || typeof server.close !== "function") {
    throw new TypeError("wireplan: `serve(app, server)` needs a `node:http` server");
  }
  const { port = 0, host, signals, drainTimeout, onListening } = options;
  track(server);
  if (!server.listening) {
    await new Promise((resolve, reject) => {
      const failed = (error) => reject(error);
      server.once("error", failed);
      server.listen(port, host, () => {
        server.off("error", failed);
        resolve();
      });
    });
  }
  onListening?.(server.address());
  return app.run({ signals, beforeStop: () => drain(server, { timeout: drainTimeout }) });
}
