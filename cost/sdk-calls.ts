/** What an SDK client's calls did, seen from a middleware: the cost report counts and times them without mocking anything. */

export interface SeenCall {
  /** The command's name without `Command` (PutItem, GetObject). */
  readonly command: string;
  readonly input: Record<string, unknown>;
  /** Undefined when the call failed. */
  readonly output: Record<string, unknown> | undefined;
  /** performance.now() when it was sent and when it ended. */
  readonly start: number;
  readonly end: number;
}

type Middleware = { middlewareStack: { add: (mw: never, opts: { step: 'initialize'; name: string }) => void } };

/** Calls `see` after each call the client makes, failed or not. */
export function observe(client: Middleware, see: (call: SeenCall) => void): void {
  const mw = ((next: (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>, context: { commandName?: string }) =>
    async (args: { input: Record<string, unknown> }) => {
      const start = performance.now();
      let output: Record<string, unknown> | undefined;
      try {
        const result = await next(args);
        output = result.output;
        return result;
      } finally {
        see({ command: (context.commandName ?? '').replace(/Command$/, ''), input: args.input, output, start, end: performance.now() });
      }
    }) as never;
  client.middlewareStack.add(mw, { step: 'initialize', name: `observe-${Math.random()}` });
}
