/** Typed errors with stable codes; every message starts with its subject. */

/** ErrorCode lists every stable error code mini-flux reports. */
export type ErrorCode =
  | 'Invalid'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'UnknownKind'
  | 'YAMLSyntax'
  | 'InvalidManifest'
  | 'StateLocked'
  | 'StateCorrupt'
  | 'StateSchemaTooNew'
  | 'StateUnwritable'
  | 'SecretKeyUnusable'
  | 'StateWriteFailed'
  | 'DiskFull'
  | 'Usage'
  | 'Timeout'
  | 'ProgressDeadlineExceeded'
  | 'SourceUnreachable'
  | 'RefNotFound'
  | 'PathEscape'
  | 'AuthFailed'
  | 'PolicyInvalid'
  | 'ConfigInvalid'
  | 'ListenFailed'
  | 'RevisionNotFound'
  | 'DirtyWorkingTree'
  | 'RollbackBlocked'
  | 'PushFailed'
  | 'KustomizeError'
  | 'KustomizeUnsupported'
  | 'InvalidEncoding'
  | 'ManifestTooLarge'
  | 'ManifestTooDeep'
  | 'YAMLAliasLimit'
  | 'RequestTooLarge'
  | 'BadRequest'
  | 'Internal';

/** MfluxError is the base of all errors mini-flux raises on purpose; `code` is stable, `subject` names what it is about. */
export class MfluxError extends Error {
  readonly code: ErrorCode;
  readonly subject: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, opts: { subject?: string; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(opts.subject ? `${opts.subject}: ${message}` : message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'MfluxError';
    this.code = code;
    this.subject = opts.subject;
    this.details = opts.details ?? {};
  }
}

/** isMfluxError narrows an unknown thrown value, optionally to one code. */
export function isMfluxError(err: unknown, code?: ErrorCode): err is MfluxError {
  return err instanceof MfluxError && (code === undefined || err.code === code);
}

/** FieldError is one API-server validation failure: a field path, the bad value and the reason. */
export interface FieldError {
  field: string;
  type: 'Invalid' | 'Required' | 'Forbidden' | 'NotSupported' | 'TooLong';
  value?: unknown;
  detail: string;
}

/** InvalidObjectError is the API server's "is invalid" rejection, with kubectl's exact text. */
export class InvalidObjectError extends MfluxError {
  readonly causes: FieldError[];

  constructor(kind: string, name: string, causes: FieldError[], subject?: string) {
    const parts = causes.map(renderFieldError);
    const text = `The ${kind} "${name}" is invalid: ${parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`}`;
    super('Invalid', text, { subject, details: { causes } });
    this.causes = causes;
  }
}

/** renderFieldError writes one cause the way the API server does ("spec.x: Invalid value: 0: msg"). */
export function renderFieldError(e: FieldError): string {
  switch (e.type) {
    case 'Invalid':
      return `${e.field}: Invalid value: ${renderValue(e.value)}: ${e.detail}`;
    case 'Required':
      return `${e.field}: Required value${e.detail ? `: ${e.detail}` : ''}`;
    case 'Forbidden':
      return `${e.field}: Forbidden: ${e.detail}`;
    case 'NotSupported':
      return `${e.field}: Unsupported value: ${renderValue(e.value)}: ${e.detail}`;
    case 'TooLong':
      // Like the API server's field.TooLong: the value is never shown (it may be a Secret's).
      return `${e.field}: Too long: ${e.detail}`;
  }
}

function renderValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  return JSON.stringify(v);
}
