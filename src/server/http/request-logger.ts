/**
 * Each request's logger, made on its first use. Fastify gives every request a
 * child of the server's logger (bound to its request id); with pino that child
 * costs an object, a formatter set and a JSON fragment per request, although
 * almost no request logs anything (request logging is off; errors and a few
 * routes log). The stand-in below has the logger's methods and makes the real
 * child, with the same bindings and options, the first time one is called, so a
 * line a request does log is the same line as before.
 * @module
 */
import type { FastifyBaseLogger } from "fastify";

type Bindings = Parameters<FastifyBaseLogger["child"]>[0];
type ChildOptions = Parameters<FastifyBaseLogger["child"]>[1];

/** Methods on the prototype (not per-instance closures): the stand-in itself must cost next to nothing. */
class LazyChildLogger {
  #child: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  /** The real child logger, made once. */
  real(): FastifyBaseLogger {
    return (this.#child ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.#child?.level ?? (this.options as { level?: string } | undefined)?.level ?? this.parent.level;
  }
  set level(value: string) {
    this.real().level = value;
  }

  fatal(...args: unknown[]): void {
    const r = this.real();
    Reflect.apply(r.fatal, r, args);
  }
  error(...args: unknown[]): void {
    const r = this.real();
    Reflect.apply(r.error, r, args);
  }
  warn(...args: unknown[]): void {
    const r = this.real();
    Reflect.apply(r.warn, r, args);
  }
  info(...args: unknown[]): void {
    const r = this.real();
    Reflect.apply(r.info, r, args);
  }
  debug(...args: unknown[]): void {
    const r = this.real();
    Reflect.apply(r.debug, r, args);
  }
  trace(...args: unknown[]): void {
    const r = this.real();
    Reflect.apply(r.trace, r, args);
  }
  silent(...args: unknown[]): void {
    const r = this.real();
    Reflect.apply(r.silent, r, args);
  }
  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.real().child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: the request's logger, made when something logs. */
export function lazyChildLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildOptions): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
}
