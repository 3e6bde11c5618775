// A real OpenAI-compatible HTTP server for tests: POST /v1/chat/completions, answered by the
// built-in lexicon model, with switchable failures (5xx, hanging, off-rule replies). It reads
// the prompt as a well-behaved model would: the task and format from the system message, the
// data only from the JSON fields of the user message.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LexiconProvider } from '@verity/node';
import { normalizeAnswer } from '@verity/sdk';

export type FixtureMode = 'answer' | 'fail500' | 'hang' | 'garbage';

export type OpenAIFixture = {
  baseUrl: string;
  /** chat completion requests received */
  calls: { model: string; system: string; user: string; messages: { role: string; content: string }[]; authorization?: string }[];
  mode: FixtureMode;
  /** with mode 'answer': this many requests first get HTTP 503 */
  failFirst: number;
  close(): Promise<void>;
};

const body = (req: IncomingMessage) => new Promise<string>((resolve) => {
  let s = '';
  req.on('data', (d) => { s += d; });
  req.on('end', () => resolve(s));
});

/** The user message's JSON fields (none if it is not a JSON object of strings). */
function data(user: string): Record<string, string | undefined> {
  try {
    const v = JSON.parse(user) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

export async function startOpenAIFixture(): Promise<OpenAIFixture> {
  const lexicon = new LexiconProvider();
  const hanging = new Set<() => void>();
  const fixture = { calls: [], mode: 'answer', failFirst: 0 } as unknown as OpenAIFixture;
  const server: Server = createServer(async (req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404).end('{"error":{"message":"not found"}}');
      return;
    }
    const json = JSON.parse(await body(req)) as { model: string; messages: { role: string; content: string }[] };
    const system = json.messages.find((m) => m.role === 'system')?.content ?? '';
    const user = json.messages.find((m) => m.role === 'user')?.content ?? '';
    fixture.calls.push({ model: json.model, system, user, messages: json.messages, authorization: req.headers.authorization });
    if (fixture.mode === 'hang') {
      await new Promise<void>((r) => { hanging.add(r); req.once('close', r); });
      return;
    }
    if (fixture.mode === 'fail500' || fixture.failFirst > 0) {
      fixture.failFirst = Math.max(0, fixture.failFirst - 1);
      res.writeHead(fixture.mode === 'fail500' ? 500 : 503, { 'content-type': 'application/json' }).end('{"error":{"message":"model overloaded"}}');
      return;
    }
    let content: string;
    if (fixture.mode === 'garbage') {
      content = 'I would rather not say.';
    } else if (system.startsWith('You judge')) {
      const { answer_a: a = '', answer_b: b = '' } = data(user);
      content = normalizeAnswer(a) === normalizeAnswer(b) ? 'Yes.' : 'No.';
    } else {
      const labels = system.match(/exactly one of: (.*?)\.(?: |$)/m)?.[1]?.split(', ') ?? [];
      const criterion = labels.length > 0 ? 'Label' : /single number/.test(system) ? 'Numeric' : 'Exact';
      const answer = await lexicon.answer({ requestId: 0n, modelId: '0x', input: data(user).request ?? '', instructions: system, criterion, labels });
      // Chatty, as language models are: the label inside a sentence.
      content = criterion === 'Label' ? `The answer is: ${answer}.` : answer;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
      id: 'chatcmpl-fixture', object: 'chat.completion', model: json.model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fixture.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  fixture.close = () => new Promise((r) => {
    for (const wake of hanging) wake();
    server.closeAllConnections();
    server.close(() => r());
  });
  return fixture;
}
