import { AmchaosError, type ErrorCode } from '../errors/index.js';

/**
 * Every failure of a proxy operation is an AmchaosError that also carries the HTTP status Toxiproxy
 * would answer with (details.httpStatus). The HTTP layer turns it into `{"error","status"}`; in-process
 * callers (the fabric) match on `code`.
 */
export type ProxyHttpStatus = 400 | 404 | 409 | 500;

const CODE_BY_STATUS: Record<ProxyHttpStatus, ErrorCode> = {
  400: 'AMCHAOS_BAD_ARGUMENT',
  404: 'AMCHAOS_NOT_FOUND',
  409: 'AMCHAOS_CONFLICT',
  500: 'AMCHAOS_INTERNAL',
};

export function proxyError(
  status: ProxyHttpStatus,
  message: string,
  opts: { hint?: string; code?: ErrorCode; cause?: unknown } = {},
): AmchaosError {
  const init: { hint?: string; details: Record<string, unknown>; cause?: unknown } = {
    details: { httpStatus: status },
  };
  if (opts.hint !== undefined) init.hint = opts.hint;
  if (opts.cause !== undefined) init.cause = opts.cause;
  return new AmchaosError(opts.code ?? CODE_BY_STATUS[status], message, init);
}

export function badRequest(message: string, hint?: string): AmchaosError {
  return proxyError(400, message, hint === undefined ? {} : { hint });
}

/** The HTTP status for any error; errors that are not ours are internal (500), as in Toxiproxy. */
export function httpStatusOf(err: unknown): number {
  if (err instanceof AmchaosError) {
    const s = err.details['httpStatus'];
    if (typeof s === 'number') return s;
  }
  return 500;
}
