import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** yoga's default `maxRequestBodySize` (25 MB). */
export const MAX_REQUEST_BODY = 25_000_000;

const tooLarge = () => new GraphQLError('Request body too large', { extensions: { http: { status: 413 }, code: 'REQUEST_ENTITY_TOO_LARGE' } });
const invalidLength = () => new GraphQLError('Content-Length header is invalid.', { extensions: { http: { status: 400 }, code: 'BAD_REQUEST' } });

const CONTENT_LENGTH = /^\d+$/;

/**
 * yoga's request body limit (set `maxRequestBodySize: false` on yoga when using it), without a
 * byte-counting stream around every body: a request with a valid `Content-Length` within the limit
 * is framed by it (the HTTP server reads exactly that many bytes), so only a body without one
 * (chunked) is counted while it is read. The same refusals: 400 for a malformed `Content-Length`,
 * 413 past the limit.
 */
export function useRequestBodyLimit(limit = MAX_REQUEST_BODY): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const length = request.headers.get('content-length');
      if (length !== null) {
        if (!CONTENT_LENGTH.test(length)) throw invalidLength();
        if (Number(length) > limit) throw tooLarge();
        return;
      }
      if (!requestParser || !request.body) return;
      setRequestParser((req) => requestParser(counted(req, limit, fetchAPI)));
    },
  };
}

type FetchApi = Pick<typeof globalThis, 'Request' | 'TransformStream'>;

/** `request` with a body that errors (413) once more than `limit` bytes were read (yoga's own stream choice: native streams stay native). */
function counted(request: Request, limit: number, fetchAPI: FetchApi): Request {
  if (!request.body) return request;
  const Transform = request.body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  let read = 0;
  const body = request.body.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        read += chunk.byteLength;
        if (read > limit) controller.error(tooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, { method: request.method, headers: request.headers, signal: request.signal, body, duplex: 'half' } as RequestInit);
}
