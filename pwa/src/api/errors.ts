/** Errors from talking to the server, in two kinds the sync loop treats differently. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** seconds, from Retry-After on 429/503 */
    readonly retryAfter?: number,
  ) {
    super(message || code);
    this.name = "ApiError";
  }
}

/** No answer at all (offline, DNS, reset): retry later; the request may or may not have arrived. */
export class NetworkError extends Error {
  constructor(message = "network") {
    super(message);
    this.name = "NetworkError";
  }
}

/** The device was revoked (or its refresh token reused): local data must be wiped. */
export class DeviceRevokedError extends ApiError {
  constructor(code = "device_revoked") {
    super(401, code, code);
    this.name = "DeviceRevokedError";
  }
}

/**
 * The session can no longer be refreshed (refresh token expired, account disabled): the person
 * must log in again. Unlike a revoked device, local data and unsent changes are kept.
 */
export class LoginRequiredError extends ApiError {
  constructor(code = "token_expired") {
    super(401, code, code);
    this.name = "LoginRequiredError";
  }
}
