// A custom agent module: LANEGATE_AGENT=dist/examples/agents/reverse.js (or
// `module` in a LANEGATE_AGENTS entry). Its default export receives the
// gateway's options for it and returns the Agent.
//
// `reply` here is an async generator: each string it yields is one delta of
// the streamed answer. `/note <text>` also hands an ops event to this
// session's subscribers through ctx.deliver.

import type { Agent, AgentContext, AgentOptions } from 'lanegate';

export default function createAgent(options: AgentOptions): Agent {
  const suffix = typeof options.options.suffix === 'string' ? options.options.suffix : '';
  return {
    id: 'reverse',
    name: 'Reverse',
    commands: [{ name: 'note', description: 'Deliver <text> as an ops event on this session', acceptsArgs: true }],
    async *reply(ctx: AgentContext) {
      if (ctx.message.startsWith('/note ')) {
        const { seq } = await ctx.deliver({ kind: 'note', payload: { text: ctx.message.slice(6) } });
        yield `noted as ops event ${seq}`;
        return;
      }
      const words = ctx.message.split(' ').reverse();
      for (const [i, w] of words.entries()) {
        if (ctx.signal.aborted) return;
        yield i === 0 ? w : ` ${w}`;
      }
      if (suffix) yield suffix;
    },
  };
}
