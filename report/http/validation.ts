// Request validation with zod: routes declare zod schemas in `schema.querystring/params/body`,
// this compiler runs them, and the error handler turns failures into one clear 400 that names
// every bad field, what was expected and what was sent.
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';

const PART_NAMES: Record<string, string> = {
  querystring: 'query parameter',
  params: 'path parameter',
  body: 'body field',
  headers: 'header',
};

export class RequestValidationError extends Error {
  override name = 'RequestValidationError';
  readonly statusCode = 400;
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  const part = PART_NAMES[httpPart ?? ''] ?? httpPart ?? 'request';
  return (data: unknown) => {
    const result = schema.safeParse(data ?? (httpPart === 'body' ? {} : data), { reportInput: true });
    if (result.success) return { value: result.data };
    return { error: new RequestValidationError(describeIssues(result.error.issues, part)) };
  };
};

export function describeIssues(issues: readonly z.core.$ZodIssue[], part: string): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => `${part} "${pathOf([...issue.path, k])}" is not known here`);
    }
    const field = issue.path.length > 0 ? `${part} "${pathOf(issue.path)}"` : part === 'body field' ? 'the body' : `the ${part}s`;
    return [`${field}: ${expected(issue)}${found(issue)}`];
  });
}

function pathOf(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function expected(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `expected ${issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return `expected at least ${String(issue.minimum)}${issue.origin === 'string' ? ' characters' : ''}`;
    case 'too_big':
      return `expected at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters' : ''}`;
    default:
      return `expected ${issue.message.replace(/^Invalid (input|string): /, '')}`;
  }
}

function found(issue: z.core.$ZodIssue): string {
  if (issue.input === undefined || (issue.code === 'invalid_type' && issue.input === undefined)) return '';
  const text = JSON.stringify(issue.input);
  if (text === undefined) return '';
  return `, found ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

/** JSON errors everywhere: validation -> 400 with the problems; others keep their status. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | RequestValidationError, req, reply) => {
    if (err instanceof RequestValidationError) {
      return reply.code(400).send({ error: 'Bad Request', message: err.message, problems: err.problems });
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    return reply.code(status).send({
      error: STATUS_CODES[status] ?? 'Error',
      message: status >= 500 ? 'the catalogue could not answer; see its log' : err.message,
    });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: 'Not Found', message: `nothing at ${req.method} ${req.url.split('?')[0] ?? ''}` }),
  );
}
