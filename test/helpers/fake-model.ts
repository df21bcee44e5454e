import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';

/** One request the fake model received. */
export interface FakeModelRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as it arrived. */
  raw: string;
  body: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The prompt text: system and user messages joined. */
  prompt: string;
}

/** What the fake answers: a text (wrapped in the provider's response shape), an HTTP error, or a raw body; optionally late. */
export type FakeReply =
  | { text: string; inputTokens?: number; outputTokens?: number; delayMs?: number }
  | { status: number; body?: unknown; delayMs?: number }
  | { raw: string; delayMs?: number };

export interface FakeModel {
  /** http://127.0.0.1:<port>: the Anthropic base URL; `${url}/v1` is the OpenAI one. */
  url: string;
  requests: FakeModelRequest[];
  /** Sets how the next requests are answered (default: a text citing the first context record and one unknown id). */
  reply(fn: (request: FakeModelRequest) => FakeReply): void;
  close(): Promise<void>;
}

/** Record citations `[kind:id]` in a prompt, in order. */
export const contextIds = (prompt: string): { kind: string; id: string }[] =>
  [...prompt.matchAll(/\[(account|deal|contact):([0-9a-f-]{36})\]/g)].map((m) => ({ kind: m[1] as string, id: m[2] as string }));

export const BOGUS_ID = '01234567-89ab-7def-8123-456789abcdef';

export const defaultReply = (request: FakeModelRequest): FakeReply => {
  const first = contextIds(request.prompt)[0];
  return {
    text: first ? `Here is the answer, grounded in [${first.kind}:${first.id}] and not in [deal:${BOGUS_ID}].` : 'Nothing to cite.',
    inputTokens: 1200,
    outputTokens: 80,
  };
};

function respond(res: ServerResponse, request: FakeModelRequest, reply: FakeReply) {
  const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  if ('raw' in reply) return void res.writeHead(200, { 'content-type': 'application/json' }).end(reply.raw);
  if ('status' in reply) return json(reply.status, reply.body ?? { error: { type: 'api_error', message: 'fake failure' } });
  const inputTokens = reply.inputTokens ?? 100;
  const outputTokens = reply.outputTokens ?? 20;
  if (request.path.endsWith('/messages')) {
    return json(200, {
      id: 'msg_fake',
      type: 'message',
      role: 'assistant',
      model: request.body.model,
      content: [{ type: 'text', text: reply.text }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: inputTokens, output_tokens: outputTokens },
    });
  }
  return json(200, {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 0,
    model: request.body.model,
    choices: [{ index: 0, message: { role: 'assistant', content: reply.text, refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens },
  });
}

/** A local fake of the Anthropic Messages and OpenAI Chat Completions endpoints, on 127.0.0.1 and a random port. */
export async function startFakeModel(): Promise<FakeModel> {
  const requests: FakeModelRequest[] = [];
  let handler: (request: FakeModelRequest) => FakeReply = defaultReply;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, any> = {}; // eslint-disable-line @typescript-eslint/no-explicit-any
      try {
        body = JSON.parse(raw) as typeof body;
      } catch {
        /* recorded as is */
      }
      const messages = Array.isArray(body.messages) ? (body.messages as { content?: unknown }[]) : [];
      const prompt = [typeof body.system === 'string' ? body.system : '', ...messages.map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))].join('\n');
      const request: FakeModelRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, body, prompt };
      requests.push(request);
      const reply = handler(request);
      const delay = reply.delayMs ?? 0;
      if (delay === 0) return respond(res, request, reply);
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) respond(res, request, reply);
      }, delay);
      timers.add(timer);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    reply(fn) {
      handler = fn;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
